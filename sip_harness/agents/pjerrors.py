"""pjsua2's failures as the project's exceptions, and the limits of the pjsua2 wheel.

The one boundary where a pjsua2 ``Error`` (a pj status and a reason) becomes a
:class:`~sim.errors.HarnessError`: :data:`ERROR_MAP`, most specific row first, used by
:func:`translate_error`; :func:`call_error` does the same for a call that ended with a failure.
:class:`~sim.errors.SIPCallError` keeps its SIP status and reason when it is pickled to another
process (the fleet's workers). Nothing here imports pjsua2.
"""

from __future__ import annotations

import copyreg
from collections.abc import Callable, Mapping
from typing import Any

from sim.errors import HarnessError, HarnessTimeout, SIPCallError

__all__ = ["ERROR_MAP", "translate_error", "call_error", "MAX_CALLS", "MAX_UAS", "PJ_ETIMEDOUT",
           "PJ_ETOOMANY"]

#: Calls one process can hold at once (pjsua's compiled-in PJSUA_MAX_CALLS in the wheel).
MAX_CALLS = 4
#: Transports and accounts one process can hold (PJSUA_MAX_ACC / transports in the wheel).
MAX_UAS = 8
# pj_status_t values (pj/errno.h, pjsip/sip_errno.h): PJSIP_ERRNO_START + a SIP status code.
_PJSIP_ERRNO_START = 171000
PJ_ETIMEDOUT = 70009
PJ_ETOOMANY = 70010

# The one place where pjsua2 failures become the project's, most specific first: a predicate on
# (pj status, SIP status), the exception, and words. A test checks that every row is reachable.
ERROR_MAP: tuple[tuple[str, Callable[[int, int | None], bool], type[HarnessError], str], ...] = (
    ("timeout", lambda pj, sip: pj == PJ_ETIMEDOUT or sip == 408, HarnessTimeout,
     "no answer in time"),
    ("too-many", lambda pj, sip: pj == PJ_ETOOMANY, SIPCallError,
     f"too many calls or agents in one process (this pjsua2 holds {MAX_CALLS} calls, "
     f"{MAX_UAS} transports)"),
    ("sip-status", lambda pj, sip: sip is not None, SIPCallError, "refused"),
    ("other", lambda pj, sip: True, SIPCallError, "pjsua2 failed"),
)


def _sip_status(pj_status: int) -> int | None:
    code = pj_status - _PJSIP_ERRNO_START
    return code if 100 <= code < 700 else None


def translate_error(exc: BaseException, doing: str) -> HarnessError:
    """The project's exception for a pjsua2 ``Error`` (or anything else) raised while ``doing``.

    A SIP status hidden in the pj status becomes ``SIPCallError.status``; pjsua2's reason
    text becomes ``reason``. HarnessError instances pass through unchanged.
    """
    if isinstance(exc, HarnessError):
        return exc
    pj_status = int(getattr(exc, "status", 0) or 0)
    reason = str(getattr(exc, "reason", "") or exc or type(exc).__name__).strip()
    sip = _sip_status(pj_status)
    for _name, matches, ours, words in ERROR_MAP:
        if matches(pj_status, sip):
            message = f"{doing}: {words} ({reason})"
            if ours is SIPCallError:
                return SIPCallError(message, status=sip, reason=reason)
            return ours(message)
    raise AssertionError("ERROR_MAP ends with a catch-all")  # pragma: no cover


def call_error(snapshot: Mapping[str, Any], doing: str) -> HarnessError:
    """The exception for a call that ended with a failure (``snapshot`` from ``wait_call``)."""
    status = snapshot.get("status")
    reason = str(snapshot.get("reason") or "")
    if status == 408:
        return HarnessTimeout(f"{doing}: {status} {reason}".strip())
    return SIPCallError(f"{doing}: {status} {reason}".strip(), status=status, reason=reason)


def _rebuild_sip_error(message: str, status: int | None, reason: str | None) -> SIPCallError:
    return SIPCallError(message, status=status, reason=reason)


# SIPCallError keeps its status and reason when it crosses to another process (fleet).
copyreg.pickle(SIPCallError, lambda e: (_rebuild_sip_error, (str(e), e.status, e.reason)))
