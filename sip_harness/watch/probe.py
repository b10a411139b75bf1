"""Probes of numbers with real calls: where an inbound call lands, which caller ID is presented.

The calls are placed the way ``verify`` places them, with the same engines and the same
reading of where a call arrived (:func:`sip_harness.verify.judge.arrived_where`):

- every carrier trunk and every customer PBX trunk is a
  :class:`~sip_harness.agents.recorder.TrunkRecorder` socket that records the INVITE and
  rejects it at once;
- a number with a phone (a declared extension, a mailbox) is probed with pjsua2 through the
  :class:`~sip_harness.agents.fleet.Fleet`, a call at a time (:meth:`CallProber.inbound`,
  :meth:`CallProber.outbound`), each torn down (hung up and waited for until it has ended)
  before the probe returns; a call without a final answer in time arrived nowhere;
- DDI numbers (landing on the customer's PBX trunk) are probed in one SIPp run per round
  (:meth:`CallProber.batch`): inbound from the external callers' carrier, outbound from the
  PBX trunk's address, bounded by SIPp's own rate and limit of calls in flight, each call
  found by its ``X-Cutover-Call`` tag.

Each probe's external number is new within a round, and everything forgets what arrived
between rounds (:meth:`CallProber.forget`), so arrivals are matched to the probe that made
them and nothing grows with the hours.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Protocol

from sim.errors import HarnessTimeout, SIPCallError
from sim.scenario import Scenario
from sip_harness.agents.fleet import CALLER, Fleet
from sip_harness.agents.recorder import TrunkRecorder
from sip_harness.agents.sipp_caller import CallRow, SippCalls, place_calls
from sip_harness.config import hosted_phones
from sip_harness.config.view import hosted_pbxs
from sip_harness.topology import ASTERISK_HOST, SIP_PORT, carrier_addresses
from sip_harness.verify.expectations import Expected, Plan, Where
from sip_harness.verify.judge import arrived_where
from sip_harness.watch.plan import NumberPlan

__all__ = ["Prober", "CallProber", "Probed", "call_prober", "ANSWER_TIMEOUT"]

#: Seconds a probe waits for a final answer (and then for the call to end).
ANSWER_TIMEOUT = 10.0


@dataclass(frozen=True)
class Probed:
    """What one probe of a batch saw; ``offset`` is seconds after the batch started."""

    number: str
    offset: float
    landed: Where | None
    status: int | None
    presented: str | None


class Prober(Protocol):
    """What the watcher needs of the calls it places (a fake in the unit tests)."""

    def batched(self, number: str) -> bool:
        """Whether ``number`` is probed in the round's batch, not a call at a time."""

    def inbound(self, number: str) -> tuple[Where | None, int | None]:
        """Call ``number`` from outside: where it landed (None: nowhere) and the status."""

    def outbound(self, number: str) -> tuple[str | None, int | None]:
        """Call out from ``number``'s phone: the caller ID presented (None: nothing arrived)."""

    def batch(self, numbers: Sequence[str], *, outbound: bool, rate: float, limit: int
              ) -> tuple[list[Probed], int]:
        """Probe ``numbers`` at once; what each saw, and the most calls in flight."""

    def forget(self) -> None:
        """Between rounds: drop what the calls left behind."""

    def live_calls(self) -> int:
        """Calls up right now."""


def _presented(seen: dict[str, Any], destination_carrier: str) -> str:
    """The caller ID an arrival presents; both headers and the place in the words if odd."""
    presented, pai = seen["from_user"], seen["pai_user"]
    if pai != presented:
        return f"From {presented}, PAI {pai}"
    if seen["ua"] != destination_carrier:
        return f"{presented} at {seen['ua']}"
    return str(presented)


