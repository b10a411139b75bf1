"""Tests of the routing core: number plan, porting database, carrier graph and snapshots."""

from __future__ import annotations

from unittest import mock

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim.errors import (
    ConflictingUpdateError,
    CutoverError,
    NoRouteError,
    NumberFormatError,
    RoutingError,
    UnknownNumberError,
)
from sim.routing import (
    PortChange,
    Route,
    RoutingCore,
    RoutingSnapshot,
    Scheme,
    e164_to_int,
    int_to_e164,
)
from sim.routing import core as routing

CARRIERS = ["bt", "callagenix", "vodafone"]
INTERCONNECTS = [("vodafone", "bt"), ("bt", "callagenix"), ("vodafone", "callagenix")]
RANGES = [("+44163296", "bt")]
NUMBER = "+441632960001"

# A richer plan for the properties: nested ranges, two number lengths, a far-off carrier.
WIDE_CARRIERS = ["bt", "callagenix", "vodafone", "sky", "att"]
WIDE_INTERCONNECTS = [("bt", "callagenix"), ("bt", "vodafone"), ("vodafone", "sky"),
                      ("sky", "att")]
WIDE_RANGES = [
    ("+441632", "bt"),
    ("+4416329", "vodafone"),    # nested in +441632
    ("+441632960", "callagenix"),  # nested twice
    ("+4420", "sky"),
    ("+1555", "att"),            # 11-digit numbers
]
ALLOCATED = (
    [441632000000 + i for i in range(4)]       # bt
    + [441632970000 + i for i in range(4)]     # vodafone
    + [441632960000 + i for i in range(6)]     # callagenix
    + [442079460000 + i for i in range(4)]     # sky
    + [15550100000 + i for i in range(3)]      # att
)
UNALLOCATED = [331234567890, 441700000000, 15560100000]


@pytest.fixture
def core() -> RoutingCore:
    return RoutingCore(CARRIERS, INTERCONNECTS, RANGES)


def wide_core(scheme: str = "onward") -> RoutingCore:
    return RoutingCore(WIDE_CARRIERS, WIDE_INTERCONNECTS, WIDE_RANGES, scheme=scheme)


def routing_of(snap: RoutingSnapshot) -> dict[int, str]:
    return {n: snap.serving_carrier(n) for n in ALLOCATED}


# --- numbers at the edge -------------------------------------------------------------------

@pytest.mark.parametrize(("text", "expected"), [
    ("+441632960001", 441632960001),   # UK geographic
    ("+15550100000", 15550100000),     # NANP, 11 digits
    ("+1", 1),                         # shortest: one digit
    ("+999999999999999", 999999999999999),  # longest: 15 digits
])
def test_e164_round_trip(text: str, expected: int) -> None:
    assert e164_to_int(text) == expected
    assert int_to_e164(expected) == text


@pytest.mark.parametrize("text", [
    "441632960001",        # no plus
    "+0441632960001",      # leading zero
    "+44 1632 960001",     # spaces
    "+44_1632960001",      # int() would take the underscore
    "+٤٤١٦٣٢٩٦٠٠٠١",       # non-ASCII digits, which int() also takes
    "+4416329600011111",   # 16 digits
    "+",                   # no digits
    "",                    # empty
    " +441632960001",      # leading space
    "+441632960001\n",     # trailing newline
])
def test_malformed_numbers_are_refused(core: RoutingCore, text: str) -> None:
    with pytest.raises(NumberFormatError):
        e164_to_int(text)
    with pytest.raises(NumberFormatError):
        core.serving_carrier(text)
    with pytest.raises(NumberFormatError):
        core.route(text)


@pytest.mark.parametrize("number", [
    0,                      # not a number
    -441632960001,          # negative
    10**15,                 # 16 digits
    True,                   # a bool is not a number here
    4.41632960001e11,       # nor is a float
])
def test_malformed_int_numbers_are_refused(core: RoutingCore, number: object) -> None:
    with pytest.raises(NumberFormatError):
        core.serving_carrier(number)  # type: ignore[arg-type]


