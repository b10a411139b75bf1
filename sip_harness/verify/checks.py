"""The post-port checks, each a real call: inbound, outbound caller ID, voicemail, negative.

Every check compares what a call did with an :class:`Expected` computed by the routing core at the
checkpoint (see :mod:`sip_harness.verify.runner`) and returns a flat :class:`CheckResult`. A check
that does not apply (a voicemail box the call cannot reach at this instant) says so with
``passed=None``. Calls are placed and received by a :class:`~sip_harness.agents.fleet.Fleet`; every
wait is for an event (a call state, an AMI event) bounded by a timeout, stretched by the
machine's load (:func:`sip_harness.patience.patience`).

- ``inbound``: a call from an external carrier to the number arrives at the carrier (or the
  customer's phone at the carrier) the routing core expects, and the callee sees the caller's
  number.
- ``outbound_callerid``: a call from the customer's phone to an external number arrives there
  presenting the expected number in From and in P-Asserted-Identity.
- ``voicemail``: an unanswered call reaches the number's mailbox, seconds of audio are left, AMI
  shows one more new message with the caller's number in the envelope, and the message is
  retrieved through VoiceMailMain with DTMF (PIN, then 1, and 1 again to skip the date and
  time): the retrieving phone records what it receives and must hear the message's tones
  (:mod:`sip_harness.agents.audio`); it hangs up once the next prompt follows them, and the
  message moves to Old.
- negative: ``not_ported`` (a number whose port is not active reaches the losing carrier),
  ``unallocated`` (404), ``rollback`` (after a rollback, the pre-port state).
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from sim.errors import HarnessError, HarnessTimeout
from sip_harness.agents.agent import CALL_TAG_HEADER, call_error
from sip_harness.agents.audio import ToneListener
from sip_harness.agents.fleet import CALLER, Fleet
from sip_harness.ami import AMIClient
from sip_harness.config import mailbox_pin
from sip_harness.config.dialplan import RING_SECONDS, VOICEMAIL_CONTEXT, VOICEMAIL_MAIN
from sip_harness.patience import patience
from sip_harness.topology import ASTERISK_HOST, SIP_PORT
from sip_harness.verify.expectations import Expected, Where
from sip_harness.verify.judge import inbound_verdict, outbound_verdict, sip_evidence

__all__ = ["CheckResult", "CHECKS", "inbound", "outbound_callerid", "voicemail",
           "unallocated", "derived_checks", "place", "pause", "call_tag", "find_arrival",
           "arrival_of", "tagged", "sip_evidence"]

#: The checks of a number, in the order of the table's columns.
CHECKS = ("inbound", "audio", "outbound_callerid", "voicemail", "not_ported", "rollback")
ANSWER_TIMEOUT = 10.0
MESSAGE_SECONDS = 3.0   # the WAV a caller leaves (Fleet writes it)
LOGIN_SECONDS = 1.0     # after the PIN, before choosing: VoiceMailMain checks it
PROMPT_SECONDS = 0.2    # of the "password" prompt heard before the PIN is sent
LISTEN_TIMEOUT = 12.0   # for the message to start and end after choosing it
MIN_PLAYED = 1.0        # seconds of the message's tones the retrieving phone must hear,
                        # at least (and the envelope's duration less a second)
EVENT_TIMEOUT = 10.0
_RECORDINGS = itertools.count(1)
_TAGS = itertools.count(1)


@dataclass
class CheckResult:
    """One check of one number at one checkpoint: a flat record (JSON lines, JUnit)."""

    checkpoint: str
    number: str
    check: str
    expected: str
    observed: str
    passed: bool | None
    reason: str
    evidence: dict[str, Any] = field(default_factory=dict)
    retried: bool = False   # its call had no final answer in time once and was placed again

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _uri(number: str) -> str:
    return f"sip:{number}@{ASTERISK_HOST}:{SIP_PORT}"


_sip = sip_evidence


def place(fleet: Fleet, agent: Any, ua: str, number: str, caller: str | None,
          until: str = "final", timeout: float = ANSWER_TIMEOUT, tag: str | None = None,
          during: Callable[[int, dict[str, Any]], None] | None = None
          ) -> tuple[int, dict[str, Any]]:
    """Place a call from ``ua`` to ``number`` and wait until it is ``until``; then run
    ``during(call id, state)`` if given (the call is still up) and hang up. Returns the call's
    id and its state. The call holds its worker's line (:meth:`Fleet.line`) until it has
    ended: the phones sharing the worker take turns, so its call slots never run out."""
    fleet.pace()
    with fleet.line(agent), fleet.in_flight_call():
        cid = agent.call(ua, _uri(number), caller=caller, tag=tag)
        try:
            state = agent.wait_call(cid, until, patience(timeout))
            if during is not None:
                during(cid, state)
        finally:
            _end(agent, cid)
    return cid, state


_place = place


def _end(agent: Any, cid: int) -> None:
    """Hang up and wait until the call has ended (its slot in the agent is free again)."""
    agent.hangup(cid)
    agent.wait_call(cid, "disconnected", patience(ANSWER_TIMEOUT))


def inbound(fleet: Fleet, exp: Expected, caller: str) -> tuple[CheckResult, Where | None]:
    """Call the number as ``caller`` on the origin carrier; where did it arrive?

    The call carries a tag of its own (``X-Cutover-Call``, copied onward by the dialplan), and
    its arrival is the one with that tag, wherever it went and whatever it shows: a call that
    arrived with the wrong caller ID says so, rather than seeming to arrive nowhere.
    Returns the result and where the call arrived (None if nowhere).
    """
    agent = fleet.phone(exp.number)
    tag = call_tag("in", exp.number)
    _, state = _place(fleet, agent, CALLER, exp.number, caller, tag=tag)
    arrival = arrival_of(fleet, agent, exp.number, tag)
    verdict, arrived = inbound_verdict(exp, caller, arrival,
                                       f"{state['status']} {state['reason']}")
    return CheckResult(exp.checkpoint, exp.number, "inbound", *verdict,
                       _sip(arrival, state["status"])), arrived


def call_tag(kind: str, number: str) -> str:
    """A tag no other call of this process carries (``X-Cutover-Call``)."""
    return f"{kind}-{next(_TAGS)}-{number.lstrip('+')}"


def find_arrival(fleet: Fleet, agent: Any, number: str, tag: str) -> dict[str, Any] | None:
    """The arrival of the call tagged ``tag`` to ``number``: at its phone, at a trunk for the
    number, or at any trunk (a Request-URI rewritten on the way); None if it arrived nowhere."""
    return tagged(agent.arrivals(ua=number), tag) or tagged(
        fleet.trunk_arrivals(user=number), tag) or tagged(fleet.trunk_arrivals(), tag)


def arrival_of(fleet: Fleet, agent: Any, number: str, tag: str) -> dict[str, Any] | None:
    """:func:`find_arrival`, but a call the phone's own process refused is the harness's fault,
    not the routing's: pjsua answers an INVITE 486 by itself when the worker's call slots are
    all taken (the phone never sees it, and Asterisk then hands the call to voicemail). That
    raises HarnessError, so the check is placed again (the runner's retry) rather than failing
    with "arrived nowhere"."""
    arrival = find_arrival(fleet, agent, number, tag)
    if arrival is None:
        refused = tagged(agent.refusals(ua=number), tag)
        if refused is not None:
            raise HarnessError(f"the call to {number} was refused by its phone's own pjsua2 "
                               f"process ({refused['answered']}: all its call slots were taken),"
                               " before the phone saw it")
    return arrival


def tagged(arrivals: list[dict[str, Any]], tag: str) -> dict[str, Any] | None:
    """The first of ``arrivals`` carrying ``tag``, or None."""
    return next((a for a in arrivals if a.get("headers", {}).get(CALL_TAG_HEADER.lower()) == tag),
                None)


def outbound_callerid(fleet: Fleet, exp: Expected, destination: str, destination_carrier: str
                      ) -> tuple[CheckResult, str | None]:
    """Call ``destination`` from the customer's phone; what caller ID arrived there?

    Returns the result and the presented number (From user) seen, None if nothing arrived.
    """
    agent = fleet.phone(exp.number)
    _, state = _place(fleet, agent, exp.number, destination, None)
    arrivals = fleet.trunk_arrivals(user=destination)
    arrival = arrivals[0] if arrivals else None
    verdict = outbound_verdict(exp, destination, destination_carrier, arrival,
                               f"{state['status']} {state['reason']}")
    return CheckResult(exp.checkpoint, exp.number, "outbound_callerid", *verdict,
                       _sip(arrival, state["status"])), (arrival["from_user"] if arrival
                                                         else None)


def voicemail(fleet: Fleet, ami: AMIClient, exp: Expected, caller: str,
              envelope: Callable[[str, str], dict[str, str] | None]) -> CheckResult:
    """Leave a message on an unanswered call, see it in AMI, retrieve it with DTMF.

    ``envelope(box, caller)`` returns the newest message's envelope (callerid, duration) left
    by ``caller`` in the box's INBOX, or None.
    """
    box = exp.mailbox
    if box is None or not exp.phone:
        why = ("the number has no mailbox" if box is None else
               f"the mailbox is on {exp.gaining}'s hosted service and calls to the number "
               f"reach {exp.carrier} at this checkpoint")
        return CheckResult(exp.checkpoint, exp.number, "voicemail", "n/a", "n/a", None,
                           f"not applicable: {why}")
    expected = (f"1 new message from {caller} in {box}@{VOICEMAIL_CONTEXT}, then retrieved "
                "and played")

    def fail(observed: str, why: str, evidence: dict[str, Any]) -> CheckResult:
        return CheckResult(exp.checkpoint, exp.number, "voicemail", expected, observed, False,
                           f"{exp.number} at {exp.checkpoint}: {why}", evidence)

    agent = fleet.phone(exp.number)
    before = ami.mailbox_count(box, VOICEMAIL_CONTEXT)
    mark = ami.mark()
    agent.set_policy(caller, "ring")
    try:
        with fleet.line(agent), fleet.in_flight_call():
            cid = agent.call(CALLER, _uri(exp.number), caller=caller)
            try:
                state = agent.wait_call(cid, "media", RING_SECONDS + patience(ANSWER_TIMEOUT))
                agent.send_dtmf(cid, "#")  # skip the greeting, straight to the beep
                agent.play(cid, fleet.wav)
                pause(agent, cid, MESSAGE_SECONDS + 0.5)
            finally:
                _end(agent, cid)
    finally:
        agent.clear_policy(caller)
    evidence: dict[str, Any] = {"status": state["status"], "before": before._asdict()}

    def waiting(predicate: Callable[[dict[str, str]], bool]) -> dict[str, str]:
        return ami.wait_event("MessageWaiting", lambda e: e.get(
            "Mailbox") == f"{box}@{VOICEMAIL_CONTEXT}" and predicate(e),
            timeout=EVENT_TIMEOUT, after=mark)

    left = waiting(lambda e: int(e.get("New", 0)) > before.new)
    after = ami.mailbox_count(box, VOICEMAIL_CONTEXT)
    evidence["after_deposit"] = after._asdict()
    evidence["event"] = {k: left.get(k) for k in ("Mailbox", "New", "Old", "CallerIDNum")}
    found = envelope(box, caller)
    evidence["envelope"] = found
    if after.new != before.new + 1:
        return fail(f"{after.new} new", f"expected {before.new + 1} new messages in {box}, "
                    f"AMI MailboxCount shows {after.new}", evidence)
    if not found:
        return fail("no envelope", f"no message from {caller} in {box}'s INBOX", evidence)
    if int(found.get("duration") or 0) < 1:
        return fail(f"{found.get('duration')} s", "the message has no audio", evidence)
    mark = ami.mark()
    # a second less than the envelope says: the start of the recording is cut by the beep
    enough = max(MIN_PLAYED, int(found.get("duration") or 0) - 1.0)
    played = _retrieve(fleet, agent, exp.number, box, enough)
    if played.heard == 0:  # not logged in (a digit lost or doubled): the message is new
        evidence["first_attempt"] = {"recorded_s": round(played.recorded, 2),
                                     "sound_s": round(played.sound, 2)}
        played = _retrieve(fleet, agent, exp.number, box, enough)
    evidence["played_seconds"] = round(played.heard, 2)
    evidence["listened"] = {"recorded_s": round(played.recorded, 2),
                            "sound_s": round(played.sound, 2)}
    if played.heard < enough:
        return fail(f"played {played.heard:.1f} s", "VoiceMailMain did not play the "
                    f"message: the phone heard {played.heard:.1f} s of its tones "
                    f"(at least {enough:.1f} s expected)", evidence)
    heard = waiting(lambda e: int(e.get("New", 0)) < after.new)
    final = ami.mailbox_count(box, VOICEMAIL_CONTEXT)
    evidence["after_retrieval"] = final._asdict()
    evidence["retrieval_event"] = {k: heard.get(k) for k in ("New", "Old")}
    if not (final.new == after.new - 1 and final.old >= after.old + 1):
        return fail(f"{final.new} new, {final.old} old", "the message was not retrieved: "
                    f"expected {after.new - 1} new, {after.old + 1} old", evidence)
    return CheckResult(exp.checkpoint, exp.number, "voicemail", expected,
                       f"message of {found.get('duration')} s from {caller}; retrieved, "
                       f"{played.heard:.1f} s played",
                       True, f"left ({found.get('duration')} s), retrieved with PIN and played "
                       f"({played.heard:.1f} s heard)", evidence)


def _retrieve(fleet: Fleet, agent: Any, number: str, box: str, enough: float) -> ToneListener:
    """Call VoiceMailMain from ``number``'s phone, log in to ``box`` and play the first new
    message; hang up once the phone has heard ``enough`` seconds of its tones and then the next
    prompt (the message, with the silence at its end, has played to the end; a gap in the audio
    is not the end), or after :data:`LISTEN_TIMEOUT`. Returns what the phone heard."""
    path = fleet.dir / f"heard-{next(_RECORDINGS)}-{number.lstrip('+')}.wav"
    heard = ToneListener(path)
    try:
        with fleet.line(agent), fleet.in_flight_call():
            cid = agent.call(number, _uri(VOICEMAIL_MAIN))
            try:
                agent.wait_call(cid, "media", patience(ANSWER_TIMEOUT))
                agent.record(cid, str(path))
                # the PIN once "password" is heard: VoiceMailMain runs and media flows both ways
                # (digits sent into a call Asterisk is still setting up can arrive doubled)
                deadline = time.monotonic() + patience(ANSWER_TIMEOUT)
                while heard.sound < PROMPT_SECONDS and time.monotonic() < deadline:
                    pause(agent, cid, 0.05)
                    heard.poll()
                agent.send_dtmf(cid, mailbox_pin(box) + "#")
                pause(agent, cid, LOGIN_SECONDS)
                # 1: play the first new message; 1 again, during "first message, received
                # <date and time>", skips that envelope straight to the message.
                agent.send_dtmf(cid, "11")
                deadline = time.monotonic() + patience(LISTEN_TIMEOUT)
                while (heard.stopped() is None or heard.heard < enough) and \
                        time.monotonic() < deadline:
                    pause(agent, cid, 0.1)
                    heard.poll()
            finally:
                _end(agent, cid)
        heard.poll()
    finally:
        path.unlink(missing_ok=True)
    return heard


def pause(agent: Any, cid: int, seconds: float) -> None:
    """Keep the call up for ``seconds`` (audio is time), ending early if the far end hangs up;
    a far end that hangs up is an error."""
    try:
        state = agent.wait_call(cid, "disconnected", seconds)
    except HarnessTimeout:
        return
    raise call_error(state, f"call {cid} was hung up while in use")


def unallocated(fleet: Fleet, checkpoint: str, number: str, caller: str) -> CheckResult:
    """A call to a number no range holds gets 404 and arrives nowhere."""
    agent = fleet.any_caller()
    _, state = _place(fleet, agent, CALLER, number, caller)
    arrived = fleet.trunk_arrivals(user=number)
    observed = f"{state['status']} {state['reason']}" + (" and arrived" if arrived else "")
    ok = state["status"] == 404 and not arrived
    return CheckResult(checkpoint, number, "unallocated", "404", observed, ok,
                       "404: no range holds it" if ok else
                       f"{number} at {checkpoint}: unallocated, expected 404; got {observed}",
                       _sip(arrived[0] if arrived else None, state["status"]))


def derived_checks(exp: Expected, arrived: Where | None, presented: str | None,
                   evidence: dict[str, Any]) -> list[CheckResult]:
    """The negative checks read off the inbound and outbound calls' observations."""
    out: list[CheckResult] = []
    observed = str(arrived) if arrived else "nowhere"
    if not exp.ported:
        ok = arrived == Where(exp.losing, False)
        out.append(CheckResult(
            exp.checkpoint, exp.number, "not_ported", exp.losing, observed, ok,
            f"not yet ported: reaches the losing carrier {exp.losing}" if ok else
            f"{exp.number} at {exp.checkpoint}: not ported ({exp.reason}), expected the "
            f"losing carrier {exp.losing}; the call arrived at {observed}", evidence))
    if exp.pre_port is not None:
        before = exp.pre_port
        want = f"{before.where}, presents {before.presented}"
        got = f"{observed}, presents {presented}"
        ok = arrived == before.where and presented == before.presented
        out.append(CheckResult(
            exp.checkpoint, exp.number, "rollback", want, got, ok,
            "rolled back: matches the pre-port state" if ok else
            f"{exp.number} at {exp.checkpoint}: after the rollback expected the pre-port "
            f"state ({want}); observed {got}", evidence))
    return out
