"""A real switch in front of `cutover serve`: Debian's Kamailio with examples/kamailio/, driven
by SIPp callers, delivering to SIPp trunks of the scenario's carriers.

One `cutover serve` (SIP and ENUM, following a FIFO feed) and two Kamailios: one asking over
SIP (302, the rn read in a failure route), one over ENUM (enum_query through the system
resolver, pointed at the server in a mount namespace of its own). Every call must land on the
trunk of the carrier the routing core names, before and after changes published through the
feed. Addresses 127.0.6.0/24; ports 5080-5090 and 53 on 127.0.6.53 (not Asterisk's 5060/5038).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from sim.model import simulate
from sim.routing import PortChange, RoutingCore, e164_to_int
from sim.scenario import load_scenario
from sip_harness.config.kamailio import carriers_cfg, trunk_addresses
from sip_harness.npserver.sipp_load import options_ping

from .conftest import skip_or_fail

pytestmark = [pytest.mark.live, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
UK = ROOT / "scenarios" / "uk_gnp_weekend.yaml"
AT = datetime(2026, 11, 28, 6, tzinfo=UTC)
NP_SIP, NP_DNS = ("127.0.6.2", 5082), ("127.0.6.53", 53)
SWITCHES = {"sip": ("127.0.6.1", 5080), "enum": ("127.0.6.3", 5080)}
CALLER = "127.0.6.20"
NUMBERS = ["+441632960001", "+441632960002", "+441632960003",  # ported to callagenix
           "+441632960004", "+441632969999",  # bt's, not ported
           "+441632970001",  # callagenix's own range
           "+447700900123"]  # vodafone's
CHANGES = [("+441632960004", "callagenix"), ("+441632960001", "bt"),
           ("+447700900123", "bt")]


def render_carriers() -> str:
    scenario = load_scenario(UK)
    return carriers_cfg(scenario, trunk_addresses(scenario))


def test_the_shipped_carrier_tables_are_the_scenario_s() -> None:
    assert (ROOT / "examples" / "kamailio" / "carriers.cfg").read_text() == render_carriers()


class Rig:
    """The processes of one run, ended by their ids (process groups of their own)."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.procs: list[subprocess.Popen[bytes]] = []
        self.names: list[str] = []

    def start(self, name: str, command: list[str]) -> subprocess.Popen[bytes]:
        log = (self.workdir / f"{name}.log").open("wb")
        # From the repository root: `python -m cutover` is this checkout's.
        proc = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, cwd=ROOT, start_new_session=True)
        self.procs.append(proc)
        self.names.append(name)
        return proc

    def stop(self) -> None:
        for proc in reversed(self.procs):
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in self.procs:
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(5)


@pytest.fixture
def rig(tmp_path: Path) -> Iterator[tuple[Rig, Path]]:
    for tool in ("kamailio", "sipp", "unshare", "mount"):
        if shutil.which(tool) is None:
            skip_or_fail(f"{tool} is not installed (apt-get install kamailio sip-tester)")
    if os.geteuid() != 0:
        skip_or_fail("the ENUM switch needs root: a mount namespace and port 53")
    rig = Rig(tmp_path)
    fifo = tmp_path / "feed"
    os.mkfifo(fifo)
    try:
        for name in ("kamailio.cfg",):
            shutil.copy(ROOT / "examples" / "kamailio" / name, tmp_path / name)
        (tmp_path / "carriers.cfg").write_text(render_carriers())
        (tmp_path / "resolv.conf").write_text(f"nameserver {NP_DNS[0]}\n")
        rig.start("serve", [sys.executable, "-m", "cutover", "serve", str(UK),
                            "--sip", f"{NP_SIP[0]}:{NP_SIP[1]}",
                            "--dns", f"{NP_DNS[0]}:{NP_DNS[1]}", "--at", AT.isoformat(),
                            "--follow", str(fifo), "--duration", "150"])
        for carrier, address in trunk_addresses(load_scenario(UK)).items():
            host, port = address.split(":")
            rig.start(f"trunk-{carrier}", [
                "sipp", "-sn", "uas", "-i", host, "-p", port, "-nostdin", "-trace_msg",
                "-message_file", str(tmp_path / f"trunk-{carrier}.msg")])
        kamailio = ["kamailio", "-f", str(tmp_path / "kamailio.cfg"), "-DD", "-E", "-m", "32",
                    "-M", "8", "-w", str(tmp_path)]
        rig.start("kamailio-sip", [*kamailio, "-A", "LISTEN=udp:127.0.6.1:5080"])
        # The ENUM switch reads the resolver's configuration of its own mount namespace.
        rig.start("kamailio-enum", [
            "unshare", "--mount", "--propagation", "private", "sh", "-c",
            f'mount --bind "{tmp_path / "resolv.conf"}" /etc/resolv.conf && exec '
            + " ".join([*kamailio, "-A", "LISTEN=udp:127.0.6.3:5080", "-A", "WITH_ENUM"])])
        # Read-write: opening never waits for the server's reader (which may have died).
        with os.fdopen(os.open(fifo, os.O_RDWR), "w"):
            options_ping(NP_SIP, source=CALLER, timeout=30)
            time.sleep(1.0)  # the switches and trunks bind in well under a second
            for proc, name in zip(rig.procs, rig.names, strict=True):
                assert proc.poll() is None, (tmp_path / f"{name}.log").read_text()[-2000:]
            yield rig, fifo
    finally:
        rig.stop()


