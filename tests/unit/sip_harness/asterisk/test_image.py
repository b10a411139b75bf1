"""sip_harness.asterisk.image without an engine: the Dockerfile's base, names, a fake client."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from sim.errors import HarnessError
from sip_harness import REPOSITORY
from sip_harness.asterisk import image


def test_the_dockerfile_starts_from_its_base_argument_debian_sid_by_default() -> None:
    text = (REPOSITORY / "Dockerfile").read_text()
    assert "ARG BASE=debian:sid-slim\nFROM ${BASE}\n" in text


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
    seconds = image.ensure_base([str(client)], rootfs)
    assert seconds is not None and seconds >= 0
    assert f"import - {image.LOCAL_BASE}" in log.read_text()
    import tarfile

    names = tarfile.open(tmp_path / "imported.tar").getnames()
    assert "./etc/debian_version" in names and "./.cutover-rootfs.json" not in names
    assert image.ensure_base([str(client)], rootfs) is None


def test_build_starts_from_the_base_it_is_given_and_says_why_it_failed(tmp_path: Path) -> None:
    log = tmp_path / "calls.log"
    client = tmp_path / "client"
    client.write_text(f"""#!/bin/sh
echo "$@" >> {log}
test -e {tmp_path}/fail && {{ echo "no such image" >&2; exit 1; }}
exit 0
""")
    client.chmod(client.stat().st_mode | stat.S_IXUSR)
    assert image.build([str(client)], tmp_path, tag="t:1", base=image.LOCAL_BASE) >= 0
    image.build([str(client)], tmp_path, tag="t:1")
    first, second = log.read_text().splitlines()
    assert first == f"build --build-arg BASE={image.LOCAL_BASE} -t t:1 {tmp_path}"
    assert second == f"build -t t:1 {tmp_path}"  # the Dockerfile's own default
    (tmp_path / "fail").touch()
    with pytest.raises(HarnessError, match="build failed: no such image"):
        image.build([str(client)], tmp_path, tag="t:1")
