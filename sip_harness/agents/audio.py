"""Audio for the checks: the message a caller leaves, and hearing it come back.

A voicemail check leaves :func:`write_tone_wav`'s two tones (440 and 880 Hz) as its message;
the phone that retrieves the message records what it receives, and :class:`ToneListener` reads
that recording while it grows and says when the two tones started and stopped. That is the
evidence that the message itself played (not only the prompts around it), and it lets the
check hang up as soon as the message has ended instead of after a fixed time.
"""

from __future__ import annotations

import wave
from pathlib import Path

import numpy as np

__all__ = ["write_tone_wav", "ToneListener", "tone_blocks", "TONES", "CALLER_TONE", "CALLEE_TONE"]

#: The frequencies of the message (Hz).
TONES = (440.0, 880.0)
#: What each side of an answered call plays to show the other hears it (two-way audio): one
#: frequency each, whole cycles in an analysis block, far from each other and from TONES.
CALLER_TONE = (1000.0,)
CALLEE_TONE = (1500.0,)


def write_tone_wav(path: Path, *, seconds: float = 3.0, rate: int = 8000,
                   tones: tuple[float, ...] = TONES) -> Path:
    """Write a mono 16-bit WAV of ``tones`` (default 440 and 880 Hz) for ``seconds``; return
    ``path``."""
    t = np.arange(int(seconds * rate)) / rate
    levels = (0.3, 0.2) if len(tones) == 2 else (0.4,) * len(tones)
    samples = np.zeros_like(t)
    for level, f in zip(levels, tones, strict=True):
        samples += level * np.sin(2 * np.pi * f * t)
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes((samples * 32767).astype("<i2").tobytes())
    return path


#: Analysis block (seconds) and the share of a block's power the two tones must carry.
BLOCK_SECONDS = 0.04
TONE_SHARE = 0.6
#: Quieter blocks than this (RMS of 16-bit samples) are silence, whatever their spectrum.
MIN_RMS = 300.0
_WAV_HEADER = 44  # pjmedia's WAV writer: a plain 44-byte PCM header, then 16-bit samples


def tone_blocks(samples: np.ndarray, rate: int = 8000,
                tones: tuple[float, ...] = TONES) -> np.ndarray:
    """For each :data:`BLOCK_SECONDS` block of ``samples`` (16-bit mono), whether it is
    ``tones`` (default the message's two): loud enough, and at least :data:`TONE_SHARE` of its
    power at those frequencies."""
    n = int(rate * BLOCK_SECONDS)
    blocks = samples[: len(samples) // n * n].astype(np.float64).reshape(-1, n)
    if not len(blocks):
        return np.zeros(0, dtype=bool)
    t = np.arange(n) / rate
    power = np.mean(blocks ** 2, axis=1)
    at = sum(np.abs(blocks @ np.exp(-2j * np.pi * f * t)) ** 2 * 2 / n ** 2 for f in tones)
    loud = power > MIN_RMS ** 2
    return loud & (at > TONE_SHARE * np.where(loud, power, 1.0))


class ToneListener:
    """Reads a WAV recording while it is being written; finds the message's tones in it.

    ``heard`` is the seconds of tone so far, ``started`` / ``stopped`` the offsets (seconds
    into the recording) where the first tone began and where the last tone run ended (None while
    it plays, before it began, and until another sound follows it). Call :meth:`poll` to read
    what was written since.
    """

    def __init__(self, path: str | Path, rate: int = 8000,
                 tones: tuple[float, ...] = TONES) -> None:
        self.path = Path(path)
        self.rate = rate
        self.tones = tones
        self._offset = _WAV_HEADER
        self._blocks: list[bool] = []  # per block: the message's tones
        self._loud: list[bool] = []    # per block: anything louder than silence
        self._rest = b""
        self.sound = 0.0  # seconds of anything louder than silence (prompts, the message)

    def poll(self) -> None:
        try:
            with open(self.path, "rb") as f:
                f.seek(self._offset)
                data = f.read()
        except FileNotFoundError:
            return
        self._offset += len(data)
        data = self._rest + data
        n = int(self.rate * BLOCK_SECONDS) * 2
        whole = len(data) // n * n
        self._rest = data[whole:]
        if whole:
            samples = np.frombuffer(data[:whole], dtype="<i2")
            blocks = samples.astype(np.float64).reshape(-1, n // 2)
            loud = np.mean(blocks ** 2, axis=1) > MIN_RMS ** 2
            self._blocks += tone_blocks(samples, self.rate, self.tones).tolist()
            self._loud += loud.tolist()
            self.sound += float(np.sum(loud)) * BLOCK_SECONDS

    @property
    def recorded(self) -> float:
        """Seconds recorded so far."""
        return len(self._blocks) * BLOCK_SECONDS

    @property
    def heard(self) -> float:
        return sum(self._blocks) * BLOCK_SECONDS

    @property
    def started(self) -> float | None:
        return self._blocks.index(True) * BLOCK_SECONDS if any(self._blocks) else None

    def stopped(self, then: float = 0.3) -> float | None:
        """Where the tone ended, once ``then`` seconds of other sound have followed it (the
        next prompt: the message, with the silence at its end, has been played). A block or
        two where the tone jumps (a lost packet in the recording) is not the next prompt."""
        if not any(self._blocks):
            return None
        last = len(self._blocks) - 1 - self._blocks[::-1].index(True)
        other = sum(loud and not tone for tone, loud in zip(self._blocks[last + 1:],
                                                             self._loud[last + 1:], strict=True))
        return (last + 1) * BLOCK_SECONDS if other * BLOCK_SECONDS >= then else None
