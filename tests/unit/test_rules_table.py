"""tests/RULES.md: the rule table is sorted by rule and every test it names exists."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TABLE = ROOT / "tests" / "RULES.md"
# `tests/...py` or `tests/...py::test_name` in the tests column
REFERENCE = re.compile(r"`(tests/[\w/]+\.py)(?:::(\w+))?`")


def rows() -> list[list[str]]:
    lines = [line for line in TABLE.read_text().splitlines() if line.startswith("|")]
    return [[cell.strip() for cell in line.strip("|").split("|")] for line in lines[2:]]


def test_the_table_has_rows_of_four_cells_sorted_by_rule() -> None:
    table = rows()
    assert table and all(len(row) == 4 for row in table), table
    rules = [row[0] for row in table]
    assert rules == sorted(rules, key=str.casefold)


def test_every_test_the_table_names_exists() -> None:
    missing = []
    for rule, _seed, _key, tests in rows():
        found = REFERENCE.findall(tests)
        if not found:
            missing.append(f"{rule}: no test named")
        for path, name in found:
            source = ROOT / path
            if not source.exists():
                missing.append(f"{rule}: {path} does not exist")
            elif name and not re.search(rf"^def {name}\(", source.read_text(), re.M):
                missing.append(f"{rule}: {path} has no {name}")
    assert missing == []
