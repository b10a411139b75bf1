"""sip_harness.asterisk.live without Asterisk: the view at an instant, AstDB sync against a
FakeAMI (all or nothing), and move_to's refusals; an external record stands in for Asterisk."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest

from sim.errors import AMIError, BadInputError, HarnessError
from sim.model import EventKind, Replay
from sim.scenario import load_scenario
from sip_harness.ami import AMIClient
from sip_harness.ami.testing import FakeAMI
from sip_harness.asterisk import runner
from sip_harness.asterisk.live import move_to, status_document, sync_astdb, view_at
from sip_harness.asterisk.running import RunningAsterisk
from sip_harness.config import astdb_entries
from sip_harness.config.astdb import CALLERID_FAMILY, PORTED_FAMILY

ROOT = Path(__file__).resolve().parents[4]
WEEKEND = ROOT / "scenarios" / "uk_gnp_weekend.yaml"
NUMBERS = ("+441632960001", "+441632960002", "+441632960003")


@pytest.fixture(scope="module")
def replay() -> Replay:
    return Replay(load_scenario(WEEKEND))


def at(replay: Replay, checkpoint: str) -> datetime:
    return replay.scenario.checkpoint(checkpoint).at


# --- view_at -----------------------------------------------------------------------------------

def test_nothing_is_ported_before_the_cutover(replay: Replay) -> None:
    view = view_at(replay, at(replay, "before"))
    assert view.ported == {}
    assert view.at == at(replay, "before")
    assert view.callerid == {n: n for n in NUMBERS}  # the phones exist before the port


def test_after_the_cutover_the_numbers_are_ported_to_the_gaining_carrier(replay: Replay
                                                                        ) -> None:
    view = view_at(replay, at(replay, "after_cutover"))
    assert view.ported == {n: "callagenix" for n in NUMBERS}
    assert view.hosted == {n: "callagenix" for n in NUMBERS}


def test_the_view_changes_at_the_activation_instant(replay: Replay) -> None:
    replay.at(replay.scenario.horizon)  # the model has run: its events are known
    [active] = [datetime.fromisoformat(e["t"]) for e in replay.events()
                if e.get("event") == EventKind.ACTIVE]
    assert view_at(replay, active - timedelta(seconds=1)).ported == {}
    assert view_at(replay, active).ported == {}  # exactly on a publish: the state before it
    assert view_at(replay, active + timedelta(seconds=1)).ported == {
        n: "callagenix" for n in NUMBERS}


def test_an_earlier_instant_after_a_later_one_is_still_right(replay: Replay) -> None:
    view_at(replay, replay.scenario.horizon)
    assert view_at(replay, replay.scenario.start).ported == {}


# --- sync_astdb --------------------------------------------------------------------------------

def test_sync_makes_astdb_hold_the_views_entries(replay: Replay, ami: AMIClient,
                                                 fake: FakeAMI) -> None:
    view = view_at(replay, at(replay, "after_cutover"))
    puts, deletes = sync_astdb(ami, view)
    assert fake.db == astdb_entries(view)
    assert puts == astdb_entries(view) and deletes == ()
    assert len(fake.db) == 6


def test_sync_puts_only_what_differs_and_deletes_what_is_extra(replay: Replay, ami: AMIClient,
                                                               fake: FakeAMI) -> None:
    target = astdb_entries(view_at(replay, at(replay, "after_cutover")))
    fake.db.update(target)
    fake.db[PORTED_FAMILY, NUMBERS[0]] = "bt"                 # stale value
    fake.db[PORTED_FAMILY, "+441632969999"] = "callagenix"    # left over from another run
    fake.db["someone-else", "k"] = "v"                        # not cutover's family
    puts, deletes = sync_astdb(ami, view_at(replay, at(replay, "after_cutover")))
    assert puts == {(PORTED_FAMILY, NUMBERS[0]): "callagenix"}
    assert deletes == ((PORTED_FAMILY, "+441632969999"),)
    assert fake.db == {**target, ("someone-else", "k"): "v"}


def test_moving_back_before_the_cutover_deletes_the_ported_entries(
        replay: Replay, ami: AMIClient, fake: FakeAMI) -> None:
    sync_astdb(ami, view_at(replay, at(replay, "after_cutover")))
    puts, deletes = sync_astdb(ami, view_at(replay, at(replay, "before")))
    assert puts == {}
    assert sorted(deletes) == [(PORTED_FAMILY, n) for n in NUMBERS]
    assert fake.db == {(CALLERID_FAMILY, n): n for n in NUMBERS}


def test_a_refused_put_undoes_every_change_made(replay: Replay, ami: AMIClient,
                                                fake: FakeAMI) -> None:
    before = {(PORTED_FAMILY, NUMBERS[0]): "bt", (PORTED_FAMILY, "+441632969999"): "x",
              (CALLERID_FAMILY, NUMBERS[1]): "+441632970000"}
    fake.db.update(before)
    put = fake.handlers["DBPut"]

    def refuse_the_last(action: dict[str, str]):  # type: ignore[no-untyped-def]
        if (action["Family"], action["Key"]) == (PORTED_FAMILY, NUMBERS[2]) \
                and action["Val"] == "callagenix":
            return [{"Response": "Error", "Message": "Failed to update entry"}]
        return put(action)

    fake.handlers["DBPut"] = refuse_the_last
    with pytest.raises(AMIError, match="Failed to update entry"):
        sync_astdb(ami, view_at(replay, at(replay, "after_cutover")))
    assert fake.db == before
    # changes were made, then undone: not refused before anything happened
    assert sum(a["Action"] == "DBPut" for a in fake.received) > 3


# --- move_to -----------------------------------------------------------------------------------

@pytest.fixture
def state_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("CUTOVER_STATE_DIR", str(tmp_path / "default-state"))
    return tmp_path / "state" / "asterisk.json"


def external_record(fake: FakeAMI, state_file: Path, *, scenario: Path,
                    instant: str | None) -> RunningAsterisk:
    running = RunningAsterisk(backend="external", host="127.0.0.1", ami_port=fake.port,
                              ami_username=fake.username, ami_secret=fake.secret)
    runner.record(running, scenario=str(scenario.resolve()), instant=instant,
                  state_file=state_file)
    return running


def test_move_to_without_a_running_asterisk_refuses(replay: Replay, state_file: Path) -> None:
    with pytest.raises(HarnessError, match="no Asterisk is running; start one with "
                                           "`cutover asterisk up`"):
        move_to(replay, at(replay, "after_cutover"), state_file=state_file)
    assert not state_file.exists()
    assert not state_file.parent.exists()
    assert not (state_file.parent.parent / "default-state").exists()


def test_move_to_a_dead_recorded_asterisk_refuses(replay: Replay, state_file: Path,
                                                  tmp_path: Path) -> None:
    dead = RunningAsterisk(backend="rootfs", pid=2**22 + 1, pid_start=1,
                           run_dir=str(tmp_path / "gone"))
    runner.record(dead, state_file=state_file)
    with pytest.raises(HarnessError, match="clean up with `cutover asterisk down`"):
        move_to(replay, at(replay, "after_cutover"), state_file=state_file)


def test_move_to_changes_astdb_only_and_records_the_instant(replay: Replay, fake: FakeAMI,
                                                            state_file: Path) -> None:
    external_record(fake, state_file, scenario=WEEKEND,
                    instant=at(replay, "before").isoformat())
    move = move_to(replay, at(replay, "after_cutover"), state_file=state_file)
    assert move.instant == at(replay, "after_cutover")
    assert move.reloads == ()  # cutover changes AstDB only: no config reload
    assert move.puts == astdb_entries(view_at(replay, at(replay, "after_cutover")))
    assert fake.db == move.puts
    recorded = runner.load_running(state_file)
    assert recorded is not None
    assert recorded.instant == at(replay, "after_cutover").isoformat()
    assert recorded.scenario == str(WEEKEND.resolve())


def test_move_to_refuses_a_scenario_with_other_carriers(replay: Replay, fake: FakeAMI,
                                                        state_file: Path) -> None:
    other = ROOT / "scenarios" / "uk_ngn_reseller_rollback.yaml"
    external_record(fake, state_file, scenario=other, instant="2026-12-04T12:00:00+00:00")
    with pytest.raises(BadInputError, match="names carriers the running Asterisk does not "
                                            "have: bt; restart with `cutover asterisk down`"):
        move_to(replay, at(replay, "after_cutover"), state_file=state_file)
    assert fake.db == {}
    assert not any(a["Action"] in ("DBPut", "DBDel") for a in fake.received)
    recorded = runner.load_running(state_file)
    assert recorded is not None and recorded.scenario == str(other.resolve())


def test_move_to_an_external_asterisk_needing_new_config_refuses(
        replay: Replay, fake: FakeAMI, state_file: Path) -> None:
    external_record(fake, state_file, scenario=WEEKEND, instant=None)
    with pytest.raises(HarnessError, match="cannot write config files to the external Asterisk"):
        move_to(replay, at(replay, "after_cutover"), state_file=state_file)
    assert fake.db == {}


def test_status_document_names_the_running_scenarios_carriers(fake: FakeAMI,
                                                              state_file: Path) -> None:
    external_record(fake, state_file, scenario=WEEKEND, instant="2026-11-28T06:00:00+00:00")
    document = status_document(state_file=state_file)
    assert document["running"] is True and document["backend"] == "external"
    assert document["instant"] == "2026-11-28T06:00:00+00:00"
    assert set(document["carriers"]) == {"bt", "callagenix", "vodafone"}
    assert set(document["carriers"]["bt"]) == {"send_from", "deliver_to"}
    # uk_gnp_weekend: one mailbox (a phone), two DDI numbers on acme's main site's trunk
    assert document["pbx_trunks"] == {"pbx-acme-callagenix": {
        "customer": "acme", "site": None, "carrier": "callagenix", "send_from": "127.1.0.1",
        "deliver_to": "127.1.0.1:5060", "ddi_numbers": 2}}


def test_status_document_names_each_sites_pbx_trunk(fake: FakeAMI, state_file: Path) -> None:
    sites = ROOT / "scenarios" / "uk_ddi_two_sites.yaml"
    external_record(fake, state_file, scenario=sites, instant=None)
    trunks = status_document(state_file=state_file)["pbx_trunks"]
    assert {name: (t["site"], t["send_from"], t["ddi_numbers"]) for name, t in trunks.items()} \
        == {"pbx-harbour-callagenix": (None, "127.1.0.1", 150),
            "pbx-harbour-warehouse-callagenix": ("warehouse", "127.1.0.2", 100)}


def test_status_document_when_nothing_runs(state_file: Path) -> None:
    document = status_document(state_file=state_file)
    assert document["running"] is False and "carriers" not in document
    assert "cutover asterisk up" in document["reason"]
