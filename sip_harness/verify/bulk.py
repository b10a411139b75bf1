"""The bulk engine: signalling-only checks of DDI numbers with SIPp, thousands a minute.

A DDI number lands on its customer's PBX trunk; nothing there needs media, so its checks go
through SIPp (:mod:`sip_harness.agents.sipp_caller`) instead of pjsua2:

- ``inbound``: SIPp calls the number from the external callers' carrier address; the call must
  arrive where the routing core expects (the PBX trunk once ported, the losing carrier's trunk
  before), with the number in the Request-URI and To and the caller's number in From;
- ``outbound_callerid``: SIPp calls an external number from the PBX trunk's address, presenting
  the DDI in From as a PBX does; the call must arrive at the external carrier presenting the
  expected number in From and in P-Asserted-Identity;
- the negative checks read off those two (``not_ported``, ``rollback``), and ``unallocated``.

Arrivals are recorded by the :class:`~sip_harness.agents.recorder.TrunkRecorder` at every
trunk and PBX address and paired with their call by the ``X-Cutover-Call`` tag; the comparison
is :mod:`sip_harness.verify.judge`'s, the same as pjsua2's checks use. A call SIPp got no
final answer for is placed once more (``retried`` in the record); if it gets none again, its
check fails with that reason.
"""

from __future__ import annotations

import statistics
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sim.errors import HarnessError
from sip_harness.agents.recorder import TrunkRecorder
from sip_harness.agents.sipp_caller import CallOutcome, CallRow, SippCalls, place_calls
from sip_harness.topology import ASTERISK_HOST, SIP_PORT
from sip_harness.verify.checks import CheckResult, derived_checks
from sip_harness.verify.expectations import Expected
from sip_harness.verify.judge import inbound_verdict, outbound_verdict, sip_evidence

__all__ = ["BulkEngine", "BULK_RATE", "BULK_LIMIT"]

#: Calls per second each SIPp instance opens, and the most it keeps in flight. Two instances
#: run at once (the callers' and the PBX's); Asterisk on two cores completes about 200-300
#: signalling-only calls a second, so more in flight than that rate times a few tens of
#: milliseconds only queues calls inside Asterisk and lengthens every call's setup time
#: (100 each gave a p50 of 0.9 s at 185 calls/s: Little's law).
BULK_RATE = 200.0
BULK_LIMIT = 25

Placer = Callable[..., SippCalls]


