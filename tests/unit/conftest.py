"""Fixtures shared by the unit tests: a fake AMI server on loopback and a session with it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from sip_harness.ami import AMIClient
from sip_harness.ami.testing import FakeAMI


@pytest.fixture
def fake() -> Iterator[FakeAMI]:
    """A FakeAMI on 127.0.0.1 and an ephemeral port, closed after the test."""
    with FakeAMI() as server:
        yield server


@pytest.fixture
def ami(fake: FakeAMI) -> Iterator[AMIClient]:
    """A logged-in AMI session with ``fake`` (1 s timeouts)."""
    with AMIClient.connect("127.0.0.1", fake.port, fake.username, fake.secret,
                           timeout=1.0) as client:
        yield client
