"""sip_harness.agents.pjerrors without pjsua2: every pjsua2 error becomes the project's."""

from __future__ import annotations

import pickle

import pytest

from sim.errors import HarnessError, HarnessTimeout, SIPCallError
from sip_harness.agents.pjerrors import (
    ERROR_MAP,
    PJ_ETIMEDOUT,
    PJ_ETOOMANY,
    call_error,
    translate_error,
)


class FakePjError(Exception):
    """What pjsua2 raises: ``status`` (pj_status_t) and ``reason``."""

    def __init__(self, status: int, reason: str):
        super().__init__(reason)
        self.status, self.reason = status, reason


@pytest.mark.parametrize(("status", "row", "kind", "sip"), [
    (PJ_ETIMEDOUT, "timeout", HarnessTimeout, None),     # pjlib timed out
    (171408, "timeout", HarnessTimeout, None),           # SIP 408 Request Timeout
    (PJ_ETOOMANY, "too-many", SIPCallError, None),       # the wheel's 4-call limit
    (171486, "sip-status", SIPCallError, 486),           # a SIP status hidden in the pj status
    (120001, "other", SIPCallError, None),               # anything else pjsua2 reports
])
def test_every_mapped_error_is_reachable(status: int, row: str, kind: type, sip: int | None
                                         ) -> None:
    error = translate_error(FakePjError(status, "why"), "calling x")
    assert type(error) is kind and "calling x" in str(error)
    if isinstance(error, SIPCallError):
        assert (error.status, error.reason) == (sip, "why")


def test_the_table_has_exactly_the_rows_tested() -> None:
    assert [name for name, *_ in ERROR_MAP] == ["timeout", "too-many", "sip-status", "other"]


def test_harness_errors_pass_through() -> None:
    original = HarnessError("already ours")
    assert translate_error(original, "x") is original


def test_sip_call_error_keeps_status_across_processes() -> None:
    error = pickle.loads(pickle.dumps(SIPCallError("m", status=486, reason="Busy Here")))
    assert (str(error), error.status, error.reason) == ("m", 486, "Busy Here")


def test_call_error_from_a_call_snapshot() -> None:
    error = call_error({"status": 404, "reason": "Not Found"}, "call 1")
    assert isinstance(error, SIPCallError) and error.status == 404
    assert isinstance(call_error({"status": 408, "reason": "Timeout"}, "c"), HarnessTimeout)
