"""The live part of the routing state: AstDB entries the dialplan reads per call (pure).

Moving a running Asterisk from one instant to another makes AstDB hold the new view's entries
(:func:`sip_harness.ami.astdb.sync`, all or nothing), plus a reload only when
``needs_reload`` says the config text changed.

>>> from datetime import UTC, datetime
>>> from sim.model import Replay
>>> from sim.scenario import load_scenario
>>> from sip_harness.config.view import routing_view
>>> replay = Replay(load_scenario("scenarios/uk_gnp_weekend.yaml"))
>>> at = datetime(2026, 11, 28, 6, tzinfo=UTC)
>>> view = routing_view(replay.scenario, replay.at(at), at=at)
>>> astdb_entries(view)[(PORTED_FAMILY, "+441632960001")]
'callagenix'
"""

from __future__ import annotations

from sip_harness.config.view import RoutingView

__all__ = ["PORTED_FAMILY", "CALLERID_FAMILY", "FAMILIES", "astdb_entries", "needs_reload"]

#: AstDB family: E.164 number -> serving carrier, for ported numbers only.
PORTED_FAMILY = "cutover-ported"
#: AstDB family: a hosted number -> the number its phone presents on outbound calls.
CALLERID_FAMILY = "cutover-callerid"
#: The AstDB families cutover owns (and may clear for a clean start).
FAMILIES = (PORTED_FAMILY, CALLERID_FAMILY)


def astdb_entries(view: RoutingView) -> dict[tuple[str, str], str]:
    """The live routing state: (AstDB family, key) -> value, read by the dialplan per call.

    ``cutover-ported/<number>`` = serving carrier, for ported numbers only (including a
    ``misconfigure`` fault's wrong carrier); ``cutover-callerid/<number>`` = the number the
    hosted phone presents, for every hosted number.
    """
    entries = {(PORTED_FAMILY, n): c for n, c in view.ported.items()}
    entries.update({(CALLERID_FAMILY, n): p for n, p in view.callerid.items()})
    return entries


def needs_reload(old: RoutingView, new: RoutingView) -> bool:
    """Whether the config text differs (a reload is needed), beyond the AstDB entries.

    Cutover and rollback only change ``ported`` and ``callerid``: no reload.
    """
    def static(v: RoutingView) -> tuple[object, ...]:
        return (v.scenario, v.scheme, v.carriers, v.ranges, v.hosted, v.voicemail, v.phones,
                v.pbx)

    return static(old) != static(new)
