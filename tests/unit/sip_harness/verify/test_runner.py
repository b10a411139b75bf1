"""Suites without Asterisk: expectations from the routing core, reports."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from sim.errors import UnknownNumberError
from sim.model import simulate
from sim.scenario import load_scenario
from sip_harness.verify.checks import CheckResult
from sip_harness.verify.runner import expectations, plan, table, write_jsonl, write_junit

ROOT = Path(__file__).resolve().parents[4]


def scenario(name: str):  # type: ignore[no-untyped-def]
    return load_scenario(ROOT / "scenarios" / f"{name}.yaml")


@pytest.mark.parametrize(("name", "checkpoint", "carrier", "phone", "pre_port"), [
    ("uk_gnp_weekend", "before", "bt", False, None),                  # not yet ported
    ("uk_gnp_weekend", "after_cutover", "callagenix", True, None),    # the customer's phone
    ("uk_ngn_reseller_rollback", "after_rollback", "cw", False,       # back to the pre-port state
     ("cw", False, "+448081570123")),
    ("uk_gnp_misconfigured", "after_cutover", "callagenix", True, None),  # the core is right
])
def test_expectations_follow_the_routing_core(name: str, checkpoint: str, carrier: str,
                                              phone: bool, pre_port: object) -> None:
    s = scenario(name)
    exp = expectations(s, checkpoint, s.checkpoint(checkpoint).at, "vodafone")[0]
    assert (exp.carrier, exp.phone, exp.pre_port) == (carrier, phone, pre_port)
    assert exp.presented == exp.number  # no temporary numbers in these scenarios


def test_plan_picks_an_origin_and_a_truly_unallocated_number() -> None:
    s = scenario("uk_gnp_weekend")
    p = plan(s)
    assert (p.origin, p.external_prefix) == ("vodafone", "+447700900")
    with pytest.raises(UnknownNumberError):
        simulate(s, until=s.start).routing.route(p.unallocated)


def results() -> list[CheckResult]:
    return [CheckResult("before", "+441632960001", "inbound", "bt", "bt", True, "ok"),
            CheckResult("after_cutover", "+441632960002", "inbound", "callagenix", "bt", False,
                        "expected callagenix; arrived at bt", {"status": 486}),
            CheckResult("after_cutover", "+441632960002", "voicemail", "n/a", "n/a", None,
                        "not applicable")]


def test_reports(tmp_path: Path) -> None:
    write_jsonl(results(), tmp_path / "r.jsonl")
    rows = [json.loads(line) for line in (tmp_path / "r.jsonl").read_text().splitlines()]
    assert set(rows[0]) == {"checkpoint", "number", "check", "expected", "observed", "passed",
                            "reason", "evidence"}
    write_junit(results(), tmp_path / "r.xml", suite="s")
    suites = ET.parse(tmp_path / "r.xml").getroot().findall("testsuite")
    assert [(x.get("tests"), x.get("failures"), x.get("skipped")) for x in suites] == [
        ("1", "0", "0"), ("2", "1", "1")]
    assert table(results(), "after_cutover").row_count == 1
