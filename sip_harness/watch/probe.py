"""One probe of a number with real calls: where an inbound call lands, which caller ID it presents.

A :class:`FleetProber` places the calls through a :class:`~sip_harness.agents.fleet.Fleet`
(the scenario's trunks and the customers' phones, as ``verify`` uses it): inbound, a call
from the external callers' carrier to the number, found where it arrived (a carrier's trunk
or the customer's phone); outbound, a call from the customer's phone to an external number,
found at the carrier's trunk with the number it presents. Every call is torn down (hung up
and waited for until it has ended) before the probe returns; a call without a final answer in
time arrived nowhere. Each probe's external number is new within a round, and the fleet
forgets what arrived between rounds (:meth:`FleetProber.forget`), so arrivals are matched to
the probe that made them and nothing grows with the hours.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Mapping
from typing import Any, Protocol

from sim.errors import HarnessTimeout, SIPCallError
from sip_harness.agents.fleet import CALLER, Fleet
from sip_harness.topology import ASTERISK_HOST, SIP_PORT
from sip_harness.verify.expectations import Where

__all__ = ["Prober", "FleetProber", "ANSWER_TIMEOUT"]

#: Seconds a probe waits for a final answer (and then for the call to end).
ANSWER_TIMEOUT = 10.0


class Prober(Protocol):
    """What the watcher needs of the calls it places (a fake in the unit tests)."""

    def inbound(self, number: str) -> tuple[Where | None, int | None]:
        """Call ``number`` from outside: where it landed (None: nowhere) and the status."""

    def outbound(self, number: str) -> tuple[str | None, int | None]:
        """Call out from ``number``'s phone: the caller ID presented (None: nothing arrived)."""

    def forget(self) -> None:
        """Between rounds: drop what the calls left behind."""

    def live_calls(self) -> int:
        """Calls up right now."""


class FleetProber:
    """Probes through ``fleet``; ``gaining`` gives each number's gaining carrier (whose hosted
    service its phone is on); external numbers are drawn from ``external_prefix``."""

    def __init__(self, fleet: Fleet, gaining: Mapping[str, str], external_prefix: str,
                 *, destination_carrier: str) -> None:
        self.fleet = fleet
        self.gaining = dict(gaining)
        self.prefix = external_prefix
        self.destination_carrier = destination_carrier
        self._digits = max(3, 12 - len(external_prefix) + 1)
        self._serial = itertools.count(int(time.time()) % 1000)
        self._lock = threading.Lock()

    def _external(self) -> str:
        with self._lock:
            n = next(self._serial)
        return self.prefix + f"{n % 10 ** self._digits:0{self._digits}d}"

    def _place(self, agent: Any, ua: str, number: str, caller: str | None) -> int | None:
        """Place a call, wait for its final answer, tear it down; return the final status."""
        self.fleet.pace()
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
        if not arrivals:
            return None, status
        at = arrivals[0]["ua"]
        if at == number:
            return Where(self.gaining[number], True), status
        return Where(at, False), status

    def outbound(self, number: str) -> tuple[str | None, int | None]:
        destination = self._external()
        status = self._place(self.fleet.phone(number), number, destination, None)
        arrivals = self.fleet.trunk_arrivals(user=destination)
        if not arrivals:
            return None, status
        seen = arrivals[0]
        presented, pai = seen["from_user"], seen["pai_user"]
        if pai != presented:
            return f"From {presented}, PAI {pai}", status
        if seen["ua"] != self.destination_carrier:
            return f"{presented} at {seen['ua']}", status
        return presented, status

    def forget(self) -> None:
        self.fleet.forget()

    def live_calls(self) -> int:
        return self.fleet.live_calls()
