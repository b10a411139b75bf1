"""The CLI against the real model and the bundled scenarios: in-process, and once as a process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from cutover.cli.app import main

ROOT = Path(__file__).resolve().parents[4]
UK = str(ROOT / "scenarios" / "uk_gnp_weekend.yaml")


def test_validate_every_bundled_scenario(capsys: pytest.CaptureFixture[str]) -> None:
    paths = sorted(str(p) for p in (ROOT / "scenarios").glob("*.yaml"))
    assert main(["validate", *paths]) == 0
    assert capsys.readouterr().out.count("ok: ") == len(paths)


def test_validate_bad_scenario_lists_every_issue(tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("regime: uk\nseed: x\nstart: 2026-11-23T00:00:00Z\n"
                   "horizon: 2026-11-22T00:00:00Z\ncarriers: [{id: bt}]\nranges: []\n")
    assert main(["validate", str(bad)]) == 2
    err = capsys.readouterr().err.splitlines()
    assert f"{bad}: seed (line 2): expected an integer, got text" in err
    assert any("horizon (line 4)" in line for line in err)


@pytest.mark.parametrize(("at", "carrier", "path"), [
    # Friday before the port: still with BT, the range holder
    ("2026-11-27T12:00:00+00:00", "bt", ["vodafone", "bt"]),
    # Saturday morning: ported, onward-routed via BT
    ("2026-11-28T06:00:00+00:00", "callagenix", ["vodafone", "bt", "callagenix"]),
])
def test_route_at_an_instant(at: str, carrier: str, path: list[str],
                             capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["route", UK, "+441632960001", "--from", "vodafone", "--at", at, "--seed", "1",
                 "--json"])
    assert code == 0
    answer = json.loads(capsys.readouterr().out)
    assert (answer["carrier"], answer["path"]) == (carrier, path)


SUSPENSION = str(ROOT / "scenarios" / "uk_suspension_reconnect.yaml")
US = str(ROOT / "scenarios" / "us_foc_temporary_number.yaml")


@pytest.mark.parametrize(("scenario", "number", "at", "status", "caller_id"), [
    # suspended for lack of funds: a state of its own
    (SUSPENSION, "+441632970020", "2026-11-30T12:00:00Z", "suspended", "+441632970020"),
    # reconnected by the same user
    (SUSPENSION, "+441632970020", "2026-12-04T12:00:00Z", "in_service", "+441632970020"),
    # never reconnected: quarantined after 30 days
    (SUSPENSION, "+441632970030", "2027-01-10T12:00:00Z", "quarantine", "+441632970030"),
    # US: before the port the phone presents the temporary number, after it the ported one
    (US, "+12125550141", "2026-11-24T12:00:00Z", "in_service", "+16465550190"),
    (US, "+12125550141", "2026-12-31T12:00:00Z", "in_service", "+12125550141"),
])
def test_route_says_the_numbers_state_and_the_caller_id_presented(
        scenario: str, number: str, at: str, status: str, caller_id: str,
        capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["route", scenario, number, "--at", at, "--json"]) == 0
    answer = json.loads(capsys.readouterr().out)
    assert (answer["status"], answer["caller_id"]) == (status, caller_id)
    assert main(["route", scenario, number, "--at", at]) == 0
    text = capsys.readouterr().out
    assert f"caller ID {caller_id}" in text
    assert (f"the number is {status}" in text) == (status != "in_service")


MIGRATION = str(ROOT / "scenarios" / "uk_ngn_migration.yaml")


@pytest.mark.parametrize(("at", "migrated_to"), [
    ("2026-11-24T09:00:00Z", None),          # before the migration
    ("2026-11-26T09:00:00Z", "callagenix"),  # after it: the service moved, the network not
])
def test_route_says_a_number_was_migrated(at: str, migrated_to: str | None,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["route", MIGRATION, "0808 157 0200", "--at", at, "--json"]) == 0
    answer = json.loads(capsys.readouterr().out)
    assert (answer["carrier"], answer["ported"], answer["migrated_to"]) == (
        "energis", False, migrated_to)
    assert main(["route", MIGRATION, "0808 157 0200", "--at", at]) == 0
    said = "its service migrated to callagenix, the network unchanged"
    assert (said in capsys.readouterr().out) == (migrated_to is not None)


def test_route_accepts_national_format(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["route", UK, "01632 960002", "--at", "2026-11-28T06:00:00Z"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("+441632960002 -> callagenix")


@pytest.mark.parametrize(("args", "message"), [
    # a number in no allocated range
    (["+442079460000"], "not in any allocated range"),
    # not a number at all
    (["hello"], "hello"),
    # an unknown origin carrier
    (["+441632960001", "--from", "o2"], "unknown carrier 'o2'"),
    # an instant before the scenario starts
    (["+441632960001", "--at", "2026-01-01T00:00:00Z"], "2026-01-01"),
])
def test_route_bad_input_exits_2_with_one_line(args: list[str], message: str,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["route", UK, *args]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and message in err[0], err


def test_run_writes_the_three_outputs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "run"
    assert main(["run", UK, "--out", str(out), "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["numbers_ported"] == 3 and summary["ports"] == {"active": 1}
    assert (out / "timeline.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    first = json.loads((out / "events.jsonl").read_text().splitlines()[0])
    assert (first["event"], first["port"]) == ("submitted", "acme-gnp")
    assert json.loads((out / "summary.json").read_text()) == summary
    assert not (out / "report.html").exists()  # only with --html


def test_run_html_writes_report_html_beside_the_outputs(tmp_path: Path) -> None:
    out = tmp_path / "run"
    assert main(["run", UK, "--out", str(out), "--html", "--json"]) == 0
    page = (out / "report.html").read_text(encoding="utf-8")
    summary = json.loads((out / "summary.json").read_text())
    assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>")
    assert f'data-figure="calls.offered">{summary["calls"]["offered"]:,}<' in page
    assert "Acme Widgets" in page  # the scenario's description tells the story


def test_run_as_a_real_process(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run(
        [sys.executable, "-m", "cutover", "run", UK, "--out", str(tmp_path), "--json"],
        capture_output=True, text=True, timeout=120, env=env, cwd=tmp_path, check=False)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["calls"]["offered"] > 0
    assert proc.stderr == ""  # no progress bar when not on a terminal
