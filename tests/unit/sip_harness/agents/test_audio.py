"""sip_harness.agents.audio: the tone WAV and hearing it in a growing recording."""

from __future__ import annotations

import wave
from pathlib import Path

import numpy as np
import pytest

from sip_harness.agents.audio import ToneListener, tone_blocks, write_tone_wav


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
