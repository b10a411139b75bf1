"""pjsua2 user agents in worker processes: carrier trunks, customers' phones, callers; audio."""

from __future__ import annotations

from sip_harness.agents.agent import SIPAgent
from sip_harness.agents.fleet import CALLER, Fleet

__all__ = [
    "SIPAgent",
    "CALLER",
    "Fleet",
]
