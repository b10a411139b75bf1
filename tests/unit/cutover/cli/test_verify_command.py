"""``cutover verify`` in-process: the argument checks that refuse before any call or Asterisk."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from cutover.cli.app import main
from sim.errors import HarnessError
from sip_harness.asterisk import live, runner
from sip_harness.verify import runner as verify_runner

ROOT = Path(__file__).resolve().parents[4]
UK = str(ROOT / "scenarios" / "uk_gnp_weekend.yaml")
AMI_HELP = "--ami needs HOST:PORT and --ami-secret (or $CUTOVER_AMI_SECRET)\n"


@pytest.fixture(autouse=True)
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private state directory, no AMI secret in the environment, and no Asterisk or calls."""
    directory = tmp_path / "state"
    monkeypatch.setenv("CUTOVER_STATE_DIR", str(directory))
    monkeypatch.delenv("CUTOVER_AMI_SECRET", raising=False)

    def never(*args: object, **kwargs: object) -> None:
        raise AssertionError("started Asterisk or placed calls")

    monkeypatch.setattr(live, "bring_up", never)
    monkeypatch.setattr(runner, "up", never)
    monkeypatch.setattr(verify_runner, "run_suite", never)
    return directory


def test_an_unknown_checkpoint_is_exit_2(capsys: pytest.CaptureFixture[str],
                                         isolated: Path) -> None:
    assert main(["verify", UK, "--checkpoint", "tuesday"]) == 2
    out = capsys.readouterr()
    assert out.out == ""
    assert out.err.count("\n") == 1 and "tuesday" in out.err
    assert not isolated.exists()


def test_one_unknown_checkpoint_among_good_ones_is_exit_2(capsys: pytest.CaptureFixture[str]
                                                         ) -> None:
    assert main(["verify", UK, "--checkpoint", "before", "--checkpoint", "tuesday"]) == 2
    assert "tuesday" in capsys.readouterr().err


