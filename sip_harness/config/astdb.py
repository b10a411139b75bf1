"""The live part of the routing state: AstDB entries the dialplan reads per call (pure).

Moving a running Asterisk from one instant to another is a diff of two views: AstDB puts and
deletes (``astdb_diff``), plus a reload only when ``needs_reload`` says the config text changed.

>>> from sim.model import simulate                                   # doctest: +SKIP
>>> s = load_scenario("scenarios/uk_gnp_weekend.yaml")               # doctest: +SKIP
>>> at = datetime(2026, 11, 28, 6, tzinfo=UTC)                       # doctest: +SKIP
>>> view = routing_view(s, simulate(s, until=at).routing.snapshot, at=at)  # doctest: +SKIP
>>> astdb_entries(view)[(PORTED_FAMILY, "+441632960001")]            # doctest: +SKIP
'callagenix'
"""

from __future__ import annotations

from sip_harness.config.view import RoutingView

__all__ = ["PORTED_FAMILY", "CALLERID_FAMILY", "FAMILIES", "astdb_entries", "astdb_diff",
           "needs_reload"]

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


def astdb_diff(old: RoutingView | None, new: RoutingView
               ) -> tuple[dict[tuple[str, str], str], tuple[tuple[str, str], ...]]:
    """What moves AstDB from ``old``'s entries to ``new``'s: (puts, deletes).

    With ``old`` None every entry of ``new`` is put and nothing deleted; entries left by
    someone else are not known here (clear ``FAMILIES`` first for a clean start).
    """
    before = astdb_entries(old) if old is not None else {}
    after = astdb_entries(new)
    puts = {k: v for k, v in after.items() if before.get(k) != v}
    deletes = tuple(k for k in before if k not in after)
    return puts, deletes


def needs_reload(old: RoutingView, new: RoutingView) -> bool:
    """Whether the config text differs (a reload is needed), beyond the AstDB entries.

    Cutover and rollback only change ``ported`` and ``callerid``: no reload.
    """
    def static(v: RoutingView) -> tuple[object, ...]:
        return (v.scenario, v.scheme, v.carriers, v.ranges, v.hosted, v.voicemail)

    return static(old) != static(new)
