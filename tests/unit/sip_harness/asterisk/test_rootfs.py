"""sip_harness.asterisk.rootfs without building one: the marker decides completeness."""

from __future__ import annotations

import json
from pathlib import Path

from sip_harness.asterisk.rootfs import MARKER, read_marker


def test_rootfs_marker_decides_completeness(tmp_path: Path) -> None:
    assert read_marker(tmp_path) is None                     # an interrupted build: no marker
    (tmp_path / "usr/sbin").mkdir(parents=True)
    (tmp_path / "usr/sbin/asterisk").touch()
    (tmp_path / MARKER).write_text(json.dumps({"format": 0}))
    assert read_marker(tmp_path) is None                     # an older format: rebuilt
    (tmp_path / MARKER).write_text(json.dumps({"format": 1, "packages": {"asterisk": "22"}}))
    found = read_marker(tmp_path)
    assert found is not None and found.packages == {"asterisk": "22"}
