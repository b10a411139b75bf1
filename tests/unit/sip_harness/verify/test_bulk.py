"""sip_harness.verify.bulk: DDI checks from SIPp outcomes and recorded arrivals (both faked)."""

from __future__ import annotations

import dataclasses
import itertools
import threading
from collections.abc import Callable, Sequence
from typing import Any

import pytest

from sim.errors import HarnessError
from sip_harness.agents.invite import Arrival
from sip_harness.agents.sipp_caller import CallOutcome, CallRow, SippCalls
from sip_harness.verify.bulk import BulkEngine
from sip_harness.verify.expectations import Expected

PBX = "pbx-acme-callagenix"
EXP = Expected(checkpoint="after_cutover", number="+441632960002", origin="vodafone",
               carrier="callagenix", phone=True, reason="ported", presented="+441632960002",
               mailbox=None, losing="bt", gaining="callagenix", ported=True, pbx=PBX)
OTHER = dataclasses.replace(EXP, number="+441632960003", presented="+441632960003")
PHONE = dataclasses.replace(EXP, number="+441632960001", pbx=None)


class FakeNetwork:
    """Plays Asterisk: each row's call arrives at ``route(called)`` (None: nowhere, 404)."""

    def __init__(self, wrong: dict[str, str] | None = None) -> None:
        self.wrong = wrong or {}
        self.tagged: dict[str, dict[str, Any]] = {}
        self.sources: list[str] = []

    def route(self, called: str, source: str) -> str | None:
        if called.startswith("+4477009"):
            return "vodafone"
        if called == "+440001000000":
            return None
        return self.wrong.get(called, PBX)

    def place(self, rows: Sequence[CallRow], *, source: str, target: tuple[str, int],
              rate: float, limit: int, on_final: Callable[[CallOutcome], None] | None = None,
              stop: threading.Event | None = None) -> SippCalls:
        self.sources.append(source)
        done = self.answer(rows, source)
        for outcome in done.outcomes.values():
            if on_final is not None and outcome.status is not None:
                on_final(outcome)
        return done

    def answer(self, rows: Sequence[CallRow], source: str) -> SippCalls:
        outcomes = {}
        for tag, called, calling in rows:
            place = self.route(called, source)
            if place is None:
                outcomes[tag] = CallOutcome(tag, 404, 1.0, 0.0)
                continue
            self.tagged[tag] = Arrival(
                ua=place, uri=f"sip:{called}@127.1.0.1:5060", user=called, from_user=calling,
                pai_user=calling, source="127.0.0.1:5060",
                headers={"to": f"<sip:{called}@127.1.0.1>"}).as_dict()
            outcomes[tag] = CallOutcome(tag, 486, 2.0, 0.0)
        return SippCalls(outcomes, 0.5, 0.1, len(rows))

    def by_tag(self, tag: str) -> dict[str, Any] | None:
        return self.tagged.get(tag)


def engine(net: FakeNetwork) -> BulkEngine:
    return BulkEngine(net, "vodafone", "127.0.1.3", {PBX: "127.1.0.1"},  # type: ignore[arg-type]
                      place=net.place)


def externals() -> Any:
    counter = itertools.count(100)
    return lambda: f"+447700900{next(counter)}"


def test_every_ddi_number_gets_inbound_and_caller_id_phones_are_left_to_pjsua2() -> None:
    net = FakeNetwork()
    bulk = engine(net)
    results = bulk.check([PHONE, EXP, OTHER], "after_cutover", externals())
    assert [(r.number, r.check, r.passed) for r in results] == [
        (EXP.number, "inbound", True), (EXP.number, "outbound_callerid", True),
        (OTHER.number, "inbound", True), (OTHER.number, "outbound_callerid", True)]
    assert sorted(net.sources) == ["127.0.1.3", "127.1.0.1"]  # callers, and the PBX's calls
    assert results[0].evidence["engine"] == "sipp" and results[0].evidence["setup_ms"] == 2.0
    figures = bulk.figures()
    assert figures["calls"] == 4 and figures["setup_ms_p50"] == 2.0