def test_an_instant_outside_the_scenario_is_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["verify", UK, "--at", "2030-01-01T00:00Z"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "is outside the scenario" in err


@pytest.mark.parametrize("address", [
    "127.0.0.1:5038",   # a good address, but no secret given
    "127.0.0.1",        # no port, and no secret
])
def test_ami_without_a_secret_is_exit_2_and_one_line(address: str,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["verify", UK, "--ami", address]) == 2
    out = capsys.readouterr()
    assert (out.out, out.err) == ("", AMI_HELP)


def test_an_empty_secret_in_the_environment_is_no_secret(capsys: pytest.CaptureFixture[str],
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CUTOVER_AMI_SECRET", "")
    assert main(["verify", UK, "--ami", "127.0.0.1:5038"]) == 2
    assert capsys.readouterr().err == AMI_HELP


@pytest.mark.parametrize("address", [
    "127.0.0.1:ami",    # a port that is not a number
    ":5038",            # no host
    "127.0.0.1:",       # an empty port
])
def test_a_bad_ami_address_is_exit_2_even_with_a_secret(
        address: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["verify", UK, "--ami", address, "--ami-secret", "s"]) == 2
    assert capsys.readouterr().err == AMI_HELP


def test_a_scenario_without_checkpoints_needs_at(tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    text = Path(UK).read_text()
    bare = tmp_path / "no_checkpoints.yaml"
    bare.write_text(text[:text.index("checkpoints:")])
    assert main(["verify", str(bare)]) == 2
    assert capsys.readouterr().err == f"{bare}: declares no checkpoints; give --at TIME\n"


def test_a_missing_scenario_is_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["verify", "nowhere.yaml"]) == 2
    assert capsys.readouterr().err == "nowhere.yaml: no such file\n"


# --- results written as they come, whatever ends the run ---------------------------------------

def _fake_suite(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, end: BaseException) -> list[str]:
    """An Asterisk of verify's own that 'starts' (in a temporary directory under tmp_path) and
    a suite that hands over two results, then ends with ``end``. Returns what happened."""
    import tempfile

    from sip_harness.verify.checks import CheckResult

    happened: list[str] = []
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    monkeypatch.setattr(live, "bring_up", lambda *a, **k: happened.append("up"))
    monkeypatch.setattr(runner, "down", lambda *a, **k: happened.append("down"))

    def suite(*args: object, on_result: Any, **kwargs: object) -> None:
        on_result(CheckResult("before", "+441632960001", "inbound", "bt", "bt", True, "ok"))
        on_result(CheckResult("before", "+441632960002", "inbound", "bt", "nowhere", False,
                              "arrived nowhere"))
        raise end

    monkeypatch.setattr(verify_runner, "run_suite", suite)
    return happened


@pytest.mark.parametrize(("end", "code", "message"), [
    (KeyboardInterrupt(), 130, "cutover: interrupted"),                     # Ctrl-C
    (HarnessError("Asterisk stopped answering during checkpoint before"), 3,  # Asterisk died
     "Asterisk stopped answering during checkpoint before"),
])
def test_a_run_that_stops_early_leaves_valid_files_with_every_result_so_far(
        end: BaseException, code: int, message: str, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    happened = _fake_suite(monkeypatch, tmp_path, end)
    out = tmp_path / "out"
    out.mkdir()
    assert main(["verify", UK, "--json", str(out / "r.jsonl"), "--junit",
                 str(out / "r.xml")]) == code
    assert capsys.readouterr().err.strip().splitlines()[-1] == message
    lines = [json.loads(line) for line in (out / "r.jsonl").read_text().splitlines()]
    assert [(r["number"], r["passed"]) for r in lines] == [("+441632960001", True),
                                                           ("+441632960002", False)]
    suites = ET.parse(out / "r.xml").getroot().findall("testsuite")
    assert [(s.get("tests"), s.get("failures")) for s in suites] == [("2", "1")]
    # its own Asterisk was stopped and its temporary directory removed
    assert happened == ["up", "down"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_an_asterisk_that_fails_to_start_leaves_no_directory_and_empty_valid_files(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))

    def refuse(*args: object, **kwargs: object) -> None:
        raise HarnessError("port 5060/udp is in use")

    monkeypatch.setattr(live, "bring_up", refuse)
    out = tmp_path / "out"
    out.mkdir()
    assert main(["verify", UK, "--junit", str(out / "r.xml")]) == 3
    assert capsys.readouterr().err == "port 5060/udp is in use\n"
    assert ET.parse(out / "r.xml").getroot().findall("testsuite") == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_html_is_written_with_the_checks_done_also_when_interrupted(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _fake_suite(monkeypatch, tmp_path, KeyboardInterrupt())
    page = tmp_path / "out" / "verify.html"
    page.parent.mkdir()
    assert main(["verify", UK, "--html", str(page)]) == 130
    text = page.read_text(encoding="utf-8")
    assert 'data-figure="passed">1<' in text and 'data-figure="failed">1<' in text
    assert 'data-number="+441632960002" data-check="inbound"' in text  # the failure, listed
    assert sorted(p.name for p in page.parent.iterdir()) == ["verify.html"]


def test_the_progress_bar_draws_on_a_terminal_only(monkeypatch: pytest.MonkeyPatch) -> None:
    import io

    from rich import console as rich_console

    from cutover.cli import verify_command

    screen = io.StringIO()
    real = rich_console.Console
    monkeypatch.setattr(rich_console, "Console", lambda **kw: real(
        file=screen, force_terminal=True, width=100, **{k: v for k, v in kw.items()
                                                       if k != "stderr"}))
    with verify_command._progress_bar(True, 4) as step:
        step("before: applying 2026-11-27T12:00:00+00:00")
        for _ in range(3):
            step(object())
    drawn = screen.getvalue()
    assert "before: applying" in drawn and "3/4" in drawn
    with verify_command._progress_bar(False, 4) as quiet:  # not a terminal: nothing at all
        quiet("text")
        quiet(object())


def test_more_phones_than_addresses_is_bad_input_exit_2_not_3(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    import tempfile

    from sip_harness import topology

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    monkeypatch.setattr(live, "bring_up", real_bring_up)  # it fails before starting anything
    monkeypatch.setattr(topology, "MAX_PHONES", 0)  # uk_gnp_weekend has one phone
    assert main(["verify", UK]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "too many customer phones or PBX trunks" in err
    assert "uk_gnp_weekend.yaml" in err
    assert list(tmp_path.iterdir()) == []  # no temporary directory left behind


real_bring_up = live.bring_up


def test_a_number_on_two_sites_is_exit_2_with_one_line_and_nothing_written(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = (ROOT / "scenarios" / "uk_ddi_pbx.yaml").read_text().replace(
        "    authorised_signers: [Priya Shah]\n",
        "    authorised_signers: [Priya Shah]\n"
        "    sites:\n"
        "      - {id: warehouse, numbers: [{first: \"01632 961000\", count: 500}]}\n"
        "      - {id: offices, numbers: [\"01632 961499\",\n"
        "                                {first: \"01632 962000\", count: 600}]}\n")
    bad = tmp_path / "two_sites.yaml"
    bad.write_text(text)
    out = tmp_path / "out"
    code = main(["verify", str(bad), "--json", str(out / "v.jsonl"),
                 "--junit", str(out / "v.xml"), "--html", str(out / "v.html")])
    assert code == 2
    assert capsys.readouterr().err == (
        f"{bad}: customers[0].sites[1].numbers[0] (line 48): +441632961499 is already on "
        "site 'warehouse'\n")
    assert not out.exists()
