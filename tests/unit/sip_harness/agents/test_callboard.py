"""sip_harness.agents.callboard without pjsua2: waits on call states, bounded by timeouts.

The agent's pump writes ``_states`` under ``_cond``; these tests play the pump.
"""

from __future__ import annotations

import threading

import pytest

from sim.errors import HarnessError, HarnessTimeout, SIPCallError
from sip_harness.agents.callboard import CallBoard, CallState
from sip_harness.agents.invite import Arrival


def board_with(state: CallState) -> CallBoard:
    board = CallBoard()
    board._states[state.id] = state
    return board


def test_a_call_that_never_answers_times_out() -> None:
    board = board_with(CallState(1, "vodafone"))
    with pytest.raises(HarnessTimeout, match="no call 1 to be confirmed within 0.1 s"):
        board.wait_call(1, "confirmed", timeout=0.1)


def test_an_unknown_call_is_an_error() -> None:
    with pytest.raises(HarnessError, match="no call 9"):
        CallBoard().wait_call(9, "final", timeout=0.1)


def test_the_pump_wakes_the_waiter() -> None:
    board = board_with(CallState(1, "vodafone"))

    def answer() -> None:
        with board._cond:
            board._states[1].state, board._states[1].confirmed = "confirmed", True
            board._states[1].status = 200
            board._cond.notify_all()

    timer = threading.Timer(0.05, answer)
    timer.start()
    try:
        got = board.wait_call(1, "confirmed", timeout=5.0)
    finally:
        timer.join()
    assert (got["status"], got["confirmed"]) == (200, True)
    assert board.stats() == {"live": 1, "max_live": 0, "calls": 1, "refused": 0}


def test_a_call_ended_before_it_answered_carries_its_status() -> None:
    board = board_with(CallState(1, "bt", state="disconnected", status=486, reason="Busy Here"))
    with pytest.raises(SIPCallError) as info:
        board.wait_call(1, "confirmed", timeout=1.0)
    assert (info.value.status, info.value.reason) == (486, "Busy Here")
    assert board.wait_call(1, "final", timeout=1.0)["state"] == "disconnected"  # ended is final


def test_digits_and_no_arrivals() -> None:
    board = board_with(CallState(1, "bt", digits="12"))
    assert board.wait_digits(1, 2, timeout=0.1) == "12"
    with pytest.raises(HarnessTimeout):
        board.wait_digits(1, 3, timeout=0.05)
    assert board.arrivals(user="+441632960001") == []
    with pytest.raises(HarnessTimeout, match="a call arriving"):
        board.wait_arrival(0.05, user="+441632960001")


def test_forget_drops_ended_calls_and_arrivals_but_keeps_live_calls() -> None:
    board = board_with(CallState(1, "bt", state="disconnected", status=486))
    board._states[2] = CallState(2, "caller", state="confirmed", confirmed=True)
    board._arrivals.append(Arrival(ua="bt", uri="sip:+441632960001@127.0.1.1", user="+4416",
                                   from_user="+447700900001", pai_user=None, source="x"))
    assert board.forget() == 1
    assert list(board._states) == [2] and board.arrivals() == []
    assert board.stats()["live"] == 1
    assert board.forget() == 0