# --- the readable example ------------------------------------------------------------------

def test_example_onward_and_direct() -> None:
    ported = [(NUMBER, "callagenix")]
    onward = RoutingCore(CARRIERS, INTERCONNECTS, RANGES, ported=ported)
    direct = RoutingCore(CARRIERS, INTERCONNECTS, RANGES, ported=ported, scheme=Scheme.DIRECT)
    assert onward.route(NUMBER, origin="vodafone").path == ("vodafone", "bt", "callagenix")
    assert direct.route(NUMBER, origin="vodafone").path == ("vodafone", "callagenix")


def test_example_port_by_apply(core: RoutingCore) -> None:
    assert core.route(NUMBER, origin="vodafone") == Route(
        NUMBER, "bt", "bt", ("vodafone", "bt"), False,
        "not ported; range holder bt serves it; routed to range holder bt", 0)
    snap = core.apply([PortChange(441632960001, "callagenix", at=1795824000.0,
                                  note="activation")])
    assert snap is core.snapshot and snap.version == 1
    assert core.route(NUMBER, origin="vodafone") == Route(
        NUMBER, "callagenix", "bt", ("vodafone", "bt", "callagenix"), True,
        "ported from bt to callagenix at 2026-11-28T00:00Z (version 1); "
        "onward-routed via range holder bt", 1)


@pytest.mark.parametrize(("scheme", "origin", "path"), [
    ("onward", "vodafone", ("vodafone", "bt", "callagenix")),   # trombone via the holder
    ("onward", "bt", ("bt", "callagenix")),                     # from the holder itself
    ("onward", "callagenix", ("callagenix",)),                  # recipient knows its own
    ("onward", None, ("callagenix",)),                          # no origin: the server
    ("direct", "vodafone", ("vodafone", "callagenix")),         # all-call query
    ("direct", "bt", ("bt", "callagenix")),                     # holder queries too
])
def test_paths_of_a_ported_number(scheme: str, origin: str | None, path: tuple[str, ...]
                                  ) -> None:
    c = RoutingCore(CARRIERS, INTERCONNECTS, RANGES, scheme=scheme,
                    ported=[(NUMBER, "callagenix")])
    route = c.route(NUMBER, origin=origin)
    assert route.path == path
    assert (route.carrier, route.range_holder, route.ported) == ("callagenix", "bt", True)


# --- number plan ---------------------------------------------------------------------------

@pytest.mark.parametrize(("number", "holder"), [
    ("+441632000001", "bt"),          # only +441632 matches
    ("+441632970001", "vodafone"),    # +4416329 beats +441632
    ("+441632960001", "callagenix"),  # +441632960 beats both
    ("+441632961001", "vodafone"),    # next to +441632960: back to +4416329
    ("+442079460001", "sky"),         # another block
    ("+15550100001", "att"),          # another length
    ("+441632", "bt"),                # a number as long as its prefix is in it
])
def test_longest_prefix_match(number: str, holder: str) -> None:
    c = wide_core()
    assert c.serving_carrier(number) == holder
    assert c.range_holder(number) == holder
    assert c.lookup_batch(np.array([e164_to_int(number)]))[0] == WIDE_CARRIERS.index(holder)


@pytest.mark.parametrize("number", [
    "+331234567890",   # no range in this country
    "+44163",          # shorter than every prefix it could match
    "+4417",           # a block next to allocated ones
    "+15560100000",    # next to +1555
])
def test_unallocated_numbers(number: str) -> None:
    c = wide_core()
    with pytest.raises(UnknownNumberError, match="not in any allocated range"):
        c.serving_carrier(number)
    with pytest.raises(UnknownNumberError):
        c.route(number)
    assert c.lookup_batch(np.array([e164_to_int(number)]))[0] == -1


def test_batch_marks_unallocated_and_malformed_without_raising() -> None:
    c = wide_core()
    got = c.lookup_batch(np.array([441632960001, 331234567890, 0, -5, 10**15, 15550100001]))
    assert got.dtype == np.int16
    assert got.tolist() == [1, -1, -1, -1, -1, 4]


