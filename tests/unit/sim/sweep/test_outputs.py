"""sim.sweep.outputs: runs.csv written as runs finish, then sorted; the picture; the table."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console

from sim.sweep import RunsFile, draw_distribution, read_runs, summarise_runs, sweep_table


def row(combination: int, seed: int, downtime: float) -> dict[str, object]:
    return {"combination": combination, "seed": seed, "downtime_total": downtime,
            "rollbacks": seed % 2, "deadline_breaches": 1, "numbers_lost": 0,
            "calls_failed": 3, "error": ""}


HEADER = ["combination", "seed", "downtime_total", "rollbacks", "deadline_breaches",
          "numbers_lost", "calls_failed", "error"]


def test_each_row_is_on_disk_as_soon_as_it_is_added(tmp_path: Path) -> None:
    runs = RunsFile(tmp_path / "runs.csv", HEADER)
    assert read_runs(runs.path) == []  # the header alone, already
    runs.add(row(0, 2, 1.5))
    runs.add(row(0, 1, 0.1 + 0.2))
    # read while the sweep goes on (or after it was interrupted): a valid file
    on_disk = read_runs(runs.path)
    assert [(r["seed"], r["downtime_total"]) for r in on_disk] == [
        ("2", "1.5"), ("1", "0.30000000000000004")]  # floats read back exactly
    runs.finish()
    assert [r["seed"] for r in read_runs(runs.path)] == ["1", "2"]  # sorted at the end


def test_the_distribution_and_the_table(tmp_path: Path) -> None:
    rows = [row(c, s, float(s * (c + 1))) for c in (0, 1) for s in range(1, 21)]
    summary = summarise_runs(rows, [(("x.y.probability", 0.1),), (("x.y.probability", 0.5),)],
                             figures=("downtime_total", "calls_failed"), scenario="story",
                             seeds=range(1, 21))
    png = tmp_path / "distribution.png"
    draw_distribution(rows, summary, png)
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 10_000
    console = Console(width=100, record=True)
    console.print(sweep_table(summary))
    text = console.export_text()
    assert "story, seeds 1-20" in text and "probability" in text
    lines = [line for line in text.splitlines() if "0.5" in line and "│" in line]
    assert lines and "50%" in lines[0] and "100%" in lines[0]  # rollback, breach
