"""pjsua2 user agents in worker processes: carrier trunks, customers' phones, callers; audio."""

from __future__ import annotations