# --- construction errors -------------------------------------------------------------------

@pytest.mark.parametrize(("kwargs", "error", "match"), [
    # an interconnect to a carrier nobody declared
    ({"interconnects": [("bt", "ee")]}, RoutingError, "ee"),
    # a range held by an unknown carrier
    ({"ranges": [("+44163296", "ee")]}, RoutingError, "ee"),
    # the same prefix twice
    ({"ranges": [("+44163296", "bt"), ("+44163296", "vodafone")]}, RoutingError, "+44163296"),
    # a prefix that is not E.164
    ({"ranges": [("44163296", "bt")]}, NumberFormatError, "44163296"),
    # a ported number served by an unknown carrier
    ({"ported": [(NUMBER, "ee")]}, RoutingError, "ee"),
    # a ported number outside every range
    ({"ported": [("+331234567890", "bt")]}, UnknownNumberError, "331234567890"),
    # a ported number listed twice
    ({"ported": [(NUMBER, "vodafone"), (NUMBER, "callagenix")]}, RoutingError, "more than once"),
    # an unknown routing scheme
    ({"scheme": "telepathy"}, RoutingError, "telepathy"),
])
def test_construction_errors(kwargs: dict[str, object], error: type[Exception], match: str
                             ) -> None:
    args: dict[str, object] = {"carriers": CARRIERS, "interconnects": INTERCONNECTS,
                               "ranges": RANGES}
    args.update(kwargs)
    with pytest.raises(error, match=match.replace("+", r"\+")):
        RoutingCore(**args)  # type: ignore[arg-type]


def test_no_interconnect_path() -> None:
    c = RoutingCore(CARRIERS + ["island"], INTERCONNECTS, RANGES,
                    ported=[(NUMBER, "island")])
    with pytest.raises(NoRouteError, match="island"):
        c.route(NUMBER, origin="vodafone")
    with pytest.raises(RoutingError, match="ee"):
        c.route(NUMBER, origin="ee")


def test_graph_is_frozen(core: RoutingCore) -> None:
    assert core.graph.has_edge("bt", "vodafone") and core.graph.has_edge("vodafone", "bt")
    with pytest.raises(Exception, match="[Ff]rozen"):
        core.graph.add_edge("bt", "ee")


# --- applying changes ----------------------------------------------------------------------

@pytest.mark.parametrize(("changes", "error"), [
    # an unknown carrier anywhere in the batch
    ([PortChange(441632960001, "callagenix"), PortChange(441632960002, "ee")], RoutingError),
    # an unallocated number anywhere in the batch
    ([PortChange(441632960001, "callagenix"), PortChange(331234567890, "bt")],
     UnknownNumberError),
    # a malformed number
    ([PortChange(-1, "bt")], NumberFormatError),
])
def test_failed_apply_publishes_nothing(core: RoutingCore, changes: list[PortChange],
                                        error: type[Exception]) -> None:
    before = core.snapshot
    with pytest.raises(error):
        core.apply(changes)
    assert core.snapshot is before
    assert core.history(441632960001) == []
    assert core.serving_carrier(NUMBER) == "bt"


def test_stale_base_version_is_refused(core: RoutingCore) -> None:
    core.apply([PortChange(441632960001, "callagenix")], base_version=0)
    before = core.snapshot
    with pytest.raises(ConflictingUpdateError, match="version 0"):
        core.apply([PortChange(441632960001, "vodafone")], base_version=0)
    assert core.snapshot is before and core.serving_carrier(NUMBER) == "callagenix"


