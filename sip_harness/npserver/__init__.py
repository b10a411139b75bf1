"""The number-portability query server: SIP 302 answers with rn/npdi, the feed of changes, SIPp
load."""

from __future__ import annotations

from sip_harness.npserver.answers import QueryService
from sip_harness.npserver.server import QueryServer, ServeReport, serve, serve_scenario

__all__ = [
    "QueryService",
    "QueryServer",
    "ServeReport",
    "serve",
    "serve_scenario",
]
