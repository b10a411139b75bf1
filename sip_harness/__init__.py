"""cutover's SIP side: Asterisk, its config and AMI, pjsua2 agents, verification, the query server.

Imports ``sim``, never ``cutover``.
"""

from __future__ import annotations

from pathlib import Path

#: The repository checkout (asterisk_conf/, benchmarks/sipp/ and the Dockerfile are read from it).
REPOSITORY = Path(__file__).resolve().parents[1]
