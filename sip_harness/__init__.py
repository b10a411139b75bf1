"""cutover's SIP side: Asterisk, its config and AMI, pjsua2 agents, verification, the query server.

Imports ``sim``, never ``cutover``.
"""

from __future__ import annotations

import os
from pathlib import Path

#: The repository checkout (asterisk_conf/, benchmarks/sipp/ and the Dockerfile are read from it).
REPOSITORY = Path(__file__).resolve().parents[1]


def cache_root() -> Path:
    """Where cutover keeps what it builds once per machine (the Asterisk rootfs, SIPp's clock):
    /var/cache/cutover as root, else $XDG_CACHE_HOME/cutover (~/.cache/cutover)."""
    if os.geteuid() == 0:
        return Path("/var/cache/cutover")
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "cutover"