def test_history_and_return_home(core: RoutingCore) -> None:
    h0 = core.snapshot.content_hash
    core.apply([PortChange(441632960001, "callagenix", at=1.0, note="activation")])
    core.apply([PortChange(441632960001, "vodafone", note="port on"),
                PortChange(441632960001, "bt", at=3.0, note="return")])
    assert core.history(NUMBER) == [
        PortChange(441632960001, "callagenix", 1.0, "activation"),
        PortChange(441632960001, "vodafone", None, "port on"),
        PortChange(441632960001, "bt", 3.0, "return"),
    ]
    assert not core.is_ported(NUMBER) and core.ported_count == 0
    assert core.snapshot.content_hash == h0 and core.version == 2


def test_rebuild_keeps_content(core: RoutingCore) -> None:
    core.apply([PortChange(441632960000 + i, "vodafone") for i in range(50)])
    snap = core.snapshot
    core.rebuild()
    assert core.snapshot is not snap
    assert core.snapshot.content_hash == snap.content_hash
    assert core.version == snap.version and core.ported_count == 50
    assert core.serving_carrier("+441632960049") == "vodafone"


def test_overlay_compaction_keeps_content(core: RoutingCore) -> None:
    core.compact_at = 8  # fold the overlay on nearly every apply
    for i in range(5):
        core.apply([PortChange(441632960000 + 10 * i + j, "vodafone") for j in range(5)])
    core.apply([PortChange(441632960000 + j, "bt") for j in range(5)])
    assert core.ported_count == 20
    numbers = np.arange(441632960000, 441632960050)
    assert [core.carrier_ids[i] for i in core.lookup_batch(numbers)] == [
        core.serving_carrier(int(n)) for n in numbers]


# --- invariants ----------------------------------------------------------------------------

change = st.builds(PortChange, st.sampled_from(ALLOCATED), st.sampled_from(WIDE_CARRIERS))
batches = st.lists(st.lists(change, max_size=8), max_size=6)
PROPERTY = settings(max_examples=60, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])


@PROPERTY
@given(batches, st.sampled_from(["onward", "direct"]))
def test_every_number_routes_to_exactly_one_carrier(batches: list[list[PortChange]],
                                                    scheme: str) -> None:
    c = wide_core(scheme)
    model = {n: c.serving_carrier(n) for n in ALLOCATED}
    holders = dict(model)
    for batch in batches:
        c.apply(batch)
        for ch in batch:
            model[ch.number] = ch.carrier
        snap = c.snapshot
        assert routing_of(snap) == model
        assert snap.ported_count == sum(model[n] != holders[n] for n in ALLOCATED)
        batch_ix = snap.lookup_batch(np.array(ALLOCATED + UNALLOCATED))
        assert [snap.carrier_ids[i] for i in batch_ix[: len(ALLOCATED)]] == list(model.values())
        assert (batch_ix[len(ALLOCATED):] == -1).all()
        for n in ALLOCATED:
            route = snap.route(n, origin="bt")
            assert route.carrier == model[n] and route.path[-1] == model[n]
            assert route.path[0] == "bt"
            assert route.ported == (model[n] != holders[n])
            if scheme == "onward" and model[n] != "bt":
                assert holders[n] in route.path


@PROPERTY
@given(batches)
def test_changes_then_inverse_restore_routing_and_hash(batches: list[list[PortChange]]) -> None:
    c = wide_core()
    c.apply([PortChange(441632960001, "sky"), PortChange(441632000002, "att")])
    start = c.snapshot
    for batch in batches:
        before = c.snapshot
        c.apply(batch)
        inverse = [PortChange(n, before.serving_carrier(n))
                   for n in dict.fromkeys(ch.number for ch in batch)]
        c.apply(inverse)
        assert routing_of(c.snapshot) == routing_of(before)
        assert c.snapshot.content_hash == before.content_hash
        assert c.snapshot.ported_count == before.ported_count
    assert c.snapshot.content_hash == start.content_hash


@PROPERTY
@given(batches)
def test_held_snapshot_does_not_change(batches: list[list[PortChange]]) -> None:
    c = wide_core()
    c.apply([PortChange(441632960001, "sky")])
    held = c.snapshot
    view = routing_of(held)
    h, v = held.content_hash, held.version
    route = held.route(441632960001, origin="att")
    for batch in batches:
        c.apply(batch)
    c.rebuild()
    assert routing_of(held) == view
    assert (held.content_hash, held.version) == (h, v)
    assert held.route(441632960001, origin="att") == route
    with pytest.raises(AttributeError):
        held.version = 99  # type: ignore[misc]


