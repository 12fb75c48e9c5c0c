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
from datetime import datetime
from pathlib import Path

TIME_FORMATS = ("%d/%b/%y %H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d")
csv.field_size_limit(2**31 - 1)


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
    """Parse the timestamp formats found in issue-tracker exports."""
    for fmt in TIME_FORMATS:
        try:
            return datetime.strptime(value.strip(), fmt)
        except ValueError:
            continue
    raise ValueError(f"unrecognised time {value!r}")


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
