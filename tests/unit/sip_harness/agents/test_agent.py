"""sip_harness.agents.agent without pjsua2: what it offers is the boundary's own (the calls
themselves need pjsua2 and Asterisk: tests/integration/; errors: test_pjerrors.py; audio:
test_audio.py; INVITE parsing: test_invite.py)."""

from __future__ import annotations

from sip_harness.agents import agent, audio, invite, pjerrors


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
