"""FieldReader on its own: typed getters over a parsed YAML document, each bad value an issue."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from sim.errors import ScenarioIssue
from sim.scenario.fields import REQUIRED, FieldReader, key_path
from sim.scenario.keys import KEYS
from sim.scenario.yaml_source import YamlSource, parse_yaml

DOC = """\
carriers:
  - id: bt
    name: BT
  - id: "bad id!"
traffic:
  calls_per_number_per_hour: -2
  origins: [vodafone]
"""


@pytest.fixture
def reader() -> FieldReader:
    return FieldReader(parse_yaml(DOC))


def bare() -> FieldReader:
    """A reader over an empty document: issues carry no line."""
    return FieldReader(YamlSource({}))


def test_a_bad_value_is_an_issue_with_the_dotted_path_and_its_line(reader: FieldReader) -> None:
    carrier = reader.src.data["carriers"][1]
    assert reader.get(carrier, "id", "carriers[1]", reader.ident) is None
    assert reader.issues == [ScenarioIssue(
        "carriers[1].id", "'bad id!' is not a valid id (letters, digits, '_', '-', '.')", 4)]


def test_a_path_without_a_line_of_its_own_takes_its_nearest_ancestors(reader: FieldReader
                                                                      ) -> None:
    traffic = reader.src.data["traffic"]
    reader.get(traffic, "calls_per_number_per_hour", "traffic", reader.positive)
    reader.text(None, "traffic.origins[0].nothing")
    assert [(i.path, i.line) for i in reader.issues] == [
        ("traffic.calls_per_number_per_hour", 6), ("traffic.origins[0].nothing", 7)]
    assert reader.issues[0].message == "expected a positive number, got -2"


def test_get_converts_a_present_key(reader: FieldReader) -> None:
    carrier = reader.src.data["carriers"][0]
    assert reader.get(carrier, "name", "carriers[0]", reader.text) == "BT"
    assert reader.issues == []


def test_required_key_missing_or_null_is_an_issue() -> None:
    r = bare()
    assert r.get({}, "id", "carriers[2]", r.ident) is None
    assert r.get({"id": None}, "id", "carriers[3]", r.ident, REQUIRED) is None
    assert [str(i) for i in r.issues] == ["carriers[2].id: required key is missing",
                                          "carriers[3].id: required key is missing"]


def test_optional_key_missing_or_null_gives_the_default_unconverted() -> None:
    r = bare()
    assert r.get({}, "days", "faults[0]", r.integer, 0) == 0
    assert r.get({"days": None}, "days", "faults[0]", r.integer, None) is None
    assert r.get({}, "reason", "faults[0]", r.text, "not-converted") == "not-converted"
    assert r.issues == []


def test_an_issue_at_the_top_level_says_top() -> None:
    r = bare()
    r.mapping([], "", "")
    assert [str(i) for i in r.issues] == ["(top): expected a mapping, got a list"]


@pytest.mark.parametrize(("method", "value", "result"), [
    ("integer", 3, 3),                     # an int stays an int
    ("integer", 0, 0),                     # zero is a value, not "missing"
    ("integer", -4, -4),                   # sign is the caller's business
    ("positive", 2, 2.0),                  # ints widen to float
    ("positive", 0.5, 0.5),                # a fraction
    ("non_negative", 0, 0.0),              # zero allowed here
    ("non_negative", 1.25, 1.25),          # a float as is
    ("boolean", True, True),               # YAML true
    ("boolean", False, False),             # false is a value too
    ("text", "BT", "BT"),                  # text as is
    ("text", 960001, "960001"),            # an unquoted number read as text
    ("ident", "acme-gnp.v2_1", "acme-gnp.v2_1"),  # every allowed character class
    ("ident", 7, "7"),                     # a numeric id becomes text
])
def test_good_values_convert(method: str, value: Any, result: Any) -> None:
    r = bare()
    got = getattr(r, method)(value, "x.y")
    assert got == result and type(got) is type(result)
    assert r.issues == []


@pytest.mark.parametrize(("method", "value", "message"), [
    ("integer", 1.5, "expected an integer, got a number"),           # a float is no int
    ("integer", True, "expected an integer, got true/false"),        # bool is not an int here
    ("integer", "3", "expected an integer, got text"),               # quoted digits
    ("integer", None, "expected an integer, got nothing"),           # null
    ("positive", 0, "expected a positive number, got 0"),            # zero is not positive
    ("positive", -1.5, "expected a positive number, got -1.5"),      # negative
    ("positive", True, "expected a positive number, got True"),      # bool refused
    ("positive", "2", "expected a positive number, got '2'"),        # text refused
    ("non_negative", -0.1, "expected a number >= 0, got -0.1"),      # just below zero
    ("non_negative", False, "expected a number >= 0, got False"),    # bool refused
    ("boolean", 1, "expected true or false, got an integer"),        # 1 is not true
    ("boolean", "yes", "expected true or false, got text"),          # quoted yes is text
    ("text", True, "expected text, got true/false"),                 # bool is not text
    ("text", 1.5, "expected text, got a number"),                    # float is not text
    ("text", ["a"], "expected text, got a list"),                    # a list
    ("text", {"a": 1}, "expected text, got a mapping"),              # a mapping
    ("ident", "-lead", "'-lead' is not a valid id (letters, digits, '_', '-', '.')"),  # 1st char
    ("ident", "a b", "'a b' is not a valid id (letters, digits, '_', '-', '.')"),  # a space
    ("ident", "", "'' is not a valid id (letters, digits, '_', '-', '.')"),        # empty
    ("time", 5, "expected a time, got an integer"),                  # epoch seconds refused
    ("time", "next friday",                                          # not ISO-8601
     "'next friday' is not an ISO-8601 time (e.g. 2026-11-23T10:00:00+00:00)"),
    ("number", 1632960001, "expected a phone number as quoted text, got an integer"),  # unquoted
])
def test_bad_values_are_issues_and_give_none(method: str, value: Any, message: str) -> None:
    r = bare()
    assert getattr(r, method)(value, "carriers[0].x") is None
    assert r.issues == [ScenarioIssue("carriers[0].x", message, None)]


def test_an_unknown_type_is_named_by_its_class() -> None:
    r = bare()
    r.integer(object(), "p")
    assert r.issues[0].message == "expected an integer, got object"


@pytest.mark.parametrize(("value", "expected"), [
    # Z suffix: UTC
    ("2026-11-23T10:00:00Z", datetime(2026, 11, 23, 10, tzinfo=UTC)),
    # an explicit offset is kept, converted to UTC
    ("2026-11-23T10:00:00+02:00", datetime(2026, 11, 23, 8, tzinfo=UTC)),
    # no offset: local time in the reader's tz (London in summer is UTC+1)
    ("2026-07-01T10:00:00", datetime(2026, 7, 1, 9, tzinfo=UTC)),
    # no offset, London in winter is UTC
    ("2026-11-23T10:00:00", datetime(2026, 11, 23, 10, tzinfo=UTC)),
    # YAML gave a datetime already (unquoted, with offset)
    (datetime(2026, 7, 1, 10, tzinfo=timezone(timedelta(hours=-5))),
     datetime(2026, 7, 1, 15, tzinfo=UTC)),
    # YAML gave a naive datetime: local time
    (datetime(2026, 7, 1, 10), datetime(2026, 7, 1, 9, tzinfo=UTC)),
    # a bare date is local midnight
    (date(2026, 7, 1), datetime(2026, 6, 30, 23, tzinfo=UTC)),
])
def test_times_are_aware_utc_and_local_without_an_offset(value: Any, expected: datetime
                                                         ) -> None:
    r = bare()
    r.tz = ZoneInfo("Europe/London")
    got = r.time(value, "start")
    assert got == expected and got.tzinfo is UTC
    assert r.issues == []


def test_time_without_offset_defaults_to_utc() -> None:
    assert bare().time("2026-07-01T10:00:00", "start") == datetime(2026, 7, 1, 10, tzinfo=UTC)


def test_yaml_unquoted_times_reach_the_reader_as_datetimes() -> None:
    src = parse_yaml("start: 2026-11-23T10:00:00\nday: 2026-11-24\n")
    r = FieldReader(src)
    r.tz = ZoneInfo("America/New_York")
    assert r.get(src.data, "start", "", r.time) == datetime(2026, 11, 23, 15, tzinfo=UTC)
    assert r.get(src.data, "day", "", r.time) == datetime(2026, 11, 24, 5, tzinfo=UTC)


def test_numbers_are_normalised_in_the_readers_country() -> None:
    r = bare()
    assert r.number("01632 960001", "n") == "+441632960001"
    assert r.number("+1 202 555 0143", "n") == "+12025550143"
    r.country = "US"
    assert r.number("(202) 555-0143", "n") == "+12025550143"
    assert r.issues == []


def test_an_unparseable_number_is_an_issue_with_the_library_reason() -> None:
    r = bare()
    assert r.number("---", "customers[0].numbers[1]") is None
    [issue] = r.issues
    assert issue.path == "customers[0].numbers[1]"
    assert issue.message.startswith("'---' is not a phone number for GB")


def test_a_number_with_a_letter_is_an_issue_not_a_vanity_conversion() -> None:
    r = bare()
    assert r.number("01632 96abc2", "customers[0].numbers[2]") is None
    assert [(i.path, i.message) for i in r.issues] == [(
        "customers[0].numbers[2]",
        "'01632 96abc2' is not a phone number: 'a' is a letter, and numbers are digits")]


@pytest.mark.parametrize(("conv", "value", "expected"), [
    ("non_negative_integer", 0, 0),  # 0 is 0, not a default
    ("non_negative_integer", 7, 7),
    ("non_negative_integer", -1, None),
    ("non_negative_integer", 1.5, None),
    ("non_negative_integer", True, None),  # a YAML true is no number
    ("positive_integer", 1, 1),
    ("positive_integer", 0, None),  # attempts and desk places count from 1
    ("positive_integer", 2.0, None),  # 2.5 would otherwise be 2 places
])
def test_whole_numbers(conv: str, value: object, expected: int | None) -> None:
    r = bare()
    assert getattr(r, conv)(value, "p") == expected
    assert bool(r.issues) == (expected is None)


def test_numbers_mixes_single_numbers_and_ddi_blocks() -> None:
    r = bare()
    got = r.numbers(["01632 960001", {"first": "01632 960100", "count": 3}], "c.numbers")
    assert got == (("+441632960001", "+441632960100", "+441632960101", "+441632960102"), True)
    assert r.issues == []


def test_numbers_without_a_block_say_so() -> None:
    r = bare()
    assert r.numbers(["01632 960001"], "c.numbers") == (("+441632960001",), False)
    assert r.numbers(None, "c.numbers") == ((), False)


def test_numbers_reports_each_bad_item_by_index_and_keeps_the_good() -> None:
    r = bare()
    got = r.numbers(["01632 960001", 5, {"first": "01632 960100", "count": 0},
                     {"first": "01632 960200", "count": 100_001}, {"count": 2},
                     {"first": "01632 960300", "count": 1, "step": 2}], "c.numbers")
    assert got == (("+441632960001", "+441632960300"), True)
    assert [(i.path, i.message) for i in r.issues] == [
        ("c.numbers[1]", "expected a phone number as quoted text, got an integer"),
        ("c.numbers[2].count", "a block holds 1 to 100000 numbers, not 0"),
        ("c.numbers[3].count", "a block holds 1 to 100000 numbers, not 100001"),
        ("c.numbers[4].first", "required key is missing"),
        ("c.numbers[5].step", "unknown key 'step' (allowed: count, first)"),
    ]


def test_numbers_not_a_list() -> None:
    r = bare()
    assert r.numbers("01632 960001", "c.numbers") == ((), False)
    assert [str(i) for i in r.issues] == ["c.numbers: expected a list, got text"]


def test_mapping_refuses_unknown_keys_listing_the_allowed_ones() -> None:
    reader = bare()
    value = {"first": "x", "count": 1, "size": 2, "len": 3}
    assert reader.mapping(value, "customers[0].numbers[0]", "block") is value
    assert [str(i) for i in reader.issues] == [
        "customers[0].numbers[0].size: unknown key 'size' (allowed: count, first)",
        "customers[0].numbers[0].len: unknown key 'len' (allowed: count, first)"]


def test_mapping_allowed_list_is_the_kinds_keys_sorted(reader: FieldReader) -> None:
    reader.mapping(reader.src.data["traffic"] | {"rate": 1}, "traffic", "traffic")
    [issue] = reader.issues
    assert issue.message == f"unknown key 'rate' (allowed: {', '.join(sorted(KEYS['traffic']))})"
    assert issue.line == 5  # traffic.rate is not in the file: the line of traffic


def test_mapping_not_a_mapping_gives_none() -> None:
    r = bare()
    assert r.mapping("bt", "carriers[0]", "carrier") is None
    assert [str(i) for i in r.issues] == ["carriers[0]: expected a mapping, got text"]


def test_seq_and_texts() -> None:
    r = bare()
    assert r.seq(None, "s") == []
    assert r.seq({"a": 1}, "s") == []
    assert r.texts(["a", 2, True, "b"], "t") == ("a", "2", "b")
    assert [str(i) for i in r.issues] == ["s: expected a list, got a mapping",
                                          "t[2]: expected text, got true/false"]


def test_carrier_ref_names_the_known_carriers() -> None:
    r = bare()
    assert r.carrier_ref("bt", "o.gaining") is None
    r.carrier_ids = {"bt", "callagenix"}
    assert r.carrier_ref("bt", "o.gaining") == "bt"
    assert r.carrier_ref("vodafone", "o.losing") is None
    assert [str(i) for i in r.issues] == [
        "o.gaining: unknown carrier 'bt' (known: none)",
        "o.losing: unknown carrier 'vodafone' (known: bt, callagenix)"]


def test_issues_accumulate_without_raising() -> None:
    r = bare()
    for method in (r.integer, r.boolean, r.text, r.time, r.number):
        method([], "p")
    assert len(r.issues) == 5


@pytest.mark.parametrize(("path", "key", "expected"), [
    ("carriers[0]", "id", "carriers[0].id"),  # under a list item
    ("", "regime", "regime"),                 # at the top level: no leading dot
    ("a.b", "c", "a.b.c"),                    # nested mappings
])
def test_key_path(path: str, key: str, expected: str) -> None:
    assert key_path(path, key) == expected
