"""Shared fixtures: a fresh database file per test and a fixed clock."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

import memlab

# Real data the tests run against, committed with its sources and licences (tests/fixtures/README.md).
FIXTURES = Path(__file__).resolve().parent / "fixtures"


class FakeClock:
    """A clock that starts at a fixed instant and moves only when told to."""

    def __init__(self, start: dt.datetime = dt.datetime(2026, 1, 12, 9, 0, tzinfo=dt.timezone.utc)):
        self.now = start

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += dt.timedelta(**delta)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "memlab.db"


@pytest.fixture
def db(db_path: Path, clock: FakeClock):
    database = memlab.open(db_path, clock=clock)
    yield database
    database.close()
