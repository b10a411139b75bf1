"""The Asterisk Manager Interface: a small client, and a fake server replaying recorded traffic."""

from __future__ import annotations

from sip_harness.ami.client import AMIClient, MailboxCount

__all__ = ["AMIClient", "MailboxCount"]