def test_one_misrouted_ddi_fails_exactly_its_inbound_check() -> None:
    results = engine(FakeNetwork({OTHER.number: "bt"})).check([EXP, OTHER], "after_cutover",
                                                              externals())
    failed = [(r.number, r.check) for r in results if not r.passed]
    assert failed == [(OTHER.number, "inbound")]
    assert "the call arrived at bt" in next(r.reason for r in results if not r.passed)


def test_not_ported_is_read_off_the_inbound_call() -> None:
    before = dataclasses.replace(EXP, checkpoint="before", carrier="bt", phone=False,
                                 ported=False)
    results = engine(FakeNetwork({EXP.number: "bt"})).check([before], "before", externals())
    assert [(r.check, r.passed) for r in results] == [
        ("inbound", True), ("outbound_callerid", True), ("not_ported", True)]


def test_unallocated_through_sipp_wants_404_and_no_arrival() -> None:
    result = engine(FakeNetwork()).unallocated("before", "+440001000000", "+447700900100")
    assert (result.check, result.passed, result.observed) == ("unallocated", True, "404")


class LossyNetwork(FakeNetwork):
    """Gives no final answer to the first call to ``lost`` (SIPp logged nothing for it)."""

    def __init__(self, lost: str, times: int = 1) -> None:
        super().__init__()
        self.lost, self.times = lost, times

    def answer(self, rows: Sequence[CallRow], source: str) -> SippCalls:
        done = super().answer(rows, source)
        for tag, called, _ in rows:
            if called == self.lost and self.times > 0:
                self.times -= 1
                done.outcomes[tag] = CallOutcome(tag)
                self.tagged.pop(tag, None)
        return done


def test_a_call_without_a_final_answer_is_placed_once_more_and_marked_retried() -> None:
    results = engine(LossyNetwork(OTHER.number)).check([EXP, OTHER], "after_cutover",
                                                      externals())
    assert all(r.passed for r in results)
    assert [(r.number, r.check) for r in results if r.retried] == [(OTHER.number, "inbound")]
    again = next(r for r in results if r.retried)
    assert again.evidence["first_attempt"] == "no final answer SIPp expects"


def test_twice_without_a_final_answer_fails_with_the_reason() -> None:
    results = engine(LossyNetwork(OTHER.number, times=2)).check([OTHER], "after_cutover",
                                                               externals())
    inbound = results[0]
    assert (inbound.check, inbound.passed, inbound.retried) == ("inbound", False, True)
    assert "arrived nowhere (caller got no final answer SIPp expects" in inbound.reason


def test_each_numbers_results_are_handed_on_as_its_calls_end_a_retried_one_last() -> None:
    handed: list[tuple[str, str]] = []
    results = engine(LossyNetwork(EXP.number)).check(
        [EXP, OTHER], "after_cutover", externals(),
        on_result=lambda r: handed.append((r.number, r.check)))
    assert handed == [(OTHER.number, "inbound"), (OTHER.number, "outbound_callerid"),
                      (EXP.number, "inbound"), (EXP.number, "outbound_callerid")]
    assert sorted(handed) == sorted((r.number, r.check) for r in results)


class InterruptedNetwork(FakeNetwork):
    """Ctrl-C while the first run is under way: after the first number's calls."""

    bulk: BulkEngine

    def place(self, rows: Sequence[CallRow], **kw: Any) -> SippCalls:
        done = super().place(rows[:1], **kw)
        self.bulk.interrupt()
        return done


def test_an_interrupted_check_raises_keeping_what_was_handed_on() -> None:
    net = InterruptedNetwork()
    net.bulk = engine(net)
    handed: list[str] = []
    with pytest.raises(HarnessError, match="interrupted"):
        net.bulk.check([EXP, OTHER], "after_cutover", externals(),
                       on_result=lambda r: handed.append(r.number))
    assert handed == [EXP.number, EXP.number]  # its inbound and outbound: OTHER never ran
    with pytest.raises(HarnessError, match="interrupted"):  # and nothing more is placed
        net.bulk.unallocated("before", "+440001000000", "+447700900100")
