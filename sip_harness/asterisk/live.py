"""Live control: a scenario's routing state at an instant, brought into a running Asterisk.

``bring_up`` starts Asterisk with the config rendered from the routing state and loads the live
part of it (ported numbers, presented caller IDs) into AstDB. ``move_to`` moves a running
Asterisk to another instant without restarting it: AstDB entries are changed one by one, each
confirmed by reading it back, and if any change is refused the ones already made are undone,
so a failed move leaves the running Asterisk as it was. The config files are rewritten and
reloaded only when the part of the routing state they hold (ranges, carriers, phones) changed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sim.errors import AMIError, BadInputError, ScenarioError
from sim.model import simulate
from sim.scenario import Scenario, load_scenario
from sip_harness.ami import AMIClient
from sip_harness.asterisk import runner as asterisk
from sip_harness.asterisk.running import AsteriskBackend, RunningAsterisk
from sip_harness.config.dialplan import CALLERID_FAMILY, PORTED_FAMILY
from sip_harness.config.render import RoutingView, astdb_entries, needs_reload, render, routing_view
from sip_harness.topology import carrier_addresses

__all__ = ["Move", "routing_state", "bring_up", "move_to", "live_entries",
           "status_document"]

FAMILIES = (PORTED_FAMILY, CALLERID_FAMILY)
Entries = dict[tuple[str, str], str]


@dataclass(frozen=True)
class Move:
    """What ``move_to`` changed: AstDB puts and deletes, and the reload commands run."""

    instant: datetime
    puts: dict[tuple[str, str], str]
    deletes: tuple[tuple[str, str], ...]
    reloads: tuple[str, ...]


def routing_state(scenario: Scenario, instant: datetime, *, seed: int | None = None
                  ) -> RoutingView:
    """The routing state the simulation reaches at ``instant`` (same seed, same state)."""
    result = simulate(scenario, seed=seed, until=instant)
    return routing_view(scenario, result.routing, at=instant)


def bring_up(scenario_path: str | Path, *, at: datetime | None = None,
             checkpoint: str | None = None, seed: int | None = None,
             backend: AsteriskBackend | None = None, state_file: Path | None = None
             ) -> tuple[RunningAsterisk, RoutingView]:
    """Start Asterisk configured with the scenario's routing state at an instant."""
    scenario = load_scenario(scenario_path)
    instant = scenario.instant(at=at, checkpoint=checkpoint)
    view = routing_state(scenario, instant, seed=seed)
    running = asterisk.up(render(view, scenario), backend=backend,
                          scenario=str(Path(scenario_path).resolve()),
                          instant=instant.isoformat(), state_file=state_file)
    try:
        with running.ami() as ami:
            _change(ami, live_entries(ami), astdb_entries(view))
    except BaseException:
        asterisk.down(state_file=state_file, backend=backend)
        raise
    return running, view


def move_to(scenario_path: str | Path, *, at: datetime | None = None,
            checkpoint: str | None = None, seed: int | None = None,
            state_file: Path | None = None) -> Move:
    """Move the running Asterisk to the scenario's routing state at another instant.

    Everything is checked before anything changes: the scenario, the instant, and that the
    scenario's carriers are the ones the running Asterisk was configured with.
    """
    scenario = load_scenario(scenario_path)
    instant = scenario.instant(at=at, checkpoint=checkpoint)
    running = asterisk.require_running(state_file=state_file)
    previous = _previous_scenario(running)
    if previous is not None and set(previous.carrier_ids) != set(scenario.carrier_ids):
        missing = sorted(set(scenario.carrier_ids) - set(previous.carrier_ids))
        extra = sorted(set(previous.carrier_ids) - set(scenario.carrier_ids))
        what = (f"carriers the running Asterisk does not have: {', '.join(missing)}" if missing
                else f"no carriers {', '.join(extra)}, which the running Asterisk has")
        raise BadInputError(f"{scenario_path}: names {what}; restart with "
                            f"`cutover asterisk down` and `cutover asterisk up {scenario_path}`")
    view = routing_state(scenario, instant, seed=seed)
    reloads: list[str] = []
    path = str(Path(scenario_path).resolve())
    if previous is None or running.instant is None or running.scenario != path or needs_reload(
            routing_state(previous, datetime.fromisoformat(running.instant), seed=seed), view):
        reloads = asterisk.apply_config(running, render(view, scenario), scenario=path,
                                        instant=instant.isoformat(), state_file=state_file)
    with running.ami() as ami:
        puts, deletes = _change(ami, live_entries(ami), astdb_entries(view))
    asterisk.record(running, scenario=path, instant=instant.isoformat(), state_file=state_file)
    return Move(instant, puts, deletes, tuple(reloads))


def _previous_scenario(running: RunningAsterisk) -> Scenario | None:
    if not running.scenario or not Path(running.scenario).exists():
        return None
    try:
        return load_scenario(running.scenario)
    except ScenarioError:
        return None


def live_entries(ami: AMIClient) -> Entries:
    """The routing state's AstDB entries as Asterisk holds them now."""
    entries: Entries = {}
    for family in FAMILIES:
        text = ami.command(f"database show {family}")
        for line in text.splitlines():
            key, sep, value = line.partition(":")
            key = key.strip()
            if not sep or not key.startswith(f"/{family}/"):
                continue
            entries[(family, key[len(family) + 2:])] = value.strip()
    return entries


def _change(ami: AMIClient, live: Mapping[tuple[str, str], str], target: Entries
            ) -> tuple[dict[tuple[str, str], str], tuple[tuple[str, str], ...]]:
    """Make AstDB hold ``target``; all or nothing (what was changed is undone on a refusal)."""
    puts = {k: v for k, v in target.items() if live.get(k) != v}
    deletes = tuple(k for k in live if k not in target)
    done: list[tuple[tuple[str, str], str | None]] = []
    try:
        for (family, key), value in sorted(puts.items()):
            ami.set_db(family, key, value)
            done.append(((family, key), live.get((family, key))))
        for family, key in deletes:
            ami.set_db(family, key, None)
            done.append(((family, key), live[(family, key)]))
    except AMIError:
        for (family, key), old in reversed(done):
            try:
                ami.set_db(family, key, old)
            except AMIError:
                pass  # the first refusal is the one worth reporting
        raise
    return puts, deletes


def status_document(*, state_file: Path | None = None) -> dict[str, Any]:
    """``cutover asterisk status --json``: running, SIP and AMI addresses, and the carriers."""
    document: dict[str, Any] = asterisk.status(state_file=state_file).to_json()
    running = asterisk.load_running(state_file or asterisk.state_file_path())
    scenario = _previous_scenario(running) if running else None
    if scenario is not None:
        document["carriers"] = {
            cid: {"send_from": a.send_from, "deliver_to": a.deliver_to}
            for cid, a in carrier_addresses(scenario.carrier_ids).items()}
    return document
