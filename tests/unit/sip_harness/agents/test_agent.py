"""The pjsua2 boundary without pjsua2: error mapping, the tone WAV and hearing it in a
recording (INVITE parsing: test_invite.py)."""

from __future__ import annotations

import pickle
import wave
from pathlib import Path

import numpy as np
import pytest

from sim.errors import HarnessError, HarnessTimeout, SIPCallError
from sip_harness.agents.agent import (
    ERROR_MAP,
    PJ_ETIMEDOUT,
    PJ_ETOOMANY,
    call_error,
    translate_error,
    write_tone_wav,
)
from sip_harness.agents.audio import ToneListener, tone_blocks


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


def test_tone_wav(tmp_path: Path) -> None:
    path = write_tone_wav(tmp_path / "m.wav", seconds=0.5)
    with wave.open(str(path)) as w:
        assert (w.getnchannels(), w.getframerate(), w.getnframes()) == (1, 8000, 4000)


def test_tone_listener_follows_a_growing_recording(tmp_path: Path) -> None:
    # what a retrieving phone records: a prompt (a voice-like harmonic series), the message's
    # tones, the silence at the end of the message, then the next prompt; written in pieces, as
    # pjmedia's WAV writer does. The message has ended only once the next prompt is heard.
    message = write_tone_wav(tmp_path / "m.wav", seconds=2.0)
    with wave.open(str(message)) as w:
        tones = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2")
    t = np.arange(8000) / 8000
    prompt = sum(3000 / k * np.sin(2 * np.pi * 180 * k * t) for k in range(1, 12))
    recording = tmp_path / "heard.wav"
    recording.write_bytes(b"\0" * 44)
    listener = ToneListener(recording)
    pieces = (prompt.astype("<i2"), tones[:8000], tones[8000:], np.zeros(8000, "<i2"),
              prompt.astype("<i2"))
    for piece in pieces:
        assert listener.stopped() is None
        with open(recording, "ab") as f:
            f.write(piece.tobytes())
        listener.poll()
    assert listener.heard == pytest.approx(2.0, abs=0.1)
    assert listener.started == pytest.approx(1.0, abs=0.05)
    assert listener.stopped() == pytest.approx(3.0, abs=0.05)
    assert listener.recorded == pytest.approx(5.0, abs=0.05)


def test_noise_and_silence_are_not_the_message() -> None:
    noise = np.random.default_rng(1).normal(0, 3000, 8000).astype("<i2")
    assert not tone_blocks(noise).any()
    assert not tone_blocks(np.zeros(8000, dtype="<i2")).any()
