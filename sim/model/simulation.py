"""The SimPy cutover model: port orders through their lifecycle, carriers' desks, faults, traffic.

The lifecycle is DOMAIN.md's::

    REQUESTED -> VALIDATED | REJECTED -> ACCEPTED | DENIED -> (CANCELLED) -> ACTIVATING
    -> ACTIVE | ROLLED_BACK (-> re-attempt) ; ACTIVE -> QUARANTINE -> RETURNED

Every change of a number's serving carrier goes through the routing core as one atomic apply;
activations due at the same instant are published together. Every stochastic choice draws from
one seeded generator, so the same seed gives the same events, byte for byte. The cutover window
(activation, rollback, re-attempt) is in :mod:`sim.model.activation`; the run's mutable state in
:mod:`sim.model.run_state`, which the port checks, the switchboard and the summary read.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Generator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import numpy as np
import simpy

from sim.errors import NumberFormatError
from sim.model import account
from sim.model.activation import activate, commit_port_date, remedy
from sim.model.desk import Desk
from sim.model.ledger import Instant, Ledger
from sim.model.lifecycle import PORTED, SETTLED, EventKind, NumberStatus, PortState
from sim.model.port_checks import rejection_reasons
from sim.model.quarantine import contract_ends, hold_for_port, reactivate
from sim.model.run_state import DeskStats, PortRun, RunState
from sim.model.summary import summarise
from sim.model.traffic import CallByCall, Switchboard
from sim.numbering import NumberType, number_type
from sim.regimes import get_regime
from sim.regimes.base import OrderFacts, Regime
from sim.regimes.timeline import Timeline
from sim.routing import PortChange, RoutingCore, RoutingSnapshot, e164_to_int
from sim.scenario import Fault, Outage, PortOrder, Scenario

__all__ = ["simulate", "SimulationResult", "CutoverModel"]

#: The central database publishes queued changes on this tick (seconds): one snapshot per tick,
#: however many ports activate in it (bulk provisioning, as NPAC and central databases do).
PUBLISH_TICK = 60.0
#: Allocations between young garbage collections during a run (Python's default is 700).
RUN_GC_THRESHOLD = 20_000
#: Hours after the port before a temporary number goes back to the pool (US seed).
TEMPORARY_RELEASE_HOURS = 24.0
#: States in which a withdrawal has nothing left to stop: the order is over or has ported.
_NOT_WITHDRAWABLE = SETTLED | PORTED | {PortState.MIGRATED}
#: States in which cancelling the old service no longer loses the numbers.
_PAST_CANCELLING = _NOT_WITHDRAWABLE - {PortState.LOST}
# Every order's path names these members. Read off its enum class, a member costs about five
# global look-ups (Python 3.11; 10% of a run at 20k orders), so the hot path's are bound here
# once: _E_ an event, _S_ a state.
_E_SUBMITTED, _E_VALIDATED, _E_ACCEPTED = (EventKind.SUBMITTED, EventKind.VALIDATED,
                                           EventKind.ACCEPTED)
_S_REQUESTED, _S_VALIDATED, _S_ACCEPTED = (PortState.REQUESTED, PortState.VALIDATED,
                                           PortState.ACCEPTED)


@dataclass
class SimulationResult:
    """What a run produced: the event records, the summary, the routing state reached."""

    scenario: Scenario
    seed: int
    at: datetime
    routing: RoutingCore
    ledger: Ledger
    summary: dict[str, Any]
    state: RunState

    @property
    def events(self) -> list[dict[str, Any]]:
        """Event records as dicts, in time order (see DESIGN.md, outputs of run)."""
        return list(self.ledger.records())

    def number_status(self, number: str) -> str:
        """Why ``number`` does not answer at ``at`` (suspended, quarantine, ...) or in_service."""
        return str(self.state.status.get(number) or "in_service")

    def migrated_to(self, number: str) -> str | None:
        """The provider ``number``'s service was migrated to by ``at`` (UK NGN), if any."""
        return account.migrated_to(self.state, number)

    def caller_id(self, number: str) -> str | None:
        """The caller ID the customer on ``number`` presents at ``at`` (None: no customer's)."""
        return account.caller_id_in(self.scenario, self.state, number)


