"""``cutover watch`` and ``cutover asterisk replay`` in-process, never starting Asterisk: bad
input refused before anything starts, nothing running, and a replay through a FakeAMI."""

from __future__ import annotations

from pathlib import Path

import pytest

from cutover.cli.app import main
from sip_harness.ami.testing import FakeAMI
from sip_harness.asterisk import runner
from sip_harness.asterisk.running import RunningAsterisk
from sip_harness.watch.clock import CLOCK_FAMILY, CLOCK_KEY, ReplayClock

ROOT = Path(__file__).resolve().parents[4]
NGN = ROOT / "scenarios" / "uk_ngn_reseller_rollback.yaml"
N = "+448081570123"


@pytest.fixture
def state_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    directory = tmp_path / "state"
    monkeypatch.setenv("CUTOVER_STATE_DIR", str(directory))
    return directory


def record_external(fake: FakeAMI, instant: str) -> None:
    running = RunningAsterisk(backend="external", host="127.0.0.1", sip_port=15060,
                              ami_port=fake.port, ami_username=fake.username,
                              ami_secret=fake.secret)
    runner.record(running, scenario=str(NGN.resolve()), instant=instant)


@pytest.mark.parametrize(("args", "message"), [
    # --until not after --from
    (["watch", str(NGN), "--from", "2026-12-05T01:00Z", "--until", "2026-12-05T00:00Z"],
     "--until 2026-12-05T00:00:00+00:00 is not after --from 2026-12-05T01:00:00+00:00"),
    # no rate: a watch must be bounded
    (["watch", str(NGN), "--rate", "0"], "--rate"),
    (["watch", "no/such.yaml"], "no/such.yaml: no such file"),
    (["watch", str(NGN), "--ami", "127.0.0.1:5038"], "--ami needs HOST:PORT and --ami-secret"),
    (["asterisk", "replay", str(NGN), "--from", "2026-12-05T01:00Z", "--to",
      "2026-12-05T00:00Z"], "--to 2026-12-05T00:00:00+00:00 is not after --from"),
    (["asterisk", "replay", str(NGN), "--speed", "0"], "--speed"),
])
def test_bad_input_is_one_line_and_exit_2(args: list[str], message: str, state_dir: Path,
                                          capsys: pytest.CaptureFixture[str],
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CUTOVER_AMI_SECRET", raising=False)
    assert main(args) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1
    assert not state_dir.exists()


@pytest.mark.parametrize("command", [["watch"], ["asterisk", "replay"]])
def test_without_a_running_asterisk_exit_3(command: list[str], state_dir: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    assert main([*command, str(NGN)]) == 3
    err = capsys.readouterr().err
    assert "no Asterisk" in err and err.count("\n") == 1


def test_a_replay_applies_every_change_and_leaves_its_clock_ended(
        state_dir: Path, fake: FakeAMI, capsys: pytest.CaptureFixture[str]) -> None:
    record_external(fake, "2026-12-04T23:50:00+00:00")
    assert main(["asterisk", "replay", str(NGN), "--from", "2026-12-04T23:50Z", "--to",
                 "2026-12-12T00:40Z", "--speed", "1e9"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert [line.split(": ", 1)[1][:28] for line in out[1:-1]] == [
        "applied the routing change (", "applied the routing change (",
        "applied the routing change ("]
    assert out[-1].startswith("replayed 2026-12-04T23:50:00+00:00 to 2026-12-12T00:40:00+00:00"
                              " at x1e+09: 3 changes applied, 0 leaps")
    assert fake.db[("cutover-ported", N)] == "callagenix"   # the final flip
    clock = ReplayClock.decode(fake.db[(CLOCK_FAMILY, CLOCK_KEY)])
    assert clock is not None and (clock.state, clock.instant.isoformat()) == (
        "ended", "2026-12-12T00:40:00+00:00")
    puts = [a for a in fake.received if a.get("Action") == "DBPut"
            and a.get("Family") == "cutover-ported"]
    assert [p["Val"] for p in puts] == ["callagenix", "callagenix"]   # flip, (flip back), flip
