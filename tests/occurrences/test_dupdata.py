"""The duplicate evaluation's loader: the timestamps issue trackers export (pure, no Django)."""

from __future__ import annotations

import csv
from datetime import UTC, datetime
from pathlib import Path

import pytest

from casebridge.occurrences.evaluation.dupdata import load_reports, parse_time

NOON = datetime(2020, 1, 2, 17, 14, 21, tzinfo=UTC)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        # Trackers' exports: offsets, Z, fractions, a space or a T.
        ("2020-01-02 17:14:21+00:00", NOON),
        ("2020-01-02T17:14:21Z", NOON),
        ("2020-01-02T17:14:21z", NOON),
        ("2020-01-02T18:14:21+01:00", NOON),
        ("2020-01-02T18:14:21+0100", NOON),
        ("2020-01-02T18:14:21+01", NOON),
        ("2020-01-02T12:14:21-05:00", NOON),
        ("2020-01-02T22:44:21+05:30", NOON),
        ("2020-01-02 17:14:21 +00:00", NOON),
        ("2020-01-02T17:14:21.000Z", NOON),
        ("2020-01-02T17:14:21.250+00:00", NOON.replace(microsecond=250000)),
        ("2020-01-02T17:14:21,25Z", NOON.replace(microsecond=250000)),
        ("2020-01-02T17:14:21.123456789Z", NOON.replace(microsecond=123457)),
        ("2020-01-02 17:14:21", NOON),  # no offset: UTC
        ("2020-01-02T17:14:21", NOON),
        # Basic format, reduced precision, fractions of the last unit given.
        ("20200102T171421Z", NOON),
        ("20200102T181421+0100", NOON),
        ("2020-01-02T17:14", NOON.replace(second=0)),
        ("2020-01-02T1714", NOON.replace(second=0)),
        ("2020-01-02T17", NOON.replace(minute=0, second=0)),
        ("2020-01-02T17.5", NOON.replace(minute=30, second=0)),
        ("2020-01-02T17:14.5", NOON.replace(second=30)),
        ("2020-01-02", NOON.replace(hour=0, minute=0, second=0)),
        ("20200102", NOON.replace(hour=0, minute=0, second=0)),
        ("2020-01", datetime(2020, 1, 1, tzinfo=UTC)),
        ("2020", datetime(2020, 1, 1, tzinfo=UTC)),
        # Ordinal and week dates, the end of the day, a leap second.
        ("2020-002", datetime(2020, 1, 2, tzinfo=UTC)),
        ("2020002T171421Z", NOON),
        ("2020-W01-4", datetime(2020, 1, 2, tzinfo=UTC)),
        ("2020W014T17:14:21Z", NOON),
        ("2020-W01", datetime(2019, 12, 30, tzinfo=UTC)),
        ("2020-01-01T24:00", datetime(2020, 1, 2, tzinfo=UTC)),
        ("2016-12-31T23:59:60Z", datetime(2017, 1, 1, tzinfo=UTC)),
        ("+002020-01-02T17:14:21Z", NOON),
        # Jira's default export.
        ("02/Jan/20 17:14", NOON.replace(second=0)),
    ],
)
def test_parse_time_accepts_every_iso_8601_form(value: str, expected: datetime) -> None:
    assert parse_time(value) == expected
    assert parse_time(value).tzinfo is UTC


@pytest.mark.parametrize(
    "value",
    [
        "",
        "yesterday",
        "2020-13-01",
        "2020-02-30",
        "2020-01-02T25:00",
        "2020-01-02T24:30",
        "2020-01-02T17:14:21+25:00",
        "2020-W54-1",
        "2020-367",
        "2020-000",
        "2020-01-02T1",
    ],
)
def test_parse_time_refuses_what_is_not_a_time(value: str) -> None:
    with pytest.raises(ValueError, match="unrecognised time"):
        parse_time(value)


def test_reports_with_offsets_load_in_time_order(tmp_path: Path) -> None:
    path = tmp_path / "tracker_bugs.csv"
    rows = [
        ("Later, written in New York", "3", "2020-01-02T13:00:00-05:00"),
        ("Earliest", "1", "2020-01-02 17:14:21+00:00"),
        ("Middle, written in Paris", "2", "2020-01-02T18:30:00+01:00"),
    ]
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["Summary", "Issue id", "Created", "Description"])
        writer.writerows((title, issue, created, "") for title, issue, created in rows)
    reports = load_reports(path)
    assert [r.issue_id for r in reports] == ["1", "2", "3"]
    assert reports[0].created_at == NOON
    assert reports[2].created_at == datetime(2020, 1, 2, 18, 0, tzinfo=UTC)
