"""Issue 11.1, live: one SIP trunk per customer site; each site's DDI numbers arrive on its own.

uk_ddi_two_sites: a DDI block of 250 numbers split between Harbour Foods' head office (the
main site, 150 numbers, PBX trunk pbx-harbour-callagenix at 127.1.0.1) and its warehouse (100
numbers, pbx-harbour-warehouse-callagenix at 127.1.0.2), and a reception extension with
voicemail, ported from BT to Callagenix. Real calls (SIPp for the DDI numbers, pjsua2 for the
phone) against the session's Asterisk. Then the classic fault of a multi-site cutover: the
provider delivers every DDI number to the head office's trunk; exactly the warehouse's fail.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from cutover.cli.app import main
from sim.model import Replay
from sim.scenario import load_scenario
from sip_harness.asterisk import live, runner
from sip_harness.verify.runner import run_suite

from .conftest import records

ROOT = Path(__file__).resolve().parents[2]
SITES = ROOT / "scenarios" / "uk_ddi_two_sites.yaml"
HEAD_OFFICE = {f"+4416329{n}": ("pbx-harbour-callagenix", "127.1.0.1")
               for n in range(63100, 63250)}
WAREHOUSE = {f"+4416329{n}": ("pbx-harbour-warehouse-callagenix", "127.1.0.2")
             for n in range(63250, 63350)}
RECEPTION = "+441632963000"

pytestmark = pytest.mark.usefixtures("pjsua2", "sipp")


def test_each_sites_ddi_numbers_arrive_on_that_sites_pbx_trunk(
        verify_state: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["verify", str(SITES), "--json", str(tmp_path / "r.jsonl"),
                 "--html", str(tmp_path / "r.html")])
    out = capsys.readouterr().out
    assert code == 0, out[-3000:]
    rows = records(tmp_path / "r.jsonl")
    assert not [r for r in rows if r["passed"] is False]
    counts = Counter((r["checkpoint"], r["check"]) for r in rows)
    assert counts[("before", "inbound")] == counts[("after_cutover", "inbound")] == 251
    got = {(r["checkpoint"], r["number"], r["check"]): r for r in rows}
    for number, (trunk, host) in {**HEAD_OFFICE, **WAREHOUSE}.items():
        # after the port: on its own site's trunk, the number in the Request-URI and To
        inbound = got[("after_cutover", number, "inbound")]
        assert inbound["evidence"]["arrived_at"] == trunk, inbound
        assert inbound["evidence"]["r_uri"].startswith(f"sip:{number}@{host}:"), inbound
        assert inbound["evidence"]["to"].startswith(f"<sip:{number}@"), inbound
        # its PBX presents it on the way out (placed from the site trunk's address)
        outbound = got[("after_cutover", number, "outbound_callerid")]
        assert outbound["passed"] and outbound["observed"] == number
        # before the port: still at BT's trunk
        assert got[("before", number, "inbound")]["evidence"]["arrived_at"] == "bt"
    # the reception extension is a phone (pjsua2), whatever the sites
    assert got[("after_cutover", RECEPTION, "inbound")]["observed"] == \
        "callagenix (customer's phone)"
    assert got[("after_cutover", RECEPTION, "voicemail")]["passed"] is True
    # the table: the block is a row per site trunk (COLUMNS is pytest's terminal width)
    table = out[out.index("checkpoint after_cutover"):]
    assert "PBX trunk" in table
    assert [line for line in table.splitlines() if "+44 1632 963100-963249" in line
            and "pbx-harbour-callagenix" in line]
    assert [line for line in table.splitlines() if "+44 1632 963250-963349" in line
            and "pbx-harbour-warehouse-callagenix" in line]
    # ... and so is the HTML page's matrix
    page = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert page.count("<th>PBX trunk</th>") == 2  # both checkpoints
    assert page.count('<td class="mono trunk">pbx-harbour-warehouse-callagenix</td>') == 2


def test_every_ddi_delivered_to_the_head_office_fails_exactly_the_warehouses_numbers(
        verify_state: Any, tmp_path: Path) -> None:
    # Asterisk configured as if the warehouse were not a site of its own (every DDI to the
    # head office's trunk), checked against the scenario that says it is
    text = SITES.read_text()
    cut = text.index("    sites:")
    wrong_file = tmp_path / "uk_ddi_one_site.yaml"
    wrong_file.write_text(text[:cut] + text[text.index("\nport_orders:"):])
    right, wrong = Replay(load_scenario(SITES)), Replay(load_scenario(wrong_file))
    at = right.scenario.checkpoint("after_cutover").at
    state_file = verify_state.state_file

    def apply(name: str, instant: Any) -> None:
        live.move_to(wrong, instant, state_file=state_file)

    def session() -> Any:
        return runner.require_running(state_file=state_file).ami()

    results = run_suite(right, [("after_cutover", at)], apply=apply, ami=session)
    failed = {(r.number, r.check) for r in results if r.passed is False}
    assert {n for n, check in failed if check == "inbound"} == set(WAREHOUSE)
    # a warehouse trunk that is no endpoint of Asterisk's cannot call out either
    assert {n for n, check in failed} == set(WAREHOUSE)
    by = {(r.number, r.check): r for r in results}
    one = by[("+441632963300", "inbound")]
    assert one.evidence["arrived_at"] == "pbx-harbour-callagenix"
    assert ("expected callagenix (customer's PBX) on pbx-harbour-warehouse-callagenix" in
            one.reason and "the call arrived at pbx-harbour-callagenix" in one.reason)
    assert all(by[(n, "inbound")].passed for n in HEAD_OFFICE)
