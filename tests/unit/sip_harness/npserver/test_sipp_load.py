"""Load-test helpers (sip_harness.npserver.sipp_load) that need no SIPp: injection files, split,
clock."""

from __future__ import annotations

import struct
from pathlib import Path
from typing import Any

import pytest

from sip_harness.npserver import sipp_load
from sip_harness.npserver.sipp_load import (
    _split_injection,
    cpu_latency_hold,
    fine_clock_library,
    rtt_every,
    write_injection,
)


def test_injection_rows_are_dealt_round_robin(tmp_path: Path) -> None:
    rows = [(f"+4416329600{i:02d}", "+44D002" if i % 3 else "") for i in range(10)]
    inf = tmp_path / "q.csv"
    assert write_injection(inf, rows) == 10
    parts = _split_injection(inf, 3, tmp_path)
    texts = [p.read_text().splitlines() for p in parts]
    assert all(t[0] == "SEQUENTIAL" for t in texts)
    dealt = [line for t in texts for line in t[1:]]
    assert sorted(dealt) == sorted(f"{n};{rn};" for n, rn in rows)
    assert [len(t) - 1 for t in texts] == [4, 3, 3]
    with pytest.raises(ValueError, match="cannot feed 11"):
        _split_injection(inf, 11, tmp_path)


def test_injection_refuses_a_separator_in_a_field(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="';'"):
        write_injection(tmp_path / "q.csv", [("+441632960001", "D0;02")])


def test_cpu_latency_hold_writes_the_limit_and_lets_go(tmp_path: Path) -> None:
    device = tmp_path / "cpu_dma_latency"
    device.write_bytes(b"")
    with cpu_latency_hold(0, device=str(device)) as held:
        assert held == 0
        assert device.read_bytes() == struct.pack("=i", 0)
    with cpu_latency_hold(0, device=str(tmp_path / "missing")) as held:
        assert held is None


def test_fine_clock_library_needs_a_compiler(tmp_path: Path) -> None:
    assert fine_clock_library(tmp_path, cc=str(tmp_path / "no-such-cc")) is None


@pytest.mark.parametrize(("calls", "every"), [
    (50_000, 1000),  # the usual: 1000 divides it
    (66_667, 409),   # a third of 200k: the largest divisor up to 1000
    (500, 25),       # a short run: a twentieth
    (99_991, 1000),  # prime: no useful divisor, the tail goes unrecorded
    (7, 1),          # tiny
])
def test_rtt_batches_divide_the_calls_when_they_can(calls: int, every: int) -> None:
    assert rtt_every(calls) == every


def test_sipps_fine_clock_is_built_once_per_machine_and_moved_into_place_whole(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    built: list[Path] = []

    def build(workdir: Path, **kw: Any) -> Path:
        library = workdir / "fineclock.so"
        library.write_bytes(b"\x7fELF")
        built.append(library)
        return library

    monkeypatch.setattr(sipp_load, "cache_root", lambda: tmp_path / "cache")
    monkeypatch.setattr(sipp_load, "fine_clock_library", build)
    sipp_load.shared_fine_clock.cache_clear()
    try:
        first = sipp_load.shared_fine_clock()
        sipp_load.shared_fine_clock.cache_clear()  # a later process finds it
        again = sipp_load.shared_fine_clock()
    finally:
        sipp_load.shared_fine_clock.cache_clear()
    assert first == again and first is not None and first.parent == tmp_path / "cache"
    assert first.name.startswith("fineclock-") and first.read_bytes() == b"\x7fELF"
    assert len(built) == 1 and list((tmp_path / "cache").iterdir()) == [first]
