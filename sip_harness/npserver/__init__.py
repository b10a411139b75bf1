"""The number-portability query server: SIP 302 answers with rn/npdi, the feed of changes, SIPp
load."""

from __future__ import annotations