def call(rig: Rig, switch: str, numbers: list[str], run: str) -> None:
    """Each number called once through ``switch``; every call must complete."""
    inf = rig.workdir / f"calls-{run}.csv"
    inf.write_text("SEQUENTIAL\n" + "".join(f"{n};\n" for n in numbers))
    host, port = SWITCHES[switch]
    done = subprocess.run(
        ["sipp", f"{host}:{port}", "-sf", str(ROOT / "tests" / "integration" / "sipp"
                                             / "np_call.xml"),
         "-inf", str(inf), "-i", CALLER, "-p", "5070", "-m", str(len(numbers)), "-r", "20",
         "-nostdin", "-timeout", "30s", "-timeout_error", "-trace_err",
         "-error_file", str(rig.workdir / f"errors-{run}.log")],
        capture_output=True, timeout=60, cwd=rig.workdir)
    errors = rig.workdir / f"errors-{run}.log"
    assert done.returncode == 0, errors.read_text()[-3000:] if errors.exists() else done.stdout


def landed(rig: Rig, switch: str) -> dict[str, Counter[str]]:
    """Number -> how many INVITEs for it each carrier's trunk got through ``switch``."""
    got: dict[str, Counter[str]] = {}
    via = SWITCHES[switch][0]
    for trace in sorted(rig.workdir.glob("trunk-*.msg")):
        carrier = trace.stem.removeprefix("trunk-")
        for block in re.split(r"\n-{20,} ", trace.read_text(errors="replace")):
            head = re.search(r"^INVITE sip:(\+\d+)@", block, re.MULTILINE)
            if head and f"Via: SIP/2.0/UDP {via}:" in block:
                got.setdefault(head.group(1), Counter())[carrier] += 1
    return got


def expected(core: RoutingCore, numbers: list[str]) -> dict[str, Counter[str]]:
    """One call per number, at the trunk of the carrier the routing core names."""
    return {n: Counter([core.route(n).carrier]) for n in numbers}


def wait_for_version(version: int) -> None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if int(options_ping(NP_SIP, source=CALLER)["x-cutover-version"]) >= version:
            return
        time.sleep(0.05)
    raise AssertionError(f"the server did not reach version {version}")


def test_every_call_lands_where_the_routing_core_says_before_and_after_changes(
        rig: tuple[Rig, Path]) -> None:
    processes, feed = rig
    core = simulate(load_scenario(UK), until=AT).routing
    for switch in SWITCHES:
        call(processes, switch, NUMBERS, f"{switch}-before")
        assert landed(processes, switch) == expected(core, NUMBERS), switch
    before = {s: landed(processes, s) for s in SWITCHES}

    with os.fdopen(os.open(feed, os.O_RDWR), "w") as out:  # each line applied as it arrives
        for number, carrier in CHANGES:
            out.write(json.dumps({"number": number, "carrier": carrier}) + "\n")
    version = core.version + len(CHANGES)
    wait_for_version(version)
    for number, carrier in CHANGES:
        core.apply([PortChange(e164_to_int(number), carrier)])
    assert core.version == version
    for switch in SWITCHES:
        call(processes, switch, NUMBERS, f"{switch}-after")
        got = landed(processes, switch)
        after = {n: got[n] - before[switch][n] for n in NUMBERS}
        assert after == expected(core, NUMBERS), switch
    moved = {n for n, _ in CHANGES}
    assert all(before["sip"][n] != expected(core, [n])[n] for n in moved)  # they did move
