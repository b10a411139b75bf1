"""RoutingCore.from_arrays: the bulk load gives the same core as the constructor's pairs."""

from __future__ import annotations

import numpy as np
import pytest

from sim.errors import NumberFormatError, RoutingError, UnknownNumberError
from sim.routing import RoutingCore

CARRIERS = ["bt", "callagenix", "vodafone"]
LINKS = [("vodafone", "bt"), ("bt", "callagenix")]
RANGES = [("+44163296", "bt"), ("+447700900", "vodafone")]


def test_same_content_hash_and_answers_as_the_pairs() -> None:
    numbers = np.array([441632960001, 441632960002, 447700900123, 441632960009])
    serving = np.array([1, 0, 1, 2])  # 441632960002 -> bt is its range holder: not ported
    bulk = RoutingCore.from_arrays(CARRIERS, LINKS, RANGES, numbers=numbers, serving=serving)
    pairs = RoutingCore(CARRIERS, LINKS, RANGES, ported=[
        (int(n), CARRIERS[c]) for n, c in zip(numbers, serving, strict=True)])
    assert bulk.snapshot.content_hash == pairs.snapshot.content_hash
    assert bulk.ported_count == pairs.ported_count == 3
    assert bulk.lookup_batch(numbers).tolist() == pairs.lookup_batch(numbers).tolist()
    assert bulk.route("+441632960001").reason == pairs.route("+441632960001").reason


def test_empty_arrays_give_the_plain_core() -> None:
    core = RoutingCore.from_arrays(CARRIERS, LINKS, RANGES, numbers=np.empty(0, np.int64),
                                   serving=np.empty(0, np.int16))
    assert core.ported_count == 0 and core.version == 0


@pytest.mark.parametrize(("numbers", "serving", "error", "match"), [
    # lengths differ
    ([441632960001], [1, 2], RoutingError, "2 serving carriers"),
    # a carrier index out of range
    ([441632960001], [3], RoutingError, "carrier index 3"),
    # a number listed twice
    ([441632960001, 441632960001], [1, 2], RoutingError, "more than once"),
    # not 1-15 digits
    ([0], [1], NumberFormatError, "not an E.164"),
    # in no range
    ([442079460000], [1], UnknownNumberError, "442079460000"),
])
def test_checks(numbers: list[int], serving: list[int], error: type[Exception],
                match: str) -> None:
    with pytest.raises(error, match=match):
        RoutingCore.from_arrays(CARRIERS, LINKS, RANGES, numbers=np.array(numbers),
                                serving=np.array(serving))