@dataclass
class BulkEngine:
    """SIPp callers plus the recorder at the trunks: the checks of DDI numbers.

    ``origin_host``: the external callers' carrier address; ``pbx_hosts``: PBX trunk endpoint
    name -> its address (calls from the PBX are sent from there).
    """

    trunks: TrunkRecorder
    origin: str
    origin_host: str
    pbx_hosts: Mapping[str, str]
    rate: float = BULK_RATE
    limit: int = BULK_LIMIT
    place: Placer = place_calls
    setup_ms: list[float] = field(default_factory=list)
    calls: int = 0
    max_in_flight: int = 0
    elapsed_s: float = 0.0
    cpu_s: float = 0.0
    _stop: threading.Event = field(default_factory=threading.Event, repr=False)

    def check(self, expected: Sequence[Expected], checkpoint: str,
              external: Callable[[], str],
              on_result: Callable[[CheckResult], None] | None = None) -> list[CheckResult]:
        """Inbound and outbound caller-ID checks (and the derived ones) of every number of
        ``expected`` that has a PBX trunk; results in ``expected``'s order.

        ``on_result`` gets each number's results as soon as both its calls have their final
        answer (from the threads reading SIPp's logs, one result at a time); a number with a
        call placed again gets them after that. Raises HarnessError when :meth:`interrupt`
        stopped the run (what was handed on stays handed on).
        """
        ddi = [e for e in expected if e.pbx is not None]
        if not ddi:
            return []
        hand = on_result or (lambda r: None)
        inbound_rows: list[CallRow] = []
        outbound_rows: dict[str, list[CallRow]] = {}
        plan: dict[str, tuple[Expected, str, str]] = {}
        for i, exp in enumerate(ddi):
            caller, destination = external(), external()
            tag = f"{checkpoint}.{i}"
            inbound_rows.append((f"{tag}.in", exp.number, caller))
            assert exp.pbx is not None
            outbound_rows.setdefault(exp.pbx, []).append((f"{tag}.out", destination,
                                                          exp.number))
            plan[tag] = (exp, caller, destination)
        runs: list[tuple[str, Sequence[CallRow]]] = [(self.origin_host, inbound_rows)]
        for pbx, rows in outbound_rows.items():
            if pbx not in self.pbx_hosts:
                raise HarnessError(f"no address for PBX trunk {pbx}")
            runs.append((self.pbx_hosts[pbx], rows))
        done: dict[str, list[CheckResult]] = {}
        finals: dict[str, CallOutcome] = {}
        lock = threading.Lock()

        def final(outcome: CallOutcome) -> None:
            """A call's final answer: the number's results once its other call has one."""
            tag, _, leg = outcome.tag.rpartition(".")
            other = f"{tag}.{'out' if leg == 'in' else 'in'}"
            with lock:
                finals[outcome.tag] = outcome
                if tag not in plan or tag in done or other not in finals:
                    return
                done[tag] = self._judged(tag, plan[tag], finals, {})
                for result in done[tag]:
                    hand(result)

        outcomes = self._run(runs, final)
        retried = self._again(runs, outcomes)
        with lock:
            for tag in plan:
                if tag not in done:
                    done[tag] = self._judged(tag, plan[tag], outcomes, retried)
                    for result in done[tag]:
                        hand(result)
        return [r for tag in plan for r in done[tag]]

    def interrupt(self) -> None:
        """Stop the SIPp runs at once (Ctrl-C, Asterisk gone): :meth:`check` then raises."""
        self._stop.set()

    def _judged(self, tag: str, planned: tuple[Expected, str, str],
                outcomes: dict[str, CallOutcome], retried: dict[str, CallOutcome]
                ) -> list[CheckResult]:
        """A number's inbound and outbound checks (and the derived ones) from its calls."""
        exp, caller, destination = planned
        got_in, arrival = self._got(f"{tag}.in", outcomes, retried)
        verdict, arrived = inbound_verdict(exp, caller, arrival, _answer(got_in))
        inbound = CheckResult(exp.checkpoint, exp.number, "inbound", *verdict,
                              self._evidence(arrival, got_in, retried.get(f"{tag}.in")),
                              retried=f"{tag}.in" in retried)
        got_out, arrival_out = self._got(f"{tag}.out", outcomes, retried)
        verdict = outbound_verdict(exp, destination, self.origin, arrival_out,
                                   _answer(got_out), source="PBX")
        outbound = CheckResult(exp.checkpoint, exp.number, "outbound_callerid", *verdict,
                               self._evidence(arrival_out, got_out, retried.get(f"{tag}.out")),
                               retried=f"{tag}.out" in retried)
        presented = arrival_out["from_user"] if arrival_out else None
        return [inbound, outbound, *derived_checks(exp, arrived, presented, inbound.evidence)]

    def _again(self, runs: Sequence[tuple[str, Sequence[CallRow]]],
               outcomes: dict[str, CallOutcome]) -> dict[str, CallOutcome]:
        """Place once more every call that got no final answer (tag ``<tag>.again``); returns
        the first outcome of each call placed again, by its tag."""
        first = {t: o for t, o in outcomes.items() if o.status is None}
        if not first:
            return {}
        again = [(source, [(f"{t}.again", called, calling) for t, called, calling in rows
                           if t in first]) for source, rows in runs]
        outcomes.update(self._run([(s, rows) for s, rows in again if rows]))
        return first

    def _got(self, tag: str, outcomes: dict[str, CallOutcome], retried: dict[str, CallOutcome]
             ) -> tuple[CallOutcome, dict[str, Any] | None]:
        """A call's outcome and arrival: its second placing's if it was placed again."""
        if tag in retried:
            tag = f"{tag}.again"
        return outcomes.get(tag) or CallOutcome(tag), self.trunks.by_tag(tag)

    def unallocated(self, checkpoint: str, number: str, caller: str) -> CheckResult:
        """A call to a number no range holds gets 404 and arrives nowhere (through SIPp)."""
        tag = f"{checkpoint}.unallocated"
        got = self._run([(self.origin_host, [(tag, number, caller)])]).get(tag,
                                                                              CallOutcome(tag))
        arrival = self.trunks.by_tag(tag)
        observed = _answer(got) + (" and arrived" if arrival else "")
        ok = got.status == 404 and arrival is None
        return CheckResult(checkpoint, number, "unallocated", "404", observed, ok,
                           "404: no range holds it" if ok else
                           f"{number} at {checkpoint}: unallocated, expected 404; got {observed}",
                           self._evidence(arrival, got))

    def figures(self) -> dict[str, Any]:
        """Calls placed, setup time p50/p99 (INVITE to final answer), most in flight, SIPp CPU."""
        ordered = sorted(self.setup_ms)

        def pct(q: float) -> float | None:
            if not ordered:
                return None
            return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 2)
        return {"calls": self.calls, "setup_ms_p50": pct(0.5), "setup_ms_p99": pct(0.99),
                "setup_ms_mean": round(statistics.fmean(ordered), 2) if ordered else None,
                "max_in_flight": self.max_in_flight, "elapsed_s": round(self.elapsed_s, 2),
                "sipp_cpu_s": round(self.cpu_s, 2)}

    def _run(self, runs: Sequence[tuple[str, Sequence[CallRow]]],
             on_final: Callable[[CallOutcome], None] | None = None) -> dict[str, CallOutcome]:
        """One SIPp per source address, all at once; every row's outcome by tag (each final
        one handed to ``on_final`` as SIPp logs it). Raises HarnessError once interrupted."""
        if self._stop.is_set():
            raise HarnessError("the bulk calls were interrupted")
        results: list[SippCalls | BaseException] = [HarnessError("not run")] * len(runs)

        def one(i: int, source: str, rows: Sequence[CallRow]) -> None:
            try:
                results[i] = self.place(rows, source=source, target=(ASTERISK_HOST, SIP_PORT),
                                        rate=self.rate, limit=self.limit, on_final=on_final,
                                        stop=self._stop)
            except BaseException as exc:  # noqa: BLE001 - raised in the calling thread
                results[i] = exc
        threads = [threading.Thread(target=one, args=(i, s, r), name=f"sipp-{s}", daemon=True)
                   for i, (s, r) in enumerate(runs)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        outcomes: dict[str, CallOutcome] = {}
        for result in results:
            if isinstance(result, BaseException):
                raise result
            outcomes.update(result.outcomes)
            self.calls += len(result.outcomes)
            self.setup_ms += [o.setup_ms for o in result.outcomes.values()
                              if o.setup_ms is not None]
            self.cpu_s += result.cpu_s
        self.elapsed_s += max((r.elapsed_s for r in results if isinstance(r, SippCalls)),
                              default=0.0)
        self.max_in_flight = max(self.max_in_flight,
                                 sum(r.max_in_flight for r in results
                                     if isinstance(r, SippCalls)))
        if self._stop.is_set():
            raise HarnessError("the bulk calls were interrupted")
        return outcomes

    @staticmethod
    def _evidence(arrival: dict[str, Any] | None, got: CallOutcome,
                  first: CallOutcome | None = None) -> dict[str, Any]:
        evidence = sip_evidence(arrival, got.status)
        evidence["engine"] = "sipp"
        if first is not None:
            evidence["first_attempt"] = "no final answer SIPp expects"
        if got.setup_ms is not None:
            evidence["setup_ms"] = round(got.setup_ms, 2)
        return evidence


def _answer(got: CallOutcome) -> str:
    return (f"{got.status}" if got.status is not None
            else "no final answer SIPp expects (see its error log)")
