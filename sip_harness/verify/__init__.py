"""Verification with real calls: expectations from the routing core, checks, results and reports."""

from __future__ import annotations

from sip_harness.verify.checks import CHECKS, CheckResult
from sip_harness.verify.expectations import Expected, Plan, PrePort, Where, expectations, plan
from sip_harness.verify.runner import DEFAULT_CONCURRENCY, run_suite

__all__ = [
    "CHECKS",
    "CheckResult",
    "Expected",
    "Plan",
    "PrePort",
    "Where",
    "expectations",
    "plan",
    "DEFAULT_CONCURRENCY",
    "run_suite",
]
