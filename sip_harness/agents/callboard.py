"""The board of an agent's calls and arrivals: plain state the pump posts, any thread waits on.

:class:`~sip_harness.agents.agent.SIPAgent` is a :class:`CallBoard`: its pump thread records each
call's :class:`CallState` and each :class:`~sip_harness.agents.invite.Arrival` here under one
condition and notifies it; other threads wait on that condition for what they need, each wait
bounded by a timeout and cut short by an interrupt. Nothing here imports or touches pjsua2.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any, TypeVar

from sim.errors import HarnessError, HarnessTimeout
from sip_harness.agents.invite import Arrival
from sip_harness.agents.pjerrors import call_error

__all__ = ["CallBoard", "CallState"]

_T = TypeVar("_T")


@dataclass
class CallState:
    id: int
    ua: str
    state: str = "calling"        # calling, early, confirmed, disconnected
    status: int | None = None     # last SIP status
    reason: str = ""
    digits: str = ""
    media: bool = False
    confirmed: bool = False

    def snapshot(self) -> dict[str, Any]:
        return asdict(self)


class CallBoard:
    """Call states and arrivals behind one condition, and the waits on them. Thread-safe."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._states: dict[int, CallState] = {}
        self._arrivals: list[Arrival] = []
        self._refusals: list[Arrival] = []   # INVITEs pjsua answered itself (slots full)
        self._interrupted: str | None = None
        self.max_live = 0

    def wait_call(self, cid: int, until: str, timeout: float) -> dict[str, Any]:
        """Wait until call ``cid`` is ``confirmed`` (answered), ``final`` (answered or ended),
        ``media`` (audio flowing) or ``disconnected``; return its state as a dict.

        Raises HarnessTimeout when that does not happen in time, and SIPCallError when the call
        ends first while waiting for ``confirmed`` or ``media``.
        """
        def ready() -> dict[str, Any] | None:
            state = self._states.get(cid)
            if state is None:
                raise HarnessError(f"no call {cid} in this agent")
            done = {"confirmed": state.confirmed, "media": state.media,
                    "final": state.confirmed or state.state == "disconnected",
                    "disconnected": state.state == "disconnected"}[until]
            if done:
                return state.snapshot()
            if state.state == "disconnected":
                raise call_error(state.snapshot(), f"call {cid} ended before it was {until}")
            return None
        return self._wait(ready, timeout, f"call {cid} to be {until}")

    def wait_digits(self, cid: int, count: int, timeout: float) -> str:
        """Wait until call ``cid`` has received ``count`` DTMF digits; return them."""
        def ready() -> str | None:
            state = self._states[cid]
            return state.digits if len(state.digits) >= count else None
        return self._wait(ready, timeout, f"{count} DTMF digits on call {cid}")

    def call_state(self, cid: int) -> dict[str, Any]:
        with self._cond:
            return self._states[cid].snapshot()

    def arrivals(self, **match: str) -> list[dict[str, Any]]:
        """What arrived so far whose fields equal ``match`` (for example user=, from_user=)."""
        with self._cond:
            return [a.as_dict() for a in self._arrivals
                    if all(getattr(a, k) == v for k, v in match.items())]

    def refusals(self, **match: str) -> list[dict[str, Any]]:
        """INVITEs this process refused before any UA saw them (pjsua answers 486 on its own
        when all its call slots are taken), whose fields equal ``match``."""
        with self._cond:
            return [a.as_dict() for a in self._refusals
                    if all(getattr(a, k) == v for k, v in match.items())]

    def wait_arrival(self, timeout: float, **match: str) -> dict[str, Any]:
        """Wait for an arrival whose fields equal ``match``; return it."""
        def ready() -> dict[str, Any] | None:
            for a in self._arrivals:
                if all(getattr(a, k) == v for k, v in match.items()):
                    return a.as_dict()
            return None
        return self._wait(ready, timeout, f"a call arriving with {match}")

    def forget(self) -> int:
        """Drop the records of ended calls and every arrival; return how many calls it dropped.

        A caller that runs for hours (the watcher) calls it between rounds of calls, when none
        of its calls is live: otherwise the board keeps every call and arrival it ever saw.
        """
        with self._cond:
            ended = [cid for cid, s in self._states.items() if s.state == "disconnected"]
            for cid in ended:
                del self._states[cid]
            self._arrivals.clear()
            self._refusals.clear()
        return len(ended)

    def stats(self) -> dict[str, int]:
        with self._cond:
            live = sum(1 for s in self._states.values() if s.state != "disconnected")
            return {"live": live, "max_live": self.max_live, "calls": len(self._states),
                    "refused": len(self._refusals)}

    def _wait(self, ready: Callable[[], _T | None], timeout: float, what: str) -> _T:
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                if self._interrupted is not None:
                    raise HarnessError(self._interrupted)
                value = ready()
                if value is not None:
                    return value
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise HarnessTimeout(f"no {what} within {timeout:.1f} s")
                self._cond.wait(remaining)
