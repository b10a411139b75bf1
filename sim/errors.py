"""The project's exception tree.

::

    CutoverError
    ├── ScenarioError (also ValueError)        a scenario file is wrong; carries path and line
    ├── RoutingError
    │   ├── UnknownNumberError (also KeyError) no range holds the number
    │   ├── NoRouteError                       no interconnect path between two carriers
    │   └── ConflictingUpdateError             an update was built on a stale snapshot
    ├── NumberFormatError (also ValueError)    a string is not a phone number
    ├── BadInputError (also ValueError)        an argument is wrong (unknown checkpoint, ...)
    └── HarnessError                           anything SIP or Asterisk (sip_harness)
        ├── AMIError
        ├── SIPCallError
        └── HarnessTimeout (also TimeoutError)

The CLI maps ScenarioError, RoutingError, NumberFormatError and BadInputError to exit 2,
HarnessError to exit 3.
"""

from __future__ import annotations

__all__ = [
    "CutoverError",
    "ScenarioError",
    "ScenarioIssue",
    "RoutingError",
    "UnknownNumberError",
    "NoRouteError",
    "ConflictingUpdateError",
    "NumberFormatError",
    "BadInputError",
    "HarnessError",
    "AMIError",
    "SIPCallError",
    "HarnessTimeout",
]

from dataclasses import dataclass


class CutoverError(Exception):
    """Root of every error cutover raises on purpose."""


@dataclass(frozen=True)
class ScenarioIssue:
    """One problem in a scenario: where (dotted path, optional line) and what."""

    path: str
    message: str
    line: int | None = None

    def __str__(self) -> str:
        where = f"{self.path} (line {self.line})" if self.line else self.path
        return f"{where}: {self.message}"


class ScenarioError(CutoverError, ValueError):
    """A scenario is invalid. ``issues`` lists every problem found, each with its path."""

    def __init__(self, issues: list[ScenarioIssue] | ScenarioIssue, *, source: str | None = None):
        self.issues = [issues] if isinstance(issues, ScenarioIssue) else list(issues)
        self.source = source
        super().__init__(self._text())

    def _text(self) -> str:
        prefix = f"{self.source}: " if self.source else ""
        return "\n".join(prefix + str(i) for i in self.issues)

    def lines(self) -> list[str]:
        """One line per issue, ready for stderr."""
        return self._text().splitlines()


class RoutingError(CutoverError):
    """The routing core cannot answer."""


class UnknownNumberError(RoutingError, KeyError):
    """No range in the number plan holds this number."""

    def __init__(self, number: str):
        self.number = number
        super().__init__(number)

    def __str__(self) -> str:
        return f"{self.number}: number is not in any allocated range"


class NoRouteError(RoutingError):
    """The carrier graph has no interconnect path between two carriers."""


class ConflictingUpdateError(RoutingError):
    """An update was prepared against a snapshot that is no longer current; it is refused."""


class NumberFormatError(CutoverError, ValueError):
    """A string cannot be read as a phone number."""


class BadInputError(CutoverError, ValueError):
    """A command-line argument is wrong: an unknown checkpoint, an instant out of range, ..."""


class HarnessError(CutoverError):
    """The SIP harness or Asterisk failed (exit 3 at the CLI)."""


class AMIError(HarnessError):
    """The Asterisk Manager Interface refused, failed or disconnected."""


class SIPCallError(HarnessError):
    """A SIP call failed; carries the SIP status and reason when there is one."""

    def __init__(self, message: str, *, status: int | None = None, reason: str | None = None):
        self.status = status
        self.reason = reason
        super().__init__(message)


class HarnessTimeout(HarnessError, TimeoutError):
    """Waiting for a SIP or AMI event took longer than allowed."""
