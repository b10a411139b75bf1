"""Suite-wide rules: everything under tests/integration/ is ``live``; a live test never skips on CI.

The fast inner loop runs everything but the live and slow tests (under a minute on two cores)::

    python -m pytest -m "not live and not slow"

``python -m pytest`` runs every test, live and slow ones included.

A live test (real Asterisk, pjsua2 calls, SIPp) skips with the reason where the machine cannot
run it, but under ``CI=true`` that skip is reported as a failure: here, in one place, whichever
way the skip was raised (``pytest.skip`` in a fixture or test, ``pytest.importorskip``).
"""

from __future__ import annotations

import os
from collections.abc import Generator
from pathlib import Path

import pytest

INTEGRATION = Path(__file__).resolve().parent / "integration"


def on_ci() -> bool:
    """True when ``CI=true`` (any case): skipping a live test is then a failure."""
    return os.environ.get("CI", "").lower() == "true"


def is_live_path(path: Path) -> bool:
    """True for files under tests/integration/, the live tests."""
    return INTEGRATION in Path(path).resolve().parents


@pytest.hookimpl(tryfirst=True)  # before ``-m`` deselects by marker
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if is_live_path(item.path):
            item.add_marker(pytest.mark.live)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]
                              ) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    if (report.skipped and not hasattr(report, "wasxfail") and on_ci()
            and item.get_closest_marker("live") is not None):
        reason = _reason(report.longrepr)
        report.outcome = "failed"
        report.longrepr = f"CI=true: a live test cannot be skipped: {reason}"
    return report


@pytest.hookimpl(wrapper=True)
def pytest_make_collect_report(collector: pytest.Collector
                               ) -> Generator[None, pytest.CollectReport, pytest.CollectReport]:
    """A live module skipped while importing (module-level ``importorskip``) fails on CI too."""
    report = yield
    if report.skipped and on_ci() and isinstance(collector, pytest.Module) \
            and is_live_path(collector.path):
        reason = _reason(report.longrepr)
        report.outcome = "failed"
        report.longrepr = f"CI=true: a live test module cannot be skipped: {reason}"
    return report


def _reason(longrepr: object) -> str:
    """A skip's reason: the message of the ``(path, line, "Skipped: why")`` triple."""
    text = str(longrepr[2]) if isinstance(longrepr, tuple) else str(longrepr)
    return text.removeprefix("Skipped: ")
