"""Live control: a scenario's routing state at an instant, brought into a running Asterisk.

The routing state comes from one :class:`~sim.model.Replay` of the scenario, shared by every
instant a command needs, so the model runs forward once however many instants are applied.

``bring_up`` starts Asterisk with the config rendered from the routing state and loads the live
part of it (ported numbers, presented caller IDs) into AstDB. ``move_to`` moves a running
Asterisk to another instant without restarting it: only the AstDB entries that differ are
changed (pipelined over AMI, then confirmed by reading the families back), and if any change is
refused the ones made are undone, so a failed move leaves the running Asterisk as it was. The
config files are rewritten and reloaded only when the part of the routing state they hold
(ranges, carriers, phones) changed.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sim.errors import BadInputError, ScenarioError
from sim.model import Replay
from sim.scenario import Scenario, load_scenario
from sip_harness.ami.astdb import Entries, sync
from sip_harness.asterisk import runner as asterisk
from sip_harness.asterisk.running import AsteriskBackend, RunningAsterisk
from sip_harness.config import (
    FAMILIES,
    RoutingView,
    astdb_entries,
    hosted_pbxs,
    needs_reload,
    render,
    routing_view,
)
from sip_harness.topology import carrier_addresses

__all__ = ["Move", "FAMILIES", "view_at", "bring_up", "move_to", "sync_astdb", "status_document"]

@dataclass(frozen=True)
class Move:
    """What ``move_to`` changed: AstDB puts and deletes, and the reload commands run."""

    instant: datetime
    puts: Entries
    deletes: tuple[tuple[str, str], ...]
    reloads: tuple[str, ...]


def view_at(replay: Replay, instant: datetime) -> RoutingView:
    """The routing state of ``replay``'s scenario at ``instant``, as Asterisk needs it."""
    return routing_view(replay.scenario, replay.at(instant), at=instant)


def _path(scenario: Scenario) -> str:
    return str(Path(scenario.source).resolve())


def bring_up(replay: Replay, instant: datetime, *, backend: AsteriskBackend | None = None,
             state_file: Path | None = None) -> tuple[RunningAsterisk, RoutingView]:
    """Start Asterisk configured with the routing state at ``instant``; AstDB loaded.

    Raises HarnessError when Asterisk cannot start (it is stopped again if AstDB fails).
    """
    view = view_at(replay, instant)
    running = asterisk.up(render(view, replay.scenario), backend=backend,
                          scenario=_path(replay.scenario), instant=instant.isoformat(),
                          state_file=state_file)
    try:
        with running.ami() as ami:
            sync_astdb(ami, view)
    except BaseException:
        asterisk.down(state_file=state_file, backend=backend)
        raise
    return running, view


def sync_astdb(ami: Any, view: RoutingView) -> tuple[Entries, tuple[tuple[str, str], ...]]:
    """Make AstDB hold ``view``'s live entries, all or nothing; returns (puts, deletes)."""
    done = sync(ami, FAMILIES, astdb_entries(view))
    return done.puts, done.deletes


def move_to(replay: Replay, instant: datetime, *, state_file: Path | None = None) -> Move:
    """Move the running Asterisk to the routing state at ``instant``, without a restart.

    Everything is checked before anything changes: that Asterisk runs and that the scenario's
    carriers are the ones it was configured with. The config is rewritten and reloaded only
    when the part it holds (ranges, carriers, phones) differs from the running one's.
    Raises BadInputError (other carriers) or HarnessError (not running, AMI refused).
    """
    scenario = replay.scenario
    running = asterisk.require_running(state_file=state_file)
    path = _path(scenario)
    same_file = running.scenario == path
    previous = scenario if same_file else _previous_scenario(running)
    if previous is not None and set(previous.carrier_ids) != set(scenario.carrier_ids):
        missing = sorted(set(scenario.carrier_ids) - set(previous.carrier_ids))
        extra = sorted(set(previous.carrier_ids) - set(scenario.carrier_ids))
        what = (f"carriers the running Asterisk does not have: {', '.join(missing)}" if missing
                else f"no carriers {', '.join(extra)}, which the running Asterisk has")
        raise BadInputError(f"{scenario.source}: names {what}; restart with `cutover asterisk "
                            f"down` and `cutover asterisk up {scenario.source}`")
    view = view_at(replay, instant)
    reloads: list[str] = []
    if not same_file or running.instant is None or needs_reload(
            view_at(replay, datetime.fromisoformat(running.instant)), view):
        reloads = asterisk.apply_config(running, render(view, scenario), scenario=path,
                                        instant=instant.isoformat(), state_file=state_file)
    with running.ami() as ami:
        puts, deletes = sync_astdb(ami, view)
    asterisk.record(running, scenario=path, instant=instant.isoformat(), state_file=state_file)
    return Move(instant, puts, deletes, tuple(reloads))


def _previous_scenario(running: RunningAsterisk) -> Scenario | None:
    if not running.scenario or not Path(running.scenario).exists():
        return None
    try:
        return load_scenario(running.scenario)
    except ScenarioError:
        return None


def status_document(*, state_file: Path | None = None, scenario: Scenario | None = None
                    ) -> dict[str, Any]:
    """``cutover asterisk status --json``: running, SIP and AMI addresses, the carriers and the
    customers' PBX trunks (one per customer site and gaining carrier: where each sends from
    and is delivered to, and how many DDI numbers land on it).

    They are those of ``scenario`` if given (the one just applied), else of the scenario file
    the running Asterisk was configured from.
    """
    document: dict[str, Any] = asterisk.status(state_file=state_file).to_json()
    running = asterisk.load_running(state_file or asterisk.state_file_path())
    if scenario is None and running is not None:
        scenario = _previous_scenario(running)
    if scenario is not None:
        document["carriers"] = {
            cid: {"send_from": a.send_from, "deliver_to": a.deliver_to}
            for cid, a in carrier_addresses(scenario.carrier_ids).items()}
        trunks, delivered = hosted_pbxs(scenario)
        ddis = Counter(delivered.values())
        document["pbx_trunks"] = {
            t.name: {"customer": t.customer, "site": t.site, "carrier": t.carrier,
                     "send_from": t.host, "deliver_to": t.deliver_to, "ddi_numbers": ddis[t.name]}
            for t in trunks.values()}
    return document
