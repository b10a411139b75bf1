"""Routing state at an instant -> Asterisk config text and AstDB entries (pure: no files, no
Asterisk).

- :mod:`~sip_harness.config.view`: a routing snapshot -> :class:`RoutingView`, the state of
  the scenario's numbers at an instant as Asterisk needs it;
- :mod:`~sip_harness.config.render`: a view -> pjsip.conf, extensions.conf (written by
  :mod:`~sip_harness.config.dialplan`) and voicemail.conf;
- :mod:`~sip_harness.config.astdb`: a view -> the AstDB entries the dialplan reads per call,
  and what moves AstDB from one view to another.
"""

from __future__ import annotations

from sip_harness.config.astdb import (
    CALLERID_FAMILY,
    FAMILIES,
    PORTED_FAMILY,
    astdb_entries,
    needs_reload,
)
from sip_harness.config.dialplan import VOICEMAIL_CONTEXT
from sip_harness.config.render import CONFIG_FILES, render
from sip_harness.config.view import (
    RoutingView,
    hosted_pbxs,
    hosted_phones,
    mailbox_pin,
    routing_view,
)

__all__ = [
    "RoutingView",
    "routing_view",
    "hosted_phones",
    "hosted_pbxs",
    "mailbox_pin",
    "render",
    "CONFIG_FILES",
    "VOICEMAIL_CONTEXT",
    "astdb_entries",
    "needs_reload",
    "FAMILIES",
    "PORTED_FAMILY",
    "CALLERID_FAMILY",
]
