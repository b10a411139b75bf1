"""sip_harness.watch.probe: a round's batch of DDI probes through a fake SIPp and recorder."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sim.errors import HarnessTimeout
from sip_harness.agents.sipp_caller import CallOutcome, SippCalls
from sip_harness.verify.expectations import Where
from sip_harness.watch.plan import NumberPlan, Planned
from sip_harness.watch.probe import CallProber

A, B = "+441632960002", "+441632960003"
PBX = "pbx-acme-callagenix"


def plan(number: str) -> NumberPlan:
    old, new = Where("bt", False), Where("callagenix", True, True)
    return NumberPlan(number, "p", "bt", "callagenix", old, new,
                      (Planned(None, old, number, ""),), ())


class FakeRecorder:
    """Where each tagged call arrived: A's at the PBX, B's at bt; outbound at vodafone."""

    def __init__(self) -> None:
        self.forgotten = 0
        self.arrived: dict[str, dict[str, Any]] = {}

    def by_tag(self, tag: str) -> dict[str, Any] | None:
        return self.arrived.get(tag)

    def forget(self) -> None:
        self.forgotten += 1


class FakeFleet:
    def forget(self) -> int:
        return 0

    def live_calls(self) -> int:
        return 0


def test_a_batch_is_one_inbound_run_and_one_outbound_run_per_pbx() -> None:
    recorder = FakeRecorder()
    runs: list[tuple[str, list[tuple[str, str, str]], float, int]] = []

    def place(rows: list[tuple[str, str, str]], *, source: str, rate: float, limit: int,
              **kw: Any) -> SippCalls:
        runs.append((source, list(rows), rate, limit))
        for tag, called, calling in rows:
            if tag.endswith(".in"):
                ua = PBX if called == A else "bt"
                recorder.arrived[tag] = {"ua": ua, "from_user": calling, "pai_user": calling,
                                         "uri": f"sip:{called}@x"}
            else:
                shown = calling if calling == A else "+440000"
                recorder.arrived[tag] = {"ua": "vodafone", "from_user": shown,
                                         "pai_user": shown, "uri": f"sip:{called}@x"}
        outcomes = {t: CallOutcome(t, 486, 5.0, 100.0 * i) for i, (t, _, _) in enumerate(rows)}
        return SippCalls(outcomes, 0.1, 0.0, 2)

    prober = CallProber(FakeFleet(), recorder, {A: plan(A), B: plan(B)},  # type: ignore[arg-type]
                        pbx={A: PBX, B: PBX}, pbx_hosts={PBX: "127.1.0.1"}, origin="vodafone",
                        origin_host="127.0.1.3", external_prefix="+447700900", place=place)
    assert prober.batched(A) and not prober.batched("+441632960001")
    probed, peak = prober.batch([A, B], outbound=True, rate=5.0, limit=3)
    assert [(r[0], len(r[1]), r[2], r[3]) for r in runs] == [
        ("127.0.1.3", 2, 5.0, 3), ("127.1.0.1", 2, 5.0, 3)]
    assert [row[1] for row in runs[0][1]] == [A, B]         # inbound: the numbers called
    assert [row[2] for row in runs[1][1]] == [A, B]         # outbound: the numbers present
    assert len({row[2] for row in runs[0][1]} | {row[1] for row in runs[1][1]}) == 4
    assert [(p.number, p.landed, p.status, p.presented) for p in probed] == [
        (A, Where("callagenix", True, True), 486, A), (B, Where("bt", False), 486, "+440000")]
    assert probed[1].offset >= 0.1 and peak == 2               # SIPp's clock, 100 ms apart


def test_a_probe_is_timed_by_when_its_call_arrived_not_by_sipps_clock() -> None:
    """SIPp's clock starts when SIPp has started, some time after the batch did."""
    recorder = FakeRecorder()

    def place(rows: list[tuple[str, str, str]], **kw: Any) -> SippCalls:
        time.sleep(0.3)  # SIPp starting
        for tag, called, calling in rows:
            recorder.arrived[tag] = {"ua": PBX, "from_user": calling, "pai_user": calling,
                                     "uri": f"sip:{called}@x", "at": time.monotonic()}
        return SippCalls({t: CallOutcome(t, 486, 5.0, 0.0) for t, _, _ in rows}, 0.1, 0.0, 1)

    prober = CallProber(FakeFleet(), recorder, {A: plan(A)},  # type: ignore[arg-type]
                        pbx={A: PBX}, pbx_hosts={PBX: "127.1.0.1"}, origin="vodafone",
                        origin_host="127.0.1.3", external_prefix="+447700900", place=place)
    [probed], _ = prober.batch([A], outbound=False, rate=5.0, limit=3)
    assert probed.offset >= 0.3  # SIPp's clock says 0.0
    prober.forget()
    assert recorder.forgotten == 1


class LineFleet(FakeFleet):
    """One phone worker whose line is held (or not to be had) while a probe's call is up."""

    def __init__(self, free: bool = True) -> None:
        self.held, self.free, self.agent = False, free, PhoneAgent(self)

    def phone(self, number: str) -> Any:
        return self.agent

    def pace(self) -> None:
        pass

    @contextmanager
    def line(self, agent: Any) -> Iterator[None]:
        if not self.free:
            raise HarnessTimeout("no turn on a phone worker's line within 60 s")
        self.held = True
        try:
            yield
        finally:
            self.held = False

    @contextmanager
    def in_flight_call(self) -> Iterator[None]:
        yield

    def trunk_arrivals(self, **match: str) -> list[dict[str, Any]]:
        return []


class PhoneAgent:
    def __init__(self, fleet: LineFleet) -> None:
        self.fleet = fleet
        self.calls_on_the_line: list[bool] = []

    def call(self, ua: str, uri: str, caller: str | None = None) -> int:
        self.calls_on_the_line.append(self.fleet.held)
        return 1

    def wait_call(self, cid: int, state: str, timeout: float) -> dict[str, Any]:
        return {"status": 200}

    def hangup(self, cid: int) -> None:
        pass

    def arrivals(self, **match: str) -> list[dict[str, Any]]:
        return [{"ua": A, "from_user": match["from_user"], "pai_user": None, "uri": "x"}]


def prober_over(fleet: LineFleet) -> CallProber:
    return CallProber(fleet, FakeRecorder(), {A: plan(A)},  # type: ignore[arg-type]
                      pbx={}, pbx_hosts={}, origin="vodafone", origin_host="127.0.1.3",
                      external_prefix="+447700900")


def test_a_phones_probe_holds_its_workers_line_while_the_call_is_up() -> None:
    fleet = LineFleet()
    landed, status = prober_over(fleet).inbound(A)
    assert fleet.agent.calls_on_the_line == [True] and not fleet.held
    assert (landed, status) == (Where("callagenix", True), 200)


def test_a_probe_that_gets_no_turn_on_the_line_saw_nothing() -> None:
    fleet = LineFleet(free=False)
    landed, status = prober_over(fleet).inbound(A)
    assert fleet.agent.calls_on_the_line == [] and status is None
