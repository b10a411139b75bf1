"""Call quality: two-way audio on an answered call, the classic cutover fault being one-way audio.

When the inbound call (:func:`sip_harness.verify.checks.inbound`) is answered by the customer's
phone, both legs stay up a moment longer: the external caller plays
:data:`~sip_harness.agents.audio.CALLER_TONE` and the phone plays
:data:`~sip_harness.agents.audio.CALLEE_TONE`, each records what it receives, and
:class:`~sip_harness.agents.audio.ToneListener` looks for the other side's tone in each
recording. The ``audio`` check passes when each side heard the other's tone for at least
:data:`HEARD_SECONDS`; otherwise it fails with "no audio from X to Y" for each silent direction.
Its record carries both legs' RTP figures from pjsua2's stream statistics (packets sent and
received, lost, jitter). A call not answered by a phone (a trunk's 486, a PBX trunk) has no
media: the check is not applicable.
"""

from __future__ import annotations

import itertools
import time
from typing import Any

from sim.errors import HarnessError
from sip_harness.agents.audio import CALLEE_TONE, CALLER_TONE, ToneListener
from sip_harness.agents.fleet import CALLER, Fleet
from sip_harness.patience import patience
from sip_harness.verify import checks
from sip_harness.verify.checks import ANSWER_TIMEOUT, CheckResult
from sip_harness.verify.expectations import Expected, Where
from sip_harness.verify.judge import inbound_verdict

__all__ = ["inbound_with_audio", "HEARD_SECONDS", "LISTEN_SECONDS"]

#: Seconds of the other side's tone each side must hear.
HEARD_SECONDS = 0.5
#: Seconds (on an idle machine; stretched by its load, at most :data:`_MOST_SECONDS`) both
#: sides listen before a silent direction is called silent.
LISTEN_SECONDS = 3.0
_MOST_SECONDS = 9.0  # the tone files play 10 s
_RECORDINGS = itertools.count(1)


def inbound_with_audio(fleet: Fleet, exp: Expected, caller: str
                       ) -> tuple[CheckResult, Where | None, CheckResult]:
    """The inbound check of ``exp.number`` called as ``caller``, and, if the customer's phone
    answered, the two-way audio check on the same call. Returns the inbound result, where the
    call arrived, and the audio result."""
    agent = fleet.phone(exp.number)
    tag = checks.call_tag("in", exp.number)
    heard: dict[str, Any] = {}

    def during(cid: int, state: dict[str, Any]) -> None:
        answered = checks.tagged(agent.arrivals(ua=exp.number), tag)
        if state.get("confirmed") and answered is not None and answered.get("call"):
            heard.update(_exchange(fleet, agent, cid, int(answered["call"])))

    _, state = checks.place(fleet, agent, CALLER, exp.number, caller, tag=tag, during=during)
    arrival = checks.arrival_of(fleet, agent, exp.number, tag)
    verdict, arrived = inbound_verdict(exp, caller, arrival,
                                       f"{state['status']} {state['reason']}")
    inbound = CheckResult(exp.checkpoint, exp.number, "inbound", *verdict,
                          checks.sip_evidence(arrival, state["status"]))
    return inbound, arrived, _audio_result(exp, caller, arrived, heard)


def _exchange(fleet: Fleet, agent: Any, caller_cid: int, phone_cid: int) -> dict[str, Any]:
    """Both legs play their tone and record; listen until each heard the other's, or the time
    is up. Returns what each side heard (seconds) and both legs' RTP figures."""
    n = next(_RECORDINGS)
    at_caller = fleet.dir / f"audio-{n}-caller.wav"
    at_phone = fleet.dir / f"audio-{n}-phone.wav"
    caller_hears = ToneListener(at_caller, tones=CALLEE_TONE)
    phone_hears = ToneListener(at_phone, tones=CALLER_TONE)
    try:
        try:
            for cid in (caller_cid, phone_cid):
                agent.wait_call(cid, "media", patience(ANSWER_TIMEOUT))
            agent.record(caller_cid, str(at_caller))
            agent.record(phone_cid, str(at_phone))
            agent.play(caller_cid, fleet.caller_tone)
            agent.play(phone_cid, fleet.callee_tone)
            deadline = time.monotonic() + min(patience(LISTEN_SECONDS), _MOST_SECONDS)
            while (caller_hears.heard < HEARD_SECONDS or phone_hears.heard < HEARD_SECONDS) \
                    and time.monotonic() < deadline:
                checks.pause(agent, caller_cid, 0.1)
                caller_hears.poll()
                phone_hears.poll()
            stats = {"caller": agent.stream_stats(caller_cid),
                     "phone": agent.stream_stats(phone_cid)}
        except HarnessError as exc:  # the media never came up, a leg was hung up
            return {"error": str(exc), "caller_heard": caller_hears.heard,
                    "phone_heard": phone_hears.heard}
        return {"caller_heard": caller_hears.heard, "phone_heard": phone_hears.heard,
                "rtp": stats}
    finally:
        at_caller.unlink(missing_ok=True)
        at_phone.unlink(missing_ok=True)


def _audio_result(exp: Expected, caller: str, arrived: Where | None,
                  heard: dict[str, Any]) -> CheckResult:
    expected = "each side hears the other"
    if not heard:
        where = str(arrived) if arrived else "nowhere"
        return CheckResult(exp.checkpoint, exp.number, "audio", "n/a", "n/a", None,
                           f"not applicable: the call was not answered by the customer's phone "
                           f"(it arrived at {where})")
    phone = f"{exp.number}'s phone"
    them = f"the caller {caller}"
    silent = []
    if heard["phone_heard"] < HEARD_SECONDS:
        silent.append(f"no audio from {them} to {phone}")
    if heard["caller_heard"] < HEARD_SECONDS:
        silent.append(f"no audio from {phone} to {them}")
    evidence = {"caller_heard_s": round(heard["caller_heard"], 2),
                "phone_heard_s": round(heard["phone_heard"], 2), **(
                    {"rtp": heard["rtp"]} if "rtp" in heard else {"error": heard["error"]})}
    if not silent and "error" not in heard:
        return CheckResult(exp.checkpoint, exp.number, "audio", expected, "two-way", True,
                           f"two-way audio: each side heard the other "
                           f"({heard['phone_heard']:.1f} s and {heard['caller_heard']:.1f} s)",
                           evidence)
    why = "; ".join(silent) if silent else f"the call's audio failed: {heard['error']}"
    observed = "one-way" if len(silent) == 1 else "no audio" if silent else "error"
    return CheckResult(exp.checkpoint, exp.number, "audio", expected, observed, False,
                       f"{exp.number} at {exp.checkpoint}: {why}", evidence)
