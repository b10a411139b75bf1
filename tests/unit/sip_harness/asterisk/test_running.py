"""sip_harness.asterisk.running without an Asterisk: base config, file names, ports, readiness."""

from __future__ import annotations

import socket

import pytest

from sim.errors import HarnessError
from sip_harness import REPOSITORY
from sip_harness.asterisk.running import (
    base_config,
    check_ports_free,
    merge_config,
    new_secret,
    wait_ready,
)


def test_manager_conf_gets_this_runs_secret_and_loopback_only() -> None:
    secret = new_secret()
    files = base_config(ami_port=5038, ami_username="cutover", ami_secret=secret)
    manager = files["manager.conf"]
    assert f"secret = {secret}" in manager and "bindaddr = 127.0.0.1" in manager
    assert "${" not in manager
    assert new_secret() != secret
    assert {"asterisk.conf", "modules.conf", "logger.conf", "rtp.conf"} <= files.keys()


def test_no_fixed_password_in_the_base_config() -> None:
    directory = REPOSITORY / "asterisk_conf"
    for path in directory.iterdir():
        for line in path.read_text().splitlines():
            if line.strip().startswith("secret"):
                assert "${ami_secret}" in line, f"{path.name}: {line}"


@pytest.mark.parametrize("name", [
    "manager.conf",        # made per run: it carries the secret
    "../etc/passwd.conf",  # never outside the config directory
    "pjsip.txt",           # Asterisk reads *.conf
])
def test_generated_file_names_are_checked(name: str) -> None:
    with pytest.raises(HarnessError):
        merge_config({}, {name: ""})


def test_a_bound_port_is_named_with_the_fix() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as held:
        held.bind(("127.0.0.1", 0))
        port = held.getsockname()[1]
        with pytest.raises(HarnessError, match=f"SIP port 127.0.0.1:{port}/udp is already in "
                                               "use.*cutover asterisk down"):
            check_ports_free("127.0.0.1", port, 1)  # SIP is checked first


def test_an_asterisk_that_exits_while_booting_is_reported_with_its_output() -> None:
    with pytest.raises(HarnessError, match="exited before it was ready.*\nchroot: not found"):
        wait_ready("127.0.0.1", 1, "u", "s", is_alive=lambda: False,
                   output=lambda: "chroot: not found", timeout=1.0)
