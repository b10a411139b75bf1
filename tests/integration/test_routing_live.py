"""Issue 3's acceptance: a real Asterisk follows the scenario's routing state, live.

With uk_gnp_weekend before the port, an INVITE to +441632960001 sent as vodafone reaches the bt
trunk; after `apply` at the cutover checkpoint the same INVITE reaches the customer's extension
at callagenix, with no Asterisk restart; after a rollback it reaches bt again. An unallocated
number gets 404. Calls are placed with SIPp; the far ends record where each call arrived.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from cutover.cli.app import main
from sim.model import Replay
from sim.scenario import load_scenario
from sip_harness.ami.astdb import read_families
from sip_harness.asterisk import image
from sip_harness.asterisk import live as control
from sip_harness.asterisk import runner as asterisk
from sip_harness.asterisk.backends import DockerBackend
from sip_harness.asterisk.running import docker_cli
from sip_harness.config import hosted_phones
from sip_harness.topology import carrier_addresses

from .conftest import LiveAsterisk
from .sip_trunks import Arrival, TrunkListeners

ROOT = Path(__file__).resolve().parents[2]
UK = str(ROOT / "scenarios" / "uk_gnp_weekend.yaml")
NGN = str(ROOT / "scenarios" / "uk_ngn_reseller_rollback.yaml")
NUMBER = "+441632960001"


@pytest.fixture(scope="module", params=["rootfs", "docker"])
def live_asterisk(request: pytest.FixtureRequest, live_asterisk: Any,
                  tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """Every test of the module on each backend: the session's rootfs Asterisk, then the
    Dockerfile's image run by the docker backend through podman's docker-compatible CLI (the
    session's Asterisk is stopped meanwhile: both bind 127.0.0.1:5060 and 5038)."""
    if request.param == "rootfs":
        yield live_asterisk
        return
    built = request.getfixturevalue("docker_image")
    state_dir = tmp_path_factory.mktemp("docker-state")
    live_asterisk.stop()
    try:
        docker = LiveAsterisk(state_dir, DockerBackend(state_dir=state_dir, context=ROOT,
                                                       cli=built["cli"], base=image.LOCAL_BASE))
        try:
            yield docker
        finally:
            docker.stop()
            assert not list(state_dir.iterdir()), "the docker run left files behind"
    finally:
        live_asterisk.start()


@pytest.fixture(scope="module")
def network(live_asterisk: Any, stand_in: dict[str, str]) -> Iterator[TrunkListeners]:
    """The session's Asterisk moved to uk_gnp_weekend, with every far end listening."""
    scenario = load_scenario(UK)
    ends = {c: (a.host, a.port) for c, a in carrier_addresses(scenario.carrier_ids).items()}
    ends |= {n: (p.host, p.port) for n, p in hosted_phones(scenario).items()}
    move(live_asterisk, "before")
    try:
        with TrunkListeners(ends) as listeners:
            yield listeners
    finally:
        running = asterisk.require_running(state_file=live_asterisk.state_file)
        asterisk.apply_config(running, stand_in, state_file=live_asterisk.state_file)
        with running.ami() as ami:
            for family, key in read_families(ami, control.FAMILIES):
                ami.set_db(family, key, None)


@pytest.fixture
def cli_state(live_asterisk: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    """Point the `cutover asterisk` commands at the session's Asterisk."""
    monkeypatch.setenv("CUTOVER_STATE_DIR", str(live_asterisk.state_dir))
    return live_asterisk


def call(sipp: str, number: str, listeners: TrunkListeners, *, source: str = "127.0.1.3"
         ) -> Arrival:
    """Place one call with SIPp as the carrier at ``source``; where did it arrive?"""
    listeners.clear()
    subprocess.run([sipp, "-sn", "uac", "-s", number, "127.0.0.1:5060", "-i", source,
                    "-p", "5090", "-m", "1", "-timeout", "10s", "-nostdin", "-d", "100"],
                   capture_output=True, text=True, timeout=20, check=False)
    arrivals = listeners.wait(1, timeout=5)
    assert len(arrivals) == 1, f"{number}: arrived at {[a.at for a in arrivals]}"
    return arrivals[0]


REPLAY = Replay(load_scenario(UK))  # one run of the model for every move of the module


def move(live: Any, checkpoint: str) -> control.Move:
    instant = REPLAY.scenario.instant(checkpoint=checkpoint)
    return control.move_to(REPLAY, instant, state_file=live.state_file)


def test_before_the_port_the_call_reaches_bt(network: TrunkListeners, sipp: str) -> None:
    arrival = call(sipp, NUMBER, network)
    assert (arrival.at, arrival.user) == ("bt", NUMBER)  # E.164 with the plus in the R-URI
    assert arrival.headers["x-cutover-path"] == "vodafone,bt"


def test_cutover_then_rollback_live(network: TrunkListeners, sipp: str,
                                    live_asterisk: Any) -> None:
    pid = asterisk.require_running(state_file=live_asterisk.state_file).asterisk_pid()
    started = startup(live_asterisk)
    moved = move(live_asterisk, "after_cutover")
    assert not moved.reloads  # only AstDB changed: nothing reloaded, nothing restarted
    arrival = call(sipp, NUMBER, network)
    assert arrival.at == NUMBER  # the customer's extension, hosted by callagenix
    assert arrival.headers["x-cutover-serving"] == "callagenix"
    assert arrival.headers["x-cutover-path"] == "vodafone,bt,callagenix"  # onward via bt
    move(live_asterisk, "before")  # the rollback
    assert call(sipp, NUMBER, network).at == "bt"
    assert asterisk.require_running(state_file=live_asterisk.state_file).asterisk_pid() == pid
    assert startup(live_asterisk) == started  # the same Asterisk: never restarted


def startup(live: Any) -> tuple[str, str]:
    """When Asterisk started and last reloaded (AMI CoreStatus), on any backend."""
    with asterisk.require_running(state_file=live.state_file).ami() as ami:
        core = ami.action("CoreStatus")
    return core["CoreStartupDate"] + " " + core["CoreStartupTime"], core["CoreReloadTime"]


def test_unallocated_number_gets_404(network: TrunkListeners, sip_invite: Any) -> None:
    network.clear()
    assert sip_invite("+442079460000", source="127.0.1.3") == 404
    assert network.wait(1, timeout=0.5) == []


def test_status_json_names_each_carriers_addresses(network: TrunkListeners, cli_state: Any,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["asterisk", "status", "--json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["running"] and document["sip"] == "127.0.0.1:5060"
    assert document["ami"] == "127.0.0.1:5038"
    assert document["carriers"]["bt"] == {"send_from": "127.0.1.1",
                                          "deliver_to": "127.0.1.1:5060"}


@pytest.mark.parametrize(("args", "message"), [
    # an instant the scenario does not have
    (["--at", "2030-01-01T00:00Z"], "outside the scenario"),
    (["--checkpoint", "lunch"], "unknown checkpoint 'lunch'"),
    # a scenario whose carriers the running Asterisk does not have
    (["--scenario", NGN, "--checkpoint", "before"], "carriers the running Asterisk does not"),
])
def test_bad_apply_changes_nothing(network: TrunkListeners, cli_state: Any, args: list[str],
                                   message: str, capsys: pytest.CaptureFixture[str]) -> None:
    scenario = UK
    if args[0] == "--scenario":
        scenario, args = args[1], args[2:]
    running = asterisk.require_running(state_file=cli_state.state_file)
    move(cli_state, "after_cutover")
    with running.ami() as ami:
        before = read_families(ami, control.FAMILIES)
    assert main(["asterisk", "apply", scenario, *args]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and message in err[0], err
    with running.ami() as ami:
        assert read_families(ami, control.FAMILIES) == before
    move(cli_state, "before")


def test_a_killed_asterisk_gives_exit_3_and_down_cleans_up(network: TrunkListeners,
                                                           cli_state: Any,
                                                           capsys: pytest.CaptureFixture[str]
                                                           ) -> None:
    running = asterisk.require_running(state_file=cli_state.state_file)
    pid = running.asterisk_pid()
    if running.container:  # the host's pid of the container's Asterisk
        pid = int(subprocess.run(
            [*docker_cli(running.extra.get("docker_cli")), "inspect", "-f", "{{.State.Pid}}",
             running.container], capture_output=True, text=True, timeout=30).stdout or 0)
    assert pid is not None and pid > 1, f"no Asterisk pid to kill: {pid!r}"
    os.kill(pid, signal.SIGKILL)
    started = time.monotonic()
    deadline = started + 5
    while asterisk.status(state_file=cli_state.state_file).running:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    assert main(["asterisk", "apply", UK, "--checkpoint", "before"]) == 3
    assert "cutover asterisk down" in capsys.readouterr().err
    assert main(["asterisk", "down"]) == 0
    assert "crashed" in capsys.readouterr().out
    assert not Path(running.run_dir or "").exists()
    cli_state.start()  # the session's Asterisk again, for the tests after this one
    move(cli_state, "before")
