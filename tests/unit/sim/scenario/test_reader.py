"""sim.scenario.reader: defaults, cross-checks, and every issue reported with its path."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from .conftest import BASE, errors_of, load, mutate


def test_base_loads_with_defaults() -> None:
    s = load(BASE)
    assert s.name == "t" and s.seed == 1 and s.routing == "onward" and s.country == "GB"
    order = s.port_orders[0]
    assert order.numbers == ("+441632960001", "+441632960002")
    assert order.losing == "bt"  # the customer's carrier, defaulted to the range holder
    # a time without an offset is local to the regime (London is UTC in November)
    assert order.submitted == datetime(2026, 11, 23, 10, tzinfo=UTC)
    assert order.request.name == "Acme Widgets Ltd"  # the request states what the bill says
    assert s.customers[0].voicemail[0].number == "+441632960001"
    # default routing numbers: global (RFC 4694), the regime's country code, one per carrier
    assert [c.routing_number for c in s.carriers] == ["+44D001", "+44D002", "+44D003"]


@pytest.mark.parametrize("rn", ["+44D009", "+12125550000", "+351-d10", "D002;rn-context=+44",
                                "5A1;rn-context=np.example.net"])
def test_valid_routing_numbers_are_kept_as_written(rn: str) -> None:
    s = load(mutate(lambda d: d["carriers"][0].update(routing_number=rn)))
    assert s.carriers[0].routing_number == rn


@pytest.mark.parametrize(("change", "expected"), [
    # a missing required key
    (lambda d: d.pop("regime"), "regime (line"),
    (lambda d: d["port_orders"][0].pop("gaining"), "port_orders[0].gaining"),
    # a wrong type
    (lambda d: d.update(seed="one"), "seed (line 36): expected an integer"),
    (lambda d: d["customers"][0].update(numbers="01632 960001"), "customers[0].numbers"),
    # an unknown carrier id
    (lambda d: d["interconnects"].append(["bt", "o2"]), "unknown carrier 'o2'"),
    (lambda d: d["port_orders"][0].update(gaining="ee"), "port_orders[0].gaining"),
    # a number that is not E.164-able, and one outside every range
    (lambda d: d["customers"][0]["numbers"].append("12"), "customers[0].numbers[2]"),
    (lambda d: d["customers"][0]["numbers"].append("+44 20 7946 0000"), "not in any allocated"),
    # letters are not digits (libphonenumber would make this +441632962222)
    (lambda d: d["customers"][0]["numbers"].append("01632 96abc2"),
     "customers[0].numbers[2] (line 24): '01632 96abc2' is not a phone number: 'a' is a letter"),
    (lambda d: d["ranges"][0].update(prefix="+44 1632 9X"), "ranges[0].prefix"),
    # whole numbers where a count is meant; 0 only where 0 means something
    (lambda d: d["port_orders"][0].update(reattempt_days=-1),
     "port_orders[0].reattempt_days (line 33): expected a whole number >= 0, got -1"),
    (lambda d: d["port_orders"][0].update(faults=[{"kind": "activation_failure", "attempt": 0}]),
     "port_orders[0].faults[0].attempt (line 35): expected a whole number >= 1, got 0"),
    (lambda d: d["port_orders"][0].update(faults=[{"kind": "delay", "days": -2}]),
     "port_orders[0].faults[0].days"),
    (lambda d: d["carriers"][0].update(desk={"capacity": 2.5}),
     "carriers[0].desk.capacity (line 7): expected a whole number >= 1, got 2.5"),
    # overlapping ports of one number
    (lambda d: d["port_orders"].append({**d["port_orders"][0], "id": "p2"}), "ports of one"),
    # dates out of order
    (lambda d: d.update(horizon="2026-11-01T00:00:00Z"), "horizon (line"),
    (lambda d: d["port_orders"][0].update(requested_date="2026-11-20T00:00:00"),
     "requested date is before submission"),
    (lambda d: d["checkpoints"][0].update(at="2027-01-01T00:00:00Z"), "checkpoints[0].at"),
    # a typo in a key
    (lambda d: d["port_orders"][0].update(gainng="x"), "unknown key 'gainng'"),
    # an unknown regime, fault, checkpoint duplicate, voicemail on a foreign number
    (lambda d: d.update(regime="fr"), "unknown regime 'fr'"),
    (lambda d: d["port_orders"][0].update(faults=[{"kind": "meteor"}]), "unknown fault"),
    (lambda d: d["checkpoints"].append(dict(d["checkpoints"][0])), "duplicate checkpoint"),
    (lambda d: d["customers"][0]["voicemail"].append({"box": "2", "number": "01632 960009"}),
     "not one of the customer's numbers"),
    # routing numbers (RFC 4694): neither global nor local with a context; a bad context; twice
    (lambda d: d["carriers"][0].update(routing_number="D002"),
     "carriers[0].routing_number (line 6): 'D002' is neither a global routing number"),
    (lambda d: d["carriers"][0].update(routing_number="+44G1"), "carriers[0].routing_number"),
    (lambda d: d["carriers"][0].update(routing_number="D2;rn-context=!"), "rn-context '!'"),
    (lambda d: d["carriers"][1].update(routing_number="+44D001"),
     "carriers[1].routing_number (line 7): routing number +44D001 is already carriers[0]'s"),
    (lambda d: d["carriers"][0].update(routing_number="+44D002"),  # callagenix's default
     "carriers[1].routing_number (line 7): routing number +44D002 (the default) is already"),
    # an extension that is not the customer's, and one that is no number
    (lambda d: d["customers"][0].update(extensions=["01632 960009"]),
     "customers[0].extensions (line"),
    (lambda d: d["customers"][0].update(extensions=["not a number"]),
     "customers[0].extensions[0]"),
    # a one_way_audio fault needs its number, one with a phone to mute, and is always certain
    (lambda d: d["port_orders"][0].update(faults=[{"kind": "one_way_audio"}]),
     "port_orders[0].faults[0].number"),
    (lambda d: d["port_orders"][0].update(faults=[{"kind": "one_way_audio",
                                                   "number": "01632 960002"}]),
     "+441632960002 has no phone (box or extension)"),
    (lambda d: d["port_orders"][0].update(faults=[{"kind": "one_way_audio",
                                                   "number": "01632 960001",
                                                   "probability": 0.5}]),
     "a one_way_audio fault is always certain"),
])
def test_bad_scenarios_name_the_path(change, expected: str) -> None:
    messages = errors_of(mutate(change))
    assert any(expected in m for m in messages), messages


def test_extensions_and_mailbox_numbers_have_phones() -> None:
    s = load(mutate(lambda d: d["customers"][0].update(extensions=[
        d["customers"][0]["numbers"][-1]])))
    customer = s.customers[0]
    assert customer.extensions == (customer.numbers[-1],)
    assert customer.phones == {customer.numbers[-1], *(m.number for m in customer.voicemail)}


def test_every_error_is_reported_at_once() -> None:
    data = mutate(lambda d: (d.update(seed="x"), d["port_orders"][0].update(gaining="ee")))
    assert len(errors_of(data)) == 2


def test_resubmission_after_the_requested_date_is_not_an_overlap() -> None:
    again = {**BASE["port_orders"][0], "id": "p2", "submitted": "2026-11-30T10:00:00",
             "requested_date": None}
    s = load(mutate(lambda d: d["port_orders"].append(again)))
    assert [o.id for o in s.port_orders] == ["p1", "p2"]


def test_ddi_block_expands_and_marks_the_order() -> None:
    def change(d: dict[str, Any]) -> None:
        d["customers"][0]["numbers"] = [{"first": "01632 960100", "count": 3}]
        d["customers"][0].pop("voicemail")
        d["port_orders"][0]["numbers"] = [{"first": "01632 960100", "count": 3}]

    order = load(mutate(change)).port_orders[0]
    assert order.ddi and order.numbers[-1] == "+441632960102"


def test_zero_means_zero() -> None:
    # minutes: 0 is a failure detected at once and reattempt_days: 0 the next slot, not the
    # defaults (30 minutes, 7 days) an `x or default` would give
    def change(d: dict[str, Any]) -> None:
        d["port_orders"][0].update(reattempt_days=0, faults=[
            {"kind": "activation_failure", "minutes": 0},
            {"kind": "interruption", "minutes": 0, "attempt": 2},
            {"kind": "delay", "days": 0}])
        d["carriers"][0]["copy_lag_minutes"] = 0

    s = load(mutate(change))
    order = s.port_orders[0]
    assert order.reattempt_days == 0
    assert [(f.kind, f.minutes, f.days) for f in order.faults] == [
        ("activation_failure", 0.0, 0), ("interruption", 0.0, 0), ("delay", None, 0)]
    assert s.carriers[0].copy_lag_minutes == 0.0


def test_a_failure_without_minutes_leaves_them_to_the_model() -> None:
    s = load(mutate(lambda d: d["port_orders"][0].update(
        faults=[{"kind": "activation_failure"}])))
    assert s.port_orders[0].faults[0].minutes is None


def test_installation_lines_default_to_a_line_per_number_outside_a_block() -> None:
    def change(d: dict[str, Any]) -> None:
        d["customers"][0]["numbers"].append({"first": "01632 960100", "count": 30})
        d["customers"].append({"id": "shop", "name": "Shop", "numbers": ["01632 960200"],
                               "installation_lines": 12})

    acme, shop = load(mutate(change)).customers
    assert (acme.installation_lines, shop.installation_lines) == (2, 12)


def test_some_numbers_of_a_customers_block_are_a_complex_ddi_port() -> None:
    def change(d: dict[str, Any], numbers: list[Any]) -> None:
        d["customers"][0]["numbers"] = [{"first": "01632 960100", "count": 20}]
        d["customers"][0].pop("voicemail")
        d["port_orders"][0]["numbers"] = numbers

    part = load(mutate(lambda d: change(d, ["01632 960100", "01632 960101"]))).port_orders[0]
    whole = load(mutate(lambda d: change(d, [{"first": "01632 960100", "count": 20}])))
    assert (part.ddi, part.part_of_ddi_range) == (True, True)
    assert (whole.port_orders[0].ddi, whole.port_orders[0].part_of_ddi_range) == (True, False)


PT_ORDER: dict[str, Any] = {
    "regime": "pt", "start": "2026-11-30T00:00:00Z", "horizon": "2026-12-23T00:00:00Z",
    "carriers": [{"id": "meo"}, {"id": "nos"}],
    "ranges": [{"prefix": "+351 21", "holder": "meo"}],
    "customers": [{"id": "ana", "name": "Ana", "pvc": "481516234200",
                   "numbers": ["21 000 0100"]}],
    "port_orders": [{"id": "p1", "customer": "ana", "gaining": "nos",
                     "submitted": "2026-12-02T10:00:00", "distance_contract": True,
                     "physical_work_done": "2026-12-03T18:00:00"}],
}


def test_pt_distance_contracts_and_physical_work_are_read() -> None:
    order = load(PT_ORDER).port_orders[0]
    assert order.distance_contract is True
    assert order.physical_work_done == datetime(2026, 12, 3, 18, tzinfo=UTC)  # Lisbon = UTC


@pytest.mark.parametrize(("change", "expected"), [
    # only the pt regime has rules for these
    (lambda d: d["port_orders"][0].update(distance_contract=True),
     "port_orders[0].distance_contract (line 33): the regime has no rule for this key"),
    (lambda d: d["port_orders"][0].update(physical_work_done="2026-11-24T10:00:00"),
     "port_orders[0].physical_work_done (line 33): the regime has no rule for this key"),
    # a count of lines starts at 1
    (lambda d: d["customers"][0].update(installation_lines=0),
     "customers[0].installation_lines (line 27): expected a whole number >= 1, got 0"),
])
def test_bad_new_keys_name_the_path(change, expected: str) -> None:
    messages = errors_of(mutate(change))
    assert any(expected in m for m in messages), messages


@pytest.mark.parametrize(("key", "value", "expected"), [
    ("distance_contract", "yes", "port_orders[0].distance_contract (line 21): expected true or"),
    ("physical_work_done", "2026-12-01T10:00:00",
     "port_orders[0].physical_work_done (line 22): 2026-12-01T10:00:00+00:00 is outside "
     "submission..horizon"),
    ("physical_work_done", "soon", "port_orders[0].physical_work_done (line 22): 'soon' is not"),
])
def test_bad_pt_order_keys_name_the_path(key: str, value: Any, expected: str) -> None:
    data = {**PT_ORDER, "port_orders": [{**PT_ORDER["port_orders"][0], key: value}]}
    messages = errors_of(data)
    assert any(expected in m for m in messages), messages


def test_a_one_way_audio_fault_on_a_number_with_a_phone_is_read() -> None:
    def change(d: dict[str, Any]) -> None:
        d["customers"][0]["extensions"] = ["01632 960002"]
        d["port_orders"][0]["faults"] = [{"kind": "one_way_audio", "number": "01632 960002"}]

    s = load(mutate(change))
    [fault] = s.port_orders[0].faults_of("one_way_audio")
    assert fault.number == "+441632960002" in s.customers[0].phones
