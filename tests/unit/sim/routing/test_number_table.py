"""sim.routing.number_table: an immutable open-addressing table of ints."""

from __future__ import annotations

import numpy as np
import pytest

from sim.routing.number_table import MAX_KEY, NumberTable


def test_number_table_with_heavy_collisions() -> None:
    rng = np.random.default_rng(7)
    keys = np.unique(rng.integers(1, 10**12, 5000))
    vals = rng.integers(-4096, 4096, len(keys))
    table = NumberTable(keys, vals, load=1.0)  # every slot may fill: long probe runs
    probe = np.concatenate([keys, rng.integers(1, 10**12, 5000)])
    got = table.get_batch(probe, -9999)
    expect = dict(zip(keys.tolist(), vals.tolist(), strict=True))
    assert got.tolist() == [expect.get(k, -9999) for k in probe.tolist()]
    assert [table.get(k, -9999) for k in probe[:500].tolist()] == got[:500].tolist()


def test_extreme_keys_and_values_round_trip() -> None:
    keys = np.array([1, 441632960001, MAX_KEY])
    vals = np.array([-4096, 0, 4095])  # the packed value's whole range
    table = NumberTable(keys, vals)
    assert [table.get(int(k)) for k in keys] == [-4096, 0, 4095]
    assert table.get(2) is None and table.get(2, 7) == 7
    got_keys, got_vals = table.items()
    assert dict(zip(got_keys.tolist(), got_vals.tolist(), strict=True)) == \
        {1: -4096, 441632960001: 0, MAX_KEY: 4095}


def test_empty_table_answers_the_default() -> None:
    table = NumberTable(np.array([], dtype=np.int64), np.array([], dtype=np.int64))
    assert table.count == 0 and table.get(5) is None
    assert table.get_batch(np.array([1, 2]), -1).tolist() == [-1, -1]


def test_batch_default_may_be_an_array_of_the_keys_shape() -> None:
    table = NumberTable(np.array([10, 20]), np.array([1, 2]))
    got = table.get_batch(np.array([[10, 11], [20, 21]]), np.array([[-1, -2], [-3, -4]]))
    assert got.tolist() == [[1, -2], [2, -4]]


@pytest.mark.parametrize("load", [0.25, 0.5, 1.0])  # sparser tables take more slots
def test_size_follows_the_load_factor(load: float) -> None:
    table = NumberTable(np.arange(1, 101), np.zeros(100, dtype=np.int64), load=load)
    assert table.nbytes >= 8 * 100 / load
