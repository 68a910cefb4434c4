"""Timestamps in any ISO-8601 spelling are stored in memlab's one form, or refused."""

from __future__ import annotations

import pytest

from memlab.errors import ValidationError


@pytest.mark.parametrize("given,stored", [
    ("2026-W03-1T09:00:00.000000Z", "2026-01-12T09:00:00.000000Z"),  # an ISO week date, 27 characters
    ("2026-01-12T09:00:00,500000Z", "2026-01-12T09:00:00.500000Z"),  # a comma before the fraction
    ("2026-01-12T10:00:00.000000+01:00", "2026-01-12T09:00:00.000000Z"),
])
def test_other_iso_spellings_are_stored_in_memlabs_form(db, given, stored):
    db.sessions.create("s")
    cid = db.costs.record("s", "gpt-4o", input_tokens=1, created_at=given)
    assert db.costs.get(cid)["created_at"] == stored


def test_a_week_date_lands_in_its_calendar_day(db):
    db.sessions.create("s")
    db.costs.record("s", "gpt-4o", input_tokens=1, created_at="2026-W03-1T09:00:00.000000Z")
    assert db.query_one("SELECT count(*) AS n FROM cost_tracking WHERE created_at LIKE '2026-01-12%'")["n"] == 1


def test_what_is_not_iso_8601_is_refused(db):
    db.sessions.create("s")
    with pytest.raises(ValidationError, match="not an ISO-8601 timestamp"):
        db.costs.record("s", "gpt-4o", created_at="12/01/2026 09:00")


@pytest.mark.parametrize("given,stored", [
    ("2026-01-12T09:00:00.0+0000Z", None),  # memlab's length and separators, a zone in the fraction
    ("2026-01-12T09:00:00.123Z", "2026-01-12T09:00:00.123000Z"),  # JavaScript's toISOString
    ("2026-02-30T09:00:00.000000Z", None),  # the right shape, a day that doesn't exist
    ("2026-01-12T24:00:00.000Z", None),
])
def test_text_shaped_like_memlabs_form_is_taken_only_when_it_is(db, given, stored):
    db.sessions.create("s")
    if stored is None:
        with pytest.raises(ValidationError, match="not an ISO-8601 timestamp"):
            db.costs.record("s", "gpt-4o", created_at=given)
    else:
        assert db.costs.get(db.costs.record("s", "gpt-4o", created_at=given))["created_at"] == stored
