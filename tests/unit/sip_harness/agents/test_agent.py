"""sip_harness.agents.agent without pjsua2: what it offers is the boundary's own (the calls
themselves need pjsua2 and Asterisk: tests/integration/; errors: test_pjerrors.py; audio:
test_audio.py; INVITE parsing: test_invite.py)."""

from __future__ import annotations

from types import SimpleNamespace

from sip_harness.agents import agent, audio, invite, pjerrors
from sip_harness.agents.callboard import CallBoard


def test_every_exported_name_exists() -> None:
    assert all(hasattr(agent, name) for name in agent.__all__)


def test_reexports_are_the_boundary_modules_own() -> None:
    assert agent.ERROR_MAP is pjerrors.ERROR_MAP
    assert agent.translate_error is pjerrors.translate_error
    assert agent.call_error is pjerrors.call_error
    assert agent.write_tone_wav is audio.write_tone_wav
    assert agent.Arrival is invite.Arrival
    assert (agent.MAX_CALLS, agent.MAX_UAS, agent.PJ_ETIMEDOUT) == (
        pjerrors.MAX_CALLS, pjerrors.MAX_UAS, pjerrors.PJ_ETIMEDOUT)


def test_an_invite_pjsua_refused_itself_is_kept_as_a_refusal_not_an_arrival() -> None:
    # pjsua answers 486 on its own once a process holds MAX_CALLS calls; onRejectedIncomingCall
    # hands the INVITE over (played here without pjsua2: the agent's pump is not started)
    board = agent.SIPAgent.__new__(agent.SIPAgent)
    CallBoard.__init__(board)
    board._hosts = {("127.2.0.1", 5060): "+441632950000"}
    message = ("INVITE sip:441632950000@127.2.0.1:5060 SIP/2.0\r\n"
               "Via: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bK1\r\n"
               "From: <sip:+447700900001@127.0.0.1>;tag=a\r\n"
               "To: <sip:441632950000@127.2.0.1>\r\nCall-ID: c1\r\nCSeq: 1 INVITE\r\n"
               "X-Cutover-Call: in-7-441632950000\r\nContent-Length: 0\r\n\r\n")
    board._refused(SimpleNamespace(statusCode=486, reason="Busy Here", rdata=SimpleNamespace(
        wholeMsg=message, srcAddress="127.0.0.1:5060")))
    assert board.arrivals() == []
    [refusal] = board.refusals(ua="+441632950000")
    assert (refusal["answered"], refusal["from_user"], refusal["user"]) == (
        486, "+447700900001", "441632950000")
    assert refusal["headers"]["x-cutover-call"] == "in-7-441632950000"
    assert board.stats()["refused"] == 1
    board.forget()
    assert board.refusals() == [] and board.stats()["refused"] == 0
