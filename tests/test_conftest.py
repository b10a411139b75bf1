"""tests/conftest.py's rules, on a small suite of their own: integration is live, and under
CI=true a skipped live test is a failure however it skipped."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest_plugins = ["pytester"]

CONFTEST = Path(__file__).with_name("conftest.py")

LIVE = {
    "test_fixture_skip.py": """
import pytest

@pytest.fixture
def asterisk():
    pytest.skip("no asterisk here")

def test_call(asterisk):
    pass
""",
    "test_body_skip.py": """
import pytest

def test_skips():
    pytest.skip("no sipp here")

@pytest.mark.xfail(reason="known")
def test_expected_failure():
    assert False

def test_runs():
    pass
""",
}
UNIT = """
import pytest

def test_plain_skip():
    pytest.skip("not live: skips anywhere")

@pytest.mark.live
def test_marked_live_outside_integration():
    pytest.skip("no pjsua2 here")
"""


@pytest.fixture
def suite(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")  # no hypothesis: 1 s a run less
    pytester.makeini("[pytest]\nmarkers =\n    live: live\n    slow: slow\n")
    pytester.makeconftest(CONFTEST.read_text())
    (pytester.path / "integration").mkdir()
    for name, text in LIVE.items():
        (pytester.path / "integration" / name).write_text(text)
    pytester.makepyfile(test_unit=UNIT)
    return pytester


@pytest.mark.parametrize("ci", [
    "",       # not CI: live tests skip with their reason
    "false",  # anything but "true" is not CI
])
def test_off_ci_live_tests_skip(suite: pytest.Pytester, monkeypatch: pytest.MonkeyPatch,
                                ci: str) -> None:
    monkeypatch.setenv("CI", ci)
    suite.runpytest().assert_outcomes(passed=1, skipped=4, xfailed=1)


@pytest.mark.parametrize("ci", [
    "true",  # what CI sets
    "TRUE",  # any case
])
def test_on_ci_a_skipped_live_test_fails(suite: pytest.Pytester, monkeypatch: pytest.MonkeyPatch,
                                         ci: str) -> None:
    monkeypatch.setenv("CI", ci)
    result = suite.runpytest("-rA")
    # the fixture's skip fails its setup (an error), the others fail; plain skips and xfail stay
    result.assert_outcomes(passed=1, failed=2, errors=1, skipped=1, xfailed=1)
    result.stdout.fnmatch_lines(["*CI=true: a live test cannot be skipped: no asterisk here*"])


def test_integration_is_live_and_deselected_by_the_fast_loop(suite: pytest.Pytester) -> None:
    result = suite.runpytest("-m", "not live and not slow", "--collect-only", "-q")
    result.stdout.fnmatch_lines(["test_unit.py::test_plain_skip"])
    assert "integration" not in result.stdout.str()
    assert "test_marked_live_outside_integration" not in result.stdout.str()


def test_on_ci_a_live_module_skipped_at_import_fails(suite: pytest.Pytester,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    (suite.path / "integration" / "test_import_skip.py").write_text(
        'import pytest\npytest.importorskip("no_such_module_for_cutover")\n\n'
        "def test_never():\n    pass\n")
    monkeypatch.setenv("CI", "true")
    result = suite.runpytest("integration/test_import_skip.py")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*CI=true: a live test module cannot be skipped*"])
    monkeypatch.setenv("CI", "")
    suite.runpytest("integration/test_import_skip.py").assert_outcomes(skipped=1)
