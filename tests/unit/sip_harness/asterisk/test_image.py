"""sip_harness.asterisk.image without an engine: the Dockerfile's base, names, a fake client."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from sim.errors import HarnessError
from sip_harness import REPOSITORY
from sip_harness.asterisk import image


def test_the_dockerfiles_base_is_debian_sid() -> None:
    assert image.dockerfile_base(REPOSITORY / "Dockerfile") == "debian:sid-slim"


def test_a_dockerfile_without_from_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text("RUN true\n")
    with pytest.raises(HarnessError, match="no FROM line"):
        image.dockerfile_base(tmp_path / "Dockerfile")


@pytest.mark.parametrize(("short", "full"), [
    ("debian:sid-slim", "docker.io/library/debian:sid-slim"),  # official image
    ("someone/asterisk:22", "docker.io/someone/asterisk:22"),  # a user's image on the Hub
    ("localhost/base:1", "localhost/base:1"),  # already qualified
    ("registry.example:5000/x", "registry.example:5000/x"),  # a registry with a port
])
def test_qualified(short: str, full: str) -> None:
    assert image.qualified(short) == full


def test_ensure_base_imports_the_rootfs_only_when_missing(tmp_path: Path) -> None:
    log = tmp_path / "calls.log"
    have = tmp_path / "have"
    client = tmp_path / "client"
    client.write_text(f"""#!/bin/sh
echo "$@" >> {log}
case "$1 $2" in
  "image inspect") test -e {have} ;;
  "import -") cat > {tmp_path}/imported.tar; touch {have} ;;
esac
""")
    client.chmod(client.stat().st_mode | stat.S_IXUSR)
    rootfs = tmp_path / "rootfs"
    (rootfs / "etc").mkdir(parents=True)
    (rootfs / "etc" / "debian_version").write_text("sid\n")
    (rootfs / ".cutover-rootfs.json").write_text("{}")
    seconds = image.ensure_base([str(client)], REPOSITORY / "Dockerfile", rootfs)
    assert seconds is not None and seconds >= 0
    assert "import - docker.io/library/debian:sid-slim" in log.read_text()
    import tarfile

    names = tarfile.open(tmp_path / "imported.tar").getnames()
    assert "./etc/debian_version" in names and "./.cutover-rootfs.json" not in names
    assert image.ensure_base([str(client)], REPOSITORY / "Dockerfile", rootfs) is None
