"""The verification's files, written as the results come: JSON lines and JUnit XML.

A :class:`Journal` takes each :class:`~sip_harness.verify.checks.CheckResult` as its check
completes. The JSON-lines file gets one whole line per result, written with one ``write`` and
flushed at once. The JUnit file is rewritten from every result so far into a temporary file
beside it and moved into place (``os.replace``), at most once per :data:`JUNIT_EVERY` seconds
and at :meth:`Journal.close`: whatever stops the run (a failure, Ctrl-C, a kill), the file on
disk is always a whole, valid JUnit document holding the checks done up to then.

>>> import json, tempfile
>>> from pathlib import Path
>>> from sip_harness.verify.checks import CheckResult
>>> out = Path(tempfile.mkdtemp())
>>> with Journal(out / "r.jsonl", out / "r.xml", suite="demo") as journal:
...     journal.add(CheckResult("before", "+441632960001", "inbound", "bt", "bt", True, "ok"))
>>> json.loads((out / "r.jsonl").read_text())["observed"]
'bt'
>>> "tests=\\"1\\"" in (out / "r.xml").read_text()
True
"""

from __future__ import annotations

import json
import os
import threading
import time
from pathlib import Path
from types import TracebackType
from typing import IO

from sip_harness.verify.checks import CheckResult
from sip_harness.verify.results import write_junit

__all__ = ["Journal", "JUNIT_EVERY"]

#: Seconds between two rewrites of the JUnit file while results arrive (it holds them all, so
#: rewriting it for each of thousands of results would cost quadratic time).
JUNIT_EVERY = 1.0


class Journal:
    """Appends each result to ``jsonl`` and keeps ``junit`` a valid document of all so far.

    Either path may be None (that file is not written). Thread-safe. ``close`` (also on
    leaving a ``with`` block, whatever the exception) writes the JUnit file a last time.
    ``results`` is every result added, in the order added.
    """

    def __init__(self, jsonl: Path | None, junit: Path | None, *, suite: str) -> None:
        self.jsonl, self.junit, self.suite = jsonl, junit, suite
        self.results: list[CheckResult] = []
        self._lock = threading.Lock()
        self._written = 0.0
        self._lines: IO[str] | None = open(jsonl, "w", encoding="utf-8") if jsonl else None
        if junit is not None:
            self._write_junit()

    def add(self, result: CheckResult) -> None:
        """Record one result: its JSON line now, the JUnit file if it is due."""
        line = json.dumps(result.as_dict(), ensure_ascii=False, sort_keys=True) + "\n"
        with self._lock:
            self.results.append(result)
            if self._lines is not None:
                self._lines.write(line)
                self._lines.flush()
            if self.junit is not None and time.monotonic() - self._written >= JUNIT_EVERY:
                self._write_junit()

    def close(self) -> None:
        """Write the JUnit file with every result and close the JSON-lines file. Idempotent."""
        with self._lock:
            if self.junit is not None:
                self._write_junit()
            if self._lines is not None:
                self._lines.close()
                self._lines = None

    def __enter__(self) -> Journal:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    def _write_junit(self) -> None:
        assert self.junit is not None
        tmp = self.junit.with_name(f".{self.junit.name}.{os.getpid()}.tmp")
        try:
            write_junit(self.results, tmp, suite=self.suite)
            os.replace(tmp, self.junit)
        finally:
            tmp.unlink(missing_ok=True)
        self._written = time.monotonic()