@PROPERTY
@given(batches, st.lists(change, min_size=1, max_size=4),
       st.sampled_from(["stale", "carrier", "number"]))
def test_refused_apply_changes_nothing(batches: list[list[PortChange]],
                                       bad: list[PortChange], why: str) -> None:
    c = wide_core()
    for batch in batches:
        c.apply(batch)
    snap = c.snapshot
    hist = {n: c.history(n) for n in ALLOCATED}
    if why == "stale":
        with pytest.raises(ConflictingUpdateError):
            c.apply(bad, base_version=snap.version - 1)
    elif why == "carrier":
        with pytest.raises(RoutingError):
            c.apply([*bad, PortChange(ALLOCATED[0], "ee")], base_version=snap.version)
    else:
        with pytest.raises(UnknownNumberError):
            c.apply([*bad, PortChange(UNALLOCATED[0], "bt")])
    assert c.snapshot is snap
    assert routing_of(c.snapshot) == routing_of(snap)
    assert {n: c.history(n) for n in ALLOCATED} == hist


@settings(max_examples=30, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 3999), st.integers(0, 4)), max_size=300),
       st.integers(0, 2**32))
def test_batch_agrees_with_single_on_a_larger_plan(ported: list[tuple[int, int]],
                                                   seed: int) -> None:
    rng = np.random.default_rng(seed)
    ranges = [(f"+4420{i:03d}", WIDE_CARRIERS[i % 5]) for i in range(40)]
    ranges += [(f"+4420{i:03d}5", WIDE_CARRIERS[(i + 1) % 5]) for i in range(0, 40, 3)]
    c = RoutingCore(WIDE_CARRIERS, WIDE_INTERCONNECTS, ranges)
    numbers = 442000000000 + np.arange(4000) * 100  # inside the 40 ranges
    c.apply([PortChange(int(numbers[i]), WIDE_CARRIERS[k]) for i, k in ported])
    probe = np.concatenate([numbers, rng.integers(441999990000, 442000410000, 500)])
    got = c.lookup_batch(probe)
    for n, ix in zip(probe.tolist(), got.tolist(), strict=True):
        if ix < 0:
            with pytest.raises(UnknownNumberError):
                c.serving_carrier(n)
        else:
            assert c.serving_carrier(n) == c.carrier_ids[ix]
            assert c.serving_carrier(int_to_e164(n)) == c.carrier_ids[ix]


@PROPERTY
@given(st.lists(st.lists(change, min_size=1, max_size=12), max_size=8),
       st.lists(change, min_size=1, max_size=4), st.sampled_from(["carrier", "number", "bad"]))
def test_few_changes_path_agrees_with_the_batch_path(batches: list[list[PortChange]],
                                                      refused: list[PortChange],
                                                      why: str) -> None:
    """Applies of up to routing._FEW changes skip numpy: the same snapshots, history, errors."""
    few, batch = wide_core(), wide_core()
    bad = {"carrier": PortChange(ALLOCATED[0], "ee"),
           "number": PortChange(UNALLOCATED[0], "bt"), "bad": PortChange(-5, "bt")}[why]
    for changes in [*batches, [*refused, bad]]:
        outcomes = []
        for c, limit in ((few, 64), (batch, 0)):
            with mock.patch.object(routing, "_FEW", limit):
                try:
                    snap = c.apply(changes)
                    outcomes.append((snap.version, snap.content_hash, snap.ported_count))
                except CutoverError as exc:
                    outcomes.append((type(exc), str(exc)))
        assert outcomes[0] == outcomes[1]
        assert routing_of(few.snapshot) == routing_of(batch.snapshot)
    assert {n: few.history(n) for n in ALLOCATED} == {n: batch.history(n) for n in ALLOCATED}
