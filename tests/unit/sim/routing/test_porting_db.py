"""The porting database's overlay: shared records told apart by generation, snapshots unchanged."""

from __future__ import annotations

import numpy as np

from sim.routing.porting_db import NOT_PORTED, PortingDatabase, carrier_salts

SALTS = carrier_salts(["bt", "vodafone", "ee"])
HOLDER = 0  # every number below belongs to bt's range


def change(db: PortingDatabase, pairs: dict[int, int]) -> PortingDatabase:
    numbers = np.array(list(pairs), dtype=np.int64)
    carriers = np.array(list(pairs.values()), dtype=np.int16)
    return db.with_changes(numbers, carriers, np.full(len(numbers), HOLDER, dtype=np.int16))


def view(db: PortingDatabase, numbers: list[int]) -> list[int]:
    singles = [db.get(n) for n in numbers]
    # batch lookups see exactly what single lookups see
    assert db.ported_batch(np.array(numbers, dtype=np.int64)).tolist() == singles
    return singles


def test_older_databases_do_not_see_later_changes() -> None:
    base = PortingDatabase.build(np.array([10, 11]), np.array([1, 1]), SALTS)
    first = change(base, {11: HOLDER, 12: 2})   # 11 goes home, 12 ports to ee
    second = change(first, {12: 1, 13: 2})      # 12 moves on, 13 ports
    numbers = [10, 11, 12, 13]
    assert view(base, numbers) == [1, 1, NOT_PORTED, NOT_PORTED]
    assert view(first, numbers) == [1, NOT_PORTED, 2, NOT_PORTED]
    assert view(second, numbers) == [1, NOT_PORTED, 1, 2]
    assert (base.count, first.count, second.count) == (2, 2, 3)


def test_changing_an_older_database_branches_without_touching_the_newer() -> None:
    base = PortingDatabase.build(np.array([10]), np.array([1]), SALTS)
    first = change(base, {11: 2})
    newer = change(first, {12: 2})
    branch = change(first, {12: 1, 10: HOLDER})  # first is no longer the line's head
    numbers = [10, 11, 12]
    assert view(newer, numbers) == [1, 2, 2]
    assert view(branch, numbers) == [NOT_PORTED, 2, 1]
    assert view(first, numbers) == [1, 2, NOT_PORTED]


def test_content_hash_is_incremental_and_compaction_keeps_it() -> None:
    base = PortingDatabase.build(np.array([10]), np.array([1]), SALTS)
    there = change(change(base, {11: 2, 10: 2}), {11: HOLDER, 10: 1})
    assert there.hash == base.hash and there.count == base.count
    packed = there.compacted()
    assert packed.hash == there.hash and view(packed, [10, 11]) == view(there, [10, 11])