class CutoverModel:
    """One run of a scenario. Build, then ``run(until)``; read the state between runs."""

    def __init__(self, scenario: Scenario, *, seed: int | None = None,
                 call_by_call: bool = False):
        # call_by_call: each call a SimPy event (the reference), not drawn per interval
        # Building makes a few objects per port order (process, generator, run state), all
        # long-lived and none garbage: with the collector on, its full passes walk them again
        # and again while they pile up (over half the build time at 20k orders).
        with _collector_paused():
            self._build(scenario, seed, call_by_call)

    def _build(self, scenario: Scenario, seed: int | None, call_by_call: bool) -> None:
        self.scenario = scenario
        self.seed = scenario.seed if seed is None else seed
        self.rng = np.random.default_rng(self.seed)
        self.env = simpy.Environment()
        self.regime: Regime = get_regime(scenario.regime)
        self.timeline = Timeline(self.regime)
        self.epoch = scenario.start.timestamp()
        self.ledger = Ledger(self.epoch)
        self.routing = RoutingCore(
            scenario.carrier_ids, scenario.interconnects,
            [(r.prefix, r.holder) for r in scenario.ranges], scheme=scenario.routing,
        )
        self.holder_of = self._range_holders()
        served = [(n, c.carrier) for c in scenario.customers for n in c.numbers
                  if c.carrier != self.holder_of[n]]
        if served:
            self.routing.apply([PortChange(e164_to_int(n), cid, note="initial")
                                for n, cid in served])
        self.desks = {c.id: Desk(self.env, c.desk_capacity) for c in scenario.carriers}
        self.answer_seconds = {c.id: c.answer_hours * 3600.0 for c in scenario.carriers}
        self._facts_of: dict[tuple[Any, ...], OrderFacts] = {}
        self.state = RunState(scenario.port_orders, scenario.carrier_ids)
        self._pending: list[PortChange] = []
        self._published: simpy.Event | None = None
        #: Called with (simulated seconds, snapshot) after every publish (see sim.model.replay).
        self.on_publish: list[Callable[[float, RoutingSnapshot], None]] = []
        parts: dict[str, Any] = dict(
            env=self.env, rng=self.rng, routing=self.routing, holder_of=self.holder_of,
            status=self.state.status, down=self.state.down, ledger=self.ledger)
        self.switchboard: Switchboard | CallByCall = (
            CallByCall(scenario, **parts) if call_by_call
            else Switchboard(scenario, seed=self.seed, **parts))
        # the switchboard plays the calls up to each change of what decides their outcome
        self.state.status.before_change = self.state.down.before_change = self.switchboard.settle
        self._start_processes()

    def _range_holders(self) -> dict[str, str]:
        """Every customer number -> its range holder, looked up in one batch."""
        numbers = list(dict.fromkeys(n for c in self.scenario.customers for n in c.numbers))
        try:
            ints = np.array([e164_to_int(n) for n in numbers], dtype=np.int64)
        except NumberFormatError:
            ints = None
        if ints is not None:
            # nothing is ported yet, so the serving carrier is the range holder
            found = self.routing.lookup_batch(ints)
            if (found >= 0).all():
                ids = self.routing.carrier_ids
                return dict(zip(numbers, [ids[i] for i in found.tolist()], strict=True))
        # a malformed or unallocated number: one at a time, for the error the first one gives
        range_holder = self.routing.snapshot.range_holder
        return {n: range_holder(n) for n in numbers}

    @property
    def runs(self) -> dict[str, PortRun]:
        """Port order id -> its progress in this run."""
        return self.state.runs

    @property
    def desk_stats(self) -> dict[str, DeskStats]:
        """Carrier id -> how its porting desk coped so far."""
        return self.state.desk_stats

    def summary(self) -> dict[str, Any]:
        """The summary of the run so far (see :func:`sim.model.summary.summarise`)."""
        return summarise(self.state, self.ledger, scenario=self.scenario, seed=self.seed,
                         regime=self.regime, now=self.env.now,
                         calls=self.switchboard.outcomes,
                         routing_version=self.routing.snapshot.version)

    # -- time -----------------------------------------------------------------------------
    def sim_time(self, t: datetime) -> float:
        """Simulated seconds since the scenario's start for an aware datetime."""
        return t.timestamp() - self.epoch

    def wall(self, s: float) -> datetime:
        return datetime.fromtimestamp(round(self.epoch + s), UTC)

    def iso(self, s: float) -> str:
        return self.wall(s).isoformat()

    def until(self, s: float) -> simpy.Timeout:
        """A timeout that ends at simulated second ``s`` (at once if that is past)."""
        return self.env.timeout(max(0.0, s - self.env.now))

    def uniform(self, low: float, high: float) -> float:
        """``rng.uniform(low, high)``, bit for bit and from the same draw, at a third of the cost.

        numpy's uniform is ``low + (high - low) * next_double``; ``random()`` is that next_double.
        """
        return low + (high - low) * self.rng.random()

    def happens(self, fault: Fault | Outage) -> bool:
        """Whether a fault happens: a certain one (no probability, or 1) always and a fault of
        probability 0 never, without a draw; any other with its probability, drawn now from the
        run's generator."""
        p = fault.probability
        if p is None or p >= 1.0:
            return True
        return p > 0.0 and self.rng.random() < p

    # -- running --------------------------------------------------------------------------
    def _start_processes(self) -> None:
        for run in self.state.runs.values():
            run.process = self.env.process(self._port(run))
            for fault in run.order.faults:
                if fault.kind == "withdraw" and fault.at is not None:
                    self.env.process(self._withdraw(run, fault))
                elif fault.kind == "cancel_old_service" and fault.at is not None:
                    self.env.process(self._cancel_old_service(run, fault))
        for customer in self.scenario.customers:
            for suspension in customer.suspensions:
                self.env.process(account.suspend(self, customer, suspension))
        for carrier in self.scenario.carriers:
            for outage in carrier.outages:
                self.env.process(self._outage(carrier.id, outage))
        self.switchboard.start()

    def run(self, until: datetime | None = None,
            progress: Callable[[float], None] | None = None) -> None:
        """Advance the simulation to ``until`` (default: the horizon)."""
        end = self.sim_time(until or self.scenario.horizon)
        if end <= self.env.now:
            return
        steps = 1 if progress is None else 50
        begin = self.env.now
        # The scenario and the model's long-lived state can be millions of objects that never
        # become garbage: keep the collector from walking them again and again during the run.
        gc.freeze()
        # What the run allocates is mostly short-lived events freed by reference counting (it
        # makes next to no cyclic garbage): collect the young generation less often.
        threshold = gc.get_threshold()
        gc.set_threshold(max(threshold[0], RUN_GC_THRESHOLD), *threshold[1:])
        try:
            for k in range(1, steps + 1):
                self.env.run(until=begin + (end - begin) * k / steps)
                self.switchboard.settle()
                if progress is not None:
                    progress(k / steps)
        finally:
            gc.set_threshold(*threshold)
            gc.unfreeze()

    # -- routing changes, batched per instant ----------------------------------------------
    def publish(self, numbers: tuple[str, ...], carrier: str, note: str) -> simpy.Event:
        """Queue a change of serving carrier; the event fires when the next tick publishes it.

        Every change queued before a tick goes out in one atomic apply of the routing core.
        """
        stamp = self.epoch + self.env.now
        self._pending.extend(PortChange(e164_to_int(n), carrier, at=stamp, note=note)
                             for n in numbers)
        if self._published is None:
            now = self.env.now
            tick = -(-now // PUBLISH_TICK) * PUBLISH_TICK
            self._published = self.env.timeout(tick - now)
            self._published.callbacks.append(self._apply_pending)
        return self._published

    def _apply_pending(self, event: simpy.Event) -> None:
        pending, self._pending, self._published = self._pending, [], None
        snapshot = self.routing.apply(pending)
        self.switchboard.published(self.env.now, snapshot, [c.number for c in pending])
        for listener in self.on_publish:
            listener(self.env.now, snapshot)

    # -- the port order's lifecycle ---------------------------------------------------------
    def emit(self, event: EventKind, run: PortRun | None, state: PortState | None = None,
             numbers: tuple[str, ...] | None = None, **extra: Any) -> None:
        """Record an event of ``run`` (or of no order) and move the order to ``state``."""
        if run is None:
            self.ledger.add(self.env.now, event, None, numbers if numbers is not None else (),
                            None, extra)
            return
        if state is not None:
            run.state = state
        order = run.order
        self.ledger.add(self.env.now, event, order.id,
                        numbers if numbers is not None else order.numbers, state, extra)

    def _facts(self, order: PortOrder) -> OrderFacts:
        first = order.numbers[0]
        kind = number_type(first, self.scenario.regime)
        lines = self.scenario.customer(order.customer).installation_lines
        key = (len(order.numbers), order.ddi, kind, self.holder_of.get(first) == order.losing,
               order.requested_date, order.part_of_ddi_range, order.distance_contract,
               order.physical_work_done, lines)
        facts = self._facts_of.get(key)
        if facts is None:  # few distinct facts in a run: one OrderFacts each
            facts = self._facts_of[key] = OrderFacts(
                numbers=key[0], ddi=order.ddi,
                non_geographic=kind in (NumberType.NON_GEOGRAPHIC, NumberType.TOLL_FREE),
                losing_is_range_holder=key[3], mobile=kind == NumberType.MOBILE,
                agreed_date=order.requested_date, part_of_ddi_range=order.part_of_ddi_range,
                distance_contract=order.distance_contract,
                physical_work_done_at=order.physical_work_done, installation_lines=lines,
            )
        return facts

    def _port(self, run: PortRun) -> Generator[simpy.Event, Any, None]:
        order = run.order
        # Instants are POSIX seconds here (the timeline gives exactly the timestamps of the
        # regime's datetimes) and ``Instant`` in the ledger, which writes them as datetimes.
        timeline, epoch, state = self.timeline, self.epoch, self.state
        in_flight = state.in_flight
        try:
            submitted = order.submitted.timestamp()
            yield self.until(submitted - epoch)
            for n in order.numbers:
                in_flight[n] += 1
            self.emit(_E_SUBMITTED, run, _S_REQUESTED, losing=order.losing,
                      gaining=order.gaining, requested_date=order.requested_date)
            if order.method == "migration":
                yield from self._migration(run)
                return
            former = self.state.runs[order.reactivates].order if order.reactivates else None
            if former is not None and not (yield from reactivate(self, run, former)):
                return  # refused, or back with the operator that held the numbers
            answer, deadline = timeline.deadlines(order.submitted, submitted, self._facts(order))
            answer_by = answer - epoch
            run.deadline_at = deadline - epoch
            desk = self.desks[order.losing]
            with desk.request() as slot:
                asked = self.env.now
                yield slot
                state.desk_stats[order.losing].record(len(desk.queue), self.env.now - asked)
                work = self.answer_seconds[order.losing] * self.uniform(0.8, 1.2)
                now = self.env.now
                clock = timeline.clock_start(round(epoch + now)) - epoch
                yield self.until(max(now, clock) + work)
            customer = self.scenario.customer(order.customer)
            reasons = rejection_reasons(  # a reactivation: the former order holds the numbers
                order, customer, regime=self.regime, in_flight=in_flight if former is None
                else {n: in_flight[n] - 1 for n in order.numbers},
                quarantined=state.quarantined if former is None else ())
            if reasons:
                self.emit(EventKind.REJECTED, run, PortState.REJECTED, reason=reasons[0],
                          detail=_reason_text(reasons[0]), reasons=list(reasons))
                return
            if customer.dsl is not None and not (yield from account.check_dsl(self, run,
                                                                               customer)):
                return
            self.emit(_E_VALIDATED, run, _S_VALIDATED)
            if former is not None:  # out of the quarantine, silent until the port
                hold_for_port(self, run)
            late_answer = self.env.now > answer_by
            delay = sum(f.days for f in _faults(order, "delay") if self.happens(f))
            if delay:
                # the losing carrier sits on the order past its deadline
                yield self.until(max(self.env.now, run.deadline_at + delay * 86400.0))
                late_answer = True
            for fault in _faults(order, "deny"):
                if not self.happens(fault):
                    continue
                self.emit(EventKind.DENIED, run, PortState.DENIED, reason=fault.reason,
                          detail=_reason_text(fault.reason))
                return
            accepted = round(epoch + self.env.now)  # self.wall(now), as POSIX seconds
            port = self._port_date(run, accepted, deadline, delay > 0)
            window_end = timeline.window_end(port)
            if self.regime.lead_time_is_minimum:  # due by the end of the committed window
                deadline = window_end
                run.deadline_at = deadline - epoch
            run.accepted_at = self.env.now
            run.port_at = port - epoch
            run.no_return_at = timeline.point_of_no_return(accepted, port) - epoch
            self.emit(_E_ACCEPTED, run, _S_ACCEPTED, port_date=Instant(port),
                      window_end=Instant(window_end),
                      point_of_no_return=Instant(round(epoch + run.no_return_at)),
                      deadline=Instant(deadline), late_answer=late_answer)
            yield from activate(self, run)
            account.after_port_away(self, run)
            for fault in _faults(order, "no_consent"):
                self.env.process(remedy(self, run, fault))
            if order.contract_end is not None or self._temporary_number(order):
                yield from self._after_port(run)
        except simpy.Interrupt:
            return
        finally:
            for n in order.numbers:
                in_flight[n] -= 1

    def _migration(self, run: PortRun) -> Generator[simpy.Event, Any, None]:
        order = run.order
        if (yield from account.migrate(self, run, self.scenario.customer(order.customer))):
            account.after_port_away(self, run)
            if order.contract_end is not None or self._temporary_number(order):
                yield from self._after_port(run)

    def _port_date(self, run: PortRun, accepted: float, deadline: float, delayed: bool) -> float:
        order = run.order
        if order.physical_work_done is not None:  # PT: no port before the work is done
            accepted = max(accepted, round(order.physical_work_done.timestamp()))
        return commit_port_date(self, run, accepted, deadline,
                                None if delayed else order.requested_date,
                                lead=self.regime.lead_time(self._facts(order)))

    def _temporary_number(self, order: PortOrder) -> str | None:
        return self.scenario.customer(order.customer).temporary_number

    def _after_port(self, run: PortRun) -> Generator[simpy.Event, Any, None]:
        order = run.order
        temporary = self._temporary_number(order)
        if temporary and self.scenario.customer(order.customer).keep_temporary_number:
            self.emit(EventKind.TEMPORARY_NUMBER_KEPT, run, None, temporary=temporary)
        elif temporary:
            yield self.env.timeout(TEMPORARY_RELEASE_HOURS * 3600.0)
            self.emit(EventKind.TEMPORARY_NUMBER_RELEASED, run, None, temporary=temporary)
        if order.contract_end is not None:
            yield from contract_ends(self, run, order.contract_end)

    # -- faults from outside the order -------------------------------------------------------
    def _withdraw(self, run: PortRun, fault: Fault) -> Generator[simpy.Event, Any, None]:
        yield self.until(self.sim_time(fault.at or self.scenario.start))
        if not self.happens(fault):
            return
        if run.state in _NOT_WITHDRAWABLE:
            return
        if run.no_return_at is not None and self.env.now > run.no_return_at:
            self.emit(EventKind.WITHDRAW_REFUSED, run, None,
                      reason=f"after the point of no return {self.iso(run.no_return_at)}")
            return
        if run.process is not None and run.process.is_alive:
            run.process.interrupt("withdrawn")
        self.emit(EventKind.WITHDRAWN, run, PortState.CANCELLED)

    def _cancel_old_service(self, run: PortRun, fault: Fault
                            ) -> Generator[simpy.Event, Any, None]:
        yield self.until(self.sim_time(fault.at or self.scenario.start))
        if not self.happens(fault):
            return
        self.emit(EventKind.SERVICE_CANCELLED, run, None, carrier=run.order.losing)
        if run.state in _PAST_CANCELLING:
            return
        # Ooma seed: cancelling before the port completes releases the number
        if run.process is not None and run.process.is_alive:
            run.process.interrupt("old service cancelled")
        status = self.state.status
        for n in run.order.numbers:
            status[n] = NumberStatus.LOST
        self.emit(EventKind.NUMBER_LOST, run, PortState.LOST, carrier=run.order.losing)

    def _outage(self, carrier: str, outage: Outage) -> Generator[simpy.Event, Any, None]:
        start, minutes = outage.start, outage.minutes
        yield self.until(self.sim_time(start))
        if not self.happens(outage):
            return
        down = self.state.down
        down.add(carrier)
        yield self.env.timeout(minutes * 60.0)
        down.discard(carrier)
        self.ledger.add(self.env.now, EventKind.CARRIER_OUTAGE, None, (), None, {
            "carrier": carrier, "start": start, "end": self.wall(self.env.now),
            "minutes": minutes})


def simulate(scenario: Scenario, *, seed: int | None = None, until: datetime | None = None,
             progress: Callable[[float], None] | None = None) -> SimulationResult:
    """Play a scenario from its start to ``until`` (default: its horizon).

    Returns the events, the summary and the routing core as it stands at ``until``.
    """
    model = CutoverModel(scenario, seed=seed)
    model.run(until, progress)
    at = until or scenario.horizon
    return SimulationResult(scenario, model.seed, at, model.routing, model.ledger,
                            model.summary(), model.state)


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Keep the cyclic garbage collector off inside the block (reference counting goes on)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _faults(order: PortOrder, kind: str) -> tuple[Fault, ...]:
    # most orders have no faults: skip building the empty tuple
    return order.faults_of(kind) if order.faults else ()


def _reason_text(reason: str) -> str:
    from sim.regimes.base import REJECTION_TEXT

    return REJECTION_TEXT.get(reason, reason)

