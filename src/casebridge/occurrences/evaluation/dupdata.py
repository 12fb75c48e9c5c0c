"""Duplicate-report data sets: reports, duplicate pairs, and the evaluation queries they define.

Format: ``<name>_bugs.csv`` (Summary, Issue id, Created, Description, Affects Version/s, ...)
and ``<name>_bugs-combined.csv`` (Issue id, Duplicate id). Groups are the connected components
of the pairs; each report after the first of its group (by Created, then id) is a query whose
relevant answers are the earlier members of its group.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

#: Tracker exports that are not ISO 8601 (Jira's default "02/Jan/20 17:14").
TIME_FORMATS = ("%d/%b/%y %H:%M",)
csv.field_size_limit(2**31 - 1)

_ISO_DATE = (
    r"(?P<year>[+-]\d{4,6}|\d{4})"
    r"(?:-(?P<month>\d{2})-(?P<day>\d{2})|(?P<bmonth>\d{2})(?P<bday>\d{2})"
    r"|-?W(?P<week>\d{2})(?:-?(?P<weekday>[1-7]))?|-?(?P<ordinal>\d{3})|-(?P<rmonth>\d{2}))?"
)
_ISO_TIME = (
    r"(?P<hour>\d{2})(?::?(?P<minute>\d{2})(?::?(?P<second>\d{2}))?)?(?:[.,](?P<fraction>\d+))?"
)
_ISO_ZONE = r"\s?(?P<zone>Z|[+-]\d{2}(?::?\d{2})?)?"
ISO_8601 = re.compile(rf"{_ISO_DATE}(?:[T ]{_ISO_TIME}{_ISO_ZONE})?", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Report:
    """One report mapped to case fields; ``rowid`` is its rank in time (1-based)."""

    rowid: int
    issue_id: str
    title: str
    description: str
    created_at: datetime
    versions: tuple[str, ...]
    priority: str


@dataclass(frozen=True, slots=True)
class Query:
    """An evaluation query and the rowids of its earlier duplicates."""

    rowid: int
    relevant: frozenset[int]


def parse_time(value: str) -> datetime:
    """Parse the timestamp formats found in issue-tracker exports: every ISO 8601 form
    (calendar, ordinal and week dates, basic or extended, reduced precision, fractions of the
    last time unit, ``24:00``, an offset or ``Z``) and Jira's ``02/Jan/20 17:14``.

    Aware, in UTC; a time without an offset is taken to be UTC.
    """
    text = value.strip()
    moment = parse_iso8601(text)
    if moment is not None:
        return moment
    for fmt in TIME_FORMATS:
        try:
            return datetime.strptime(text, fmt).replace(tzinfo=UTC)
        except ValueError:
            continue
    raise ValueError(f"unrecognised time {value!r}")


def parse_iso8601(text: str) -> datetime | None:
    """An ISO 8601 date or date and time as an aware UTC datetime, or None if it is not one."""
    match = ISO_8601.fullmatch(text)
    if match is None:
        return None
    parts = match.groupdict()
    try:
        day = _iso_date(parts)
        moment = datetime.combine(day, datetime.min.time()) + _iso_time(parts)
        return moment.replace(tzinfo=_iso_zone(parts["zone"])).astimezone(UTC)
    except (ValueError, OverflowError):
        return None


def _iso_date(parts: dict[str, str | None]) -> date:
    year = int(parts["year"] or "")
    if parts["week"]:
        return date.fromisocalendar(year, int(parts["week"]), int(parts["weekday"] or 1))
    if parts["ordinal"]:
        day = date(year, 1, 1) + timedelta(days=int(parts["ordinal"]) - 1)
        if day.year != year or parts["ordinal"] == "000":
            raise ValueError("day of the year out of range")
        return day
    month = parts["month"] or parts["bmonth"] or parts["rmonth"] or "1"
    return date(year, int(month), int(parts["day"] or parts["bday"] or 1))


def _iso_time(parts: dict[str, str | None]) -> timedelta:
    """Time of day as an offset from midnight: the fraction belongs to the last unit given,
    ``24:00`` is the end of the day and a leap second ``:60`` the next minute."""
    if parts["hour"] is None:
        return timedelta()
    units = [(parts["hour"], 3600), (parts["minute"], 60), (parts["second"], 1)]
    given = [(int(v), unit) for v, unit in units if v is not None]
    hour, minute, second = (int(v) if v is not None else 0 for v, _ in units)
    if hour > 24 or minute > 59 or second > 60 or (hour == 24 and (minute or second)):
        raise ValueError("time out of range")
    seconds = float(sum(v * unit for v, unit in given))
    fraction = parts["fraction"]
    if fraction:
        seconds += float(f"0.{fraction}") * given[-1][1]
    return timedelta(seconds=seconds)


def _iso_zone(zone: str | None) -> timezone:
    if not zone or zone.upper() == "Z":
        return UTC
    sign = -1 if zone[0] == "-" else 1
    digits = zone[1:].replace(":", "")
    hours, minutes = int(digits[:2]), int(digits[2:4] or 0)
    if hours > 23 or minutes > 59:
        raise ValueError("offset out of range")
    return timezone(sign * timedelta(hours=hours, minutes=minutes))


def find_data(data_dir: Path) -> tuple[Path, dict[str, Path]]:
    """The single ``*_bugs.csv`` of ``data_dir`` and its existing pair files."""
    found = sorted(data_dir.glob("*_bugs.csv"))
    if len(found) != 1:
        raise FileNotFoundError(f"expected one *_bugs.csv in {data_dir}, found {len(found)}")
    stem = found[0].with_suffix("")
    splits = {s: Path(f"{stem}-{s}.csv") for s in ("combined", "train", "test")}
    return found[0], {s: p for s, p in splits.items() if p.exists()}


def _sort_key(row: dict[str, str]) -> tuple[datetime, int, str]:
    issue = row["Issue id"].strip()
    return parse_time(row["Created"]), int(issue) if issue.isdigit() else 0, issue


def _split_values(value: str) -> tuple[str, ...]:
    """A multi-valued CSV cell (``"3.3.1, 3.4.0"``) as a tuple."""
    return tuple(v.strip() for v in re.split(r"[,;]", value) if v.strip())


def load_reports(path: Path) -> list[Report]:
    """Reports in (Created, id) order with 1-based rowids."""
    with path.open(encoding="utf-8", newline="") as handle:
        rows = sorted(csv.DictReader(handle), key=_sort_key)
    return [
        Report(
            rowid=position,
            issue_id=row["Issue id"].strip(),
            title=row["Summary"] or "",
            description=row["Description"] or "",
            created_at=parse_time(row["Created"]),
            versions=_split_values(row.get("Affects Version/s") or ""),
            priority=row.get("Priority") or "",
        )
        for position, row in enumerate(rows, start=1)
    ]


def load_pairs(path: Path) -> list[tuple[str, str]]:
    """(Issue id, Duplicate id) pairs."""
    with path.open(encoding="utf-8", newline="") as handle:
        return [(r["Issue id"].strip(), r["Duplicate id"].strip()) for r in csv.DictReader(handle)]


def build_queries(
    reports: Sequence[Report], pairs: Iterable[tuple[str, str]]
) -> tuple[list[Query], int]:
    """Queries from the pairs' connected components, and the skipped-pair count."""
    rowid_of = {r.issue_id: r.rowid for r in reports}
    parent: dict[int, int] = {}

    def find(node: int) -> int:
        while parent.setdefault(node, node) != node:
            parent[node] = parent[parent[node]]
            node = parent[node]
        return node

    skipped = 0
    for left, right in pairs:
        if left not in rowid_of or right not in rowid_of:
            skipped += 1
            continue
        parent[find(rowid_of[left])] = find(rowid_of[right])
    groups: dict[int, list[int]] = {}
    for node in list(parent):
        groups.setdefault(find(node), []).append(node)
    queries = [
        Query(member, frozenset(members[:position]))
        for members in (sorted(g) for g in groups.values())
        for position, member in enumerate(members)
        if position > 0
    ]
    return sorted(queries, key=lambda q: q.rowid), skipped


def retrieval_metrics(
    rankings: Sequence[Sequence[int]], queries: Sequence[Query]
) -> dict[str, float]:
    """recall@1/5/10 and MAP (relevant answers never retrieved count as precision 0)."""
    totals = {"recall@1": 0.0, "recall@5": 0.0, "recall@10": 0.0, "map": 0.0}
    for ranking, query in zip(rankings, queries, strict=True):
        for k in (1, 5, 10):
            totals[f"recall@{k}"] += any(c in query.relevant for c in ranking[:k])
        hits, precision_sum = 0, 0.0
        for position, candidate in enumerate(ranking, start=1):
            if candidate in query.relevant:
                hits += 1
                precision_sum += hits / position
        totals["map"] += precision_sum / len(query.relevant)
    return {k: round(v / max(1, len(queries)), 4) for k, v in totals.items()}