class CallProber:
    """Probes through ``fleet`` (phones) and SIPp (DDI numbers), arrivals at ``recorder``.

    ``plans``: the watched numbers' plans; ``pbx``: DDI number -> its PBX trunk's endpoint
    name; ``pbx_hosts``: endpoint name -> its address; ``origin`` and ``origin_host``: the
    external callers' carrier and its address; external numbers are drawn from
    ``external_prefix``.
    """

    def __init__(self, fleet: Fleet, recorder: TrunkRecorder, plans: Mapping[str, NumberPlan],
                 *, pbx: Mapping[str, str], pbx_hosts: Mapping[str, str], origin: str,
                 origin_host: str, external_prefix: str,
                 place: Callable[..., SippCalls] = place_calls) -> None:
        self.fleet, self.recorder, self.place = fleet, recorder, place
        self.pbx, self.pbx_hosts = dict(pbx), dict(pbx_hosts)
        self.origin, self.origin_host = origin, origin_host
        self.prefix = external_prefix
        # what arrived_where reads of an expectation: the number, its gaining carrier, its PBX
        self._places = {n: Expected(checkpoint="watch", number=n, origin=origin,
                                    carrier=p.losing, phone=False, reason="", presented=n,
                                    mailbox=None, losing=p.losing, gaining=p.gaining,
                                    ported=False, pbx=self.pbx.get(n))
                        for n, p in plans.items()}
        self._digits = max(3, 12 - len(external_prefix) + 1)
        self._serial = itertools.count(int(time.time()) % 1000)
        self._batches = itertools.count(1)
        self._lock = threading.Lock()

    def batched(self, number: str) -> bool:
        return number in self.pbx

    def _external(self) -> str:
        with self._lock:
            n = next(self._serial)
        return self.prefix + f"{n % 10 ** self._digits:0{self._digits}d}"

    def _where(self, number: str, arrival: dict[str, Any] | None) -> Where | None:
        return arrived_where(self._places[number], arrival) if arrival is not None else None

    def _place(self, agent: Any, ua: str, number: str, caller: str | None) -> int | None:
        """Place a call, wait for its final answer, tear it down; return the final status.

        The phones sharing a worker take turns on its line (:meth:`Fleet.line`), as verify's
        calls do: two probes at once in one worker could take more than its call slots, and
        pjsua would refuse the INVITE itself. A probe that gets no turn in time saw nothing.
        """
        self.fleet.pace()
        try:
            with self.fleet.line(agent):
                return self._placed(agent, ua, number, caller)
        except HarnessTimeout:
            return None

    def _placed(self, agent: Any, ua: str, number: str, caller: str | None) -> int | None:
        with self.fleet.in_flight_call():
            try:
                cid = agent.call(ua, f"sip:{number}@{ASTERISK_HOST}:{SIP_PORT}", caller=caller)
            except SIPCallError as exc:
                return exc.status
            try:
                state = agent.wait_call(cid, "final", ANSWER_TIMEOUT)
                status: int | None = state["status"]
            except HarnessTimeout:
                status = None
            except SIPCallError as exc:
                status = exc.status
            finally:
                agent.hangup(cid)
                try:
                    agent.wait_call(cid, "disconnected", ANSWER_TIMEOUT)
                except (HarnessTimeout, SIPCallError):
                    pass
        return status

    def inbound(self, number: str) -> tuple[Where | None, int | None]:
        caller = self._external()
        agent = self.fleet.phone(number)
        status = self._place(agent, CALLER, number, caller)
        arrivals = agent.arrivals(from_user=caller, ua=number) + self.fleet.trunk_arrivals(
            from_user=caller, user=number)
        return self._where(number, arrivals[0] if arrivals else None), status

    def outbound(self, number: str) -> tuple[str | None, int | None]:
        destination = self._external()
        status = self._place(self.fleet.phone(number), number, destination, None)
        arrivals = self.fleet.trunk_arrivals(user=destination)
        if not arrivals:
            return None, status
        return _presented(arrivals[0], self.origin), status

    def batch(self, numbers: Sequence[str], *, outbound: bool, rate: float, limit: int
              ) -> tuple[list[Probed], int]:
        """Inbound calls to every number in one SIPp run from the callers' carrier, then
        (``outbound``) a run per PBX trunk from its address; one after the other, so at most
        ``limit`` calls are in flight."""
        b = next(self._batches)
        began = time.monotonic()
        rows = [(f"w{b}.{i}.in", n, self._external()) for i, n in enumerate(numbers)]
        runs: list[tuple[str, list[CallRow]]] = [(self.origin_host, rows)]
        out_rows: dict[str, list[CallRow]] = {}
        destinations: dict[str, str] = {}
        if outbound:
            for i, n in enumerate(numbers):
                destinations[n] = self._external()
                out_rows.setdefault(self.pbx[n], []).append((f"w{b}.{i}.out", destinations[n],
                                                             n))
            runs += [(self.pbx_hosts[p], r) for p, r in out_rows.items()]
        outcomes: dict[str, Any] = {}
        offsets: dict[str, float] = {}
        peak = 0
        for source, run_rows in runs:
            started = time.monotonic() - began
            calls = self.place(run_rows, source=source, target=(ASTERISK_HOST, SIP_PORT),
                               rate=rate, limit=limit, answer_timeout_s=ANSWER_TIMEOUT)
            peak = max(peak, calls.max_in_flight)
            for tag, outcome in calls.outcomes.items():
                outcomes[tag] = outcome
                offsets[tag] = started + (outcome.started_ms or 0.0) / 1000
        probed = []
        for i, n in enumerate(numbers):
            tag = f"w{b}.{i}.in"
            arrival = self.recorder.by_tag(tag)
            landed = self._where(n, arrival)
            presented = None
            if outbound:
                seen = self.recorder.by_tag(f"w{b}.{i}.out")
                presented = _presented(seen, self.origin) if seen is not None else None
            status = outcomes[tag].status if tag in outcomes else None
            # when the call landed, where it landed (SIPp's own clock starts when SIPp has
            # started: its offsets are early by that time, which a replay at high speed turns
            # into minutes)
            offset = (arrival["at"] - began if arrival and arrival.get("at")
                      else offsets.get(tag, 0.0))
            probed.append(Probed(n, offset, landed, status, presented))
        return probed, peak

    def forget(self) -> None:
        self.fleet.forget()
        self.recorder.forget()

    def live_calls(self) -> int:
        return self.fleet.live_calls()


@contextmanager
def call_prober(scenario: Scenario, plans: Mapping[str, NumberPlan], callers: Plan
                ) -> Iterator[CallProber]:
    """The scenario's recorder (every trunk and PBX address), fleet (its phones) and a
    :class:`CallProber` over them; everything is stopped on the way out.

    Raises HarnessError when an address cannot be bound or an agent cannot start.
    """
    carriers = carrier_addresses(scenario.carrier_ids)
    pbxs, pbx_of = hosted_pbxs(scenario)
    origin_host = carriers[callers.origin].host
    with TrunkRecorder({**{c: (a.host, a.port) for c, a in carriers.items()},
                        **{p.name: (p.host, p.port) for p in pbxs.values()}}) as recorder, \
            Fleet(carriers, hosted_phones(scenario), origin_host, trunks=recorder) as fleet:
        yield CallProber(fleet, recorder, plans, pbx=pbx_of,
                         pbx_hosts={p.name: p.host for p in pbxs.values()},
                         origin=callers.origin, origin_host=origin_host,
                         external_prefix=callers.external_prefix)
