"""What a call's arrival says about a check: the one comparison both call engines use (pure).

pjsua2 (:mod:`sip_harness.verify.checks`) and the SIPp bulk engine
(:mod:`sip_harness.verify.bulk`) both record where a call arrived as an
:class:`~sip_harness.agents.invite.Arrival` dict (``ua`` the place it reached, ``uri`` the
Request-URI, ``headers``, ``from_user``, ``pai_user``); these functions compare it with the
routing core's :class:`~sip_harness.verify.expectations.Expected`, so a check claims the same
thing whichever engine placed the call.

- inbound: the call arrived where expected (a carrier's trunk, the customer's phone, or the
  customer's PBX trunk); at a trunk or a PBX the Request-URI and To carry the called number in
  E.164 (a phone is reached by its extension); the callee saw the caller's number in From.
- outbound caller ID: the call arrived at the destination's carrier presenting the expected
  number in From and in P-Asserted-Identity.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from sip_harness.agents.invite import user_part
from sip_harness.verify.expectations import Expected, Where

__all__ = ["Verdict", "arrived_where", "inbound_verdict", "outbound_verdict", "sip_evidence"]


class Verdict(NamedTuple):
    """A check's outcome: expected and observed (short), passed, and the reason in words."""

    expected: str
    observed: str
    passed: bool
    reason: str


def sip_evidence(arrival: dict[str, Any] | None, status: Any = None) -> dict[str, Any]:
    """The SIP evidence of a check's record: what the arrival carried, and the caller's status."""
    if arrival is None:
        return {"status": status}
    headers = arrival.get("headers", {})
    return {"r_uri": arrival["uri"], "to": headers.get("to"), "from": headers.get("from"),
            "pai": headers.get("p-asserted-identity"), "arrived_at": arrival["ua"],
            "serving": headers.get("x-cutover-serving"), "path": headers.get("x-cutover-path"),
            "status": status}


def arrived_where(exp: Expected, arrival: dict[str, Any]) -> Where:
    """Where a call to ``exp.number`` ended, from the place its arrival reached."""
    if arrival["ua"] == exp.number:
        return Where(exp.gaining, True)
    if exp.pbx is not None and arrival["ua"] == exp.pbx:
        return Where(exp.gaining, True, True)
    return Where(arrival["ua"], False)


def inbound_verdict(exp: Expected, caller: str, arrival: dict[str, Any] | None,
                    answer: str) -> tuple[Verdict, Where | None]:
    """The inbound check of ``exp.number`` called as ``caller``; ``answer`` is what the caller
    got (``"486 Busy Here"``). Returns the verdict and where the call arrived (None: nowhere)."""
    expected = str(exp.where)
    if arrival is None:
        return Verdict(expected, "nowhere", False,
                       f"{exp.number} at {exp.checkpoint}: expected {expected} ({exp.reason}); "
                       f"the call arrived nowhere (caller got {answer})"), None
    arrived = arrived_where(exp, arrival)
    observed = str(arrived)
    problems = []
    if arrived != exp.where:
        # a customer with several sites has a PBX trunk per site: say which one was meant
        trunk = f" on {exp.pbx}" if exp.pbx is not None and exp.where.pbx else ""
        problems.append(f"expected {expected}{trunk} ({exp.reason}); the call arrived at "
                        f"{observed}")
    if not (arrived.phone and not arrived.pbx):  # a trunk or a PBX gets the number itself
        r_uri = user_part(arrival["uri"])
        to = user_part(arrival.get("headers", {}).get("to", ""))
        if r_uri != exp.number:
            problems.append(f"the Request-URI carries {r_uri!r}, not {exp.number}")
        if to != exp.number:
            problems.append(f"To carries {to!r}, not {exp.number}")
    if arrival["from_user"] != caller:
        problems.append(f"the callee saw caller ID {arrival['from_user']!r}, not {caller}")
    reason = (f"{exp.number} at {exp.checkpoint}: " + "; ".join(problems) if problems
              else f"arrived at {observed}; caller ID {caller} seen")
    return Verdict(expected, observed, not problems, reason), arrived


def outbound_verdict(exp: Expected, destination: str, destination_carrier: str,
                     arrival: dict[str, Any] | None, answer: str, *, source: str = "phone"
                     ) -> Verdict:
    """The outbound caller-ID check: a call from the number's ``source`` ("phone" or "PBX") to
    ``destination`` at ``destination_carrier``; ``answer`` is what the caller got."""
    if arrival is None:
        return Verdict(exp.presented, "nothing arrived", False,
                       f"{exp.number} at {exp.checkpoint}: a call from its {source} to "
                       f"{destination} arrived nowhere (got {answer})")
    seen_from, seen_pai = arrival["from_user"], arrival["pai_user"]
    problems = []
    if seen_from != exp.presented:
        problems.append(f"From presents {seen_from!r}")
    if seen_pai != exp.presented:
        problems.append(f"P-Asserted-Identity presents {seen_pai!r}")
    if arrival["ua"] != destination_carrier:
        problems.append(f"arrived at {arrival['ua']}, not {destination_carrier}")
    if user_part(arrival["uri"]) != destination:
        problems.append(f"the Request-URI carries {user_part(arrival['uri'])!r}, "
                        f"not {destination}")
    why = ("the ported number: the port is active" if exp.presented == exp.number
           else "the temporary number: the port is not active")
    reason = (f"{exp.number} at {exp.checkpoint}: expected {exp.presented} ({why}); "
              + "; ".join(problems) if problems else f"From and PAI present {exp.presented}")
    observed = seen_from if seen_from == seen_pai else f"From {seen_from}, PAI {seen_pai}"
    return Verdict(exp.presented, observed, not problems, reason)
