"""sip_harness.patience: timeouts stretched by the run queue, within bounds."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from sip_harness.patience import MAX_FACTOR, load_factor, patience, stretched


def loadavg(tmp_path: Path, text: str) -> str:
    path = tmp_path / "loadavg"
    path.write_text(text)
    return str(path)


@pytest.mark.parametrize(("line", "per_cpu"), [
    ("0.10 0.20 0.30 1/120 999\n", 0.0),    # idle: only the reader runs
    ("0.50 0.40 0.30 9/140 999\n", 8.0),    # 8 others runnable now, the average not yet up
    ("6.00 3.00 1.00 1/140 999\n", 6.0),    # a minute of load, quiet this instant
    ("90.0 50.0 20.0 80/300 999\n", 90.0),  # far beyond the cap
])
def test_the_factor_is_tasks_per_cpu_at_least_one_at_most_the_cap(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, line: str, per_cpu: float) -> None:
    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    assert load_factor(loadavg(tmp_path, line)) == min(MAX_FACTOR, max(1.0, per_cpu / 2))


@pytest.mark.parametrize("text", ["", "garbage", "1.0 2.0 3.0\n"])
def test_an_unreadable_run_queue_stretches_nothing(tmp_path: Path, text: str) -> None:
    assert load_factor(loadavg(tmp_path, text)) == 1.0
    assert load_factor(str(tmp_path / "missing")) == 1.0


def test_patience_multiplies_and_the_words_say_when_it_did() -> None:
    assert patience(4.0, factor=lambda: 2.5) == 10.0
    assert stretched(4.0, factor=lambda: 1.0) == (4.0, "4.0 s")
    assert stretched(4.0, factor=lambda: 2.5) == (10.0, "4.0 s (waited 10.0 s: the machine is "
                                                        "busy)")


def test_the_default_factor_is_read_at_each_call(monkeypatch: pytest.MonkeyPatch) -> None:
    from sip_harness import patience as module

    monkeypatch.setattr(module, "load_factor", lambda: 4.0)
    assert patience(1.5) == 6.0
