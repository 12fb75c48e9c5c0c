"""Choose the near-duplicate score of recurring clusters on data.

Imports a duplicate-report data set as cases through the services (as ``casebridge eval
duplicates`` does), then asks the case page's selector (``similar_for_case``) for every report's
best earlier case. A report's best hit is a *true* near-duplicate when both are in one duplicate
group of the data set. For each threshold it prints:

* precision: of the best hits scoring at least the threshold, the share that are true duplicates
  (the data set labels only some duplicates, so this is a lower bound);
* recall: of the reports that have an earlier duplicate, the share whose best hit is one and
  scores at least the threshold;
* pairs/1k: how many reports out of a thousand would get a near-duplicate edge.

Each table is given for all pairs and for the pairs reported within 14 days of each other (the
default window of recurring clusters): the population the threshold acts on.

Recurring clusters need three cases linked by such edges within the window, so the last table
forms the clusters the recurring job would form at each threshold and counts those that contain
a labelled duplicate pair. The chosen default is the threshold whose clusters most often hold a
labelled pair (a lower bound of their precision: unlabelled duplicates count as wrong).

Usage::

    .venv/bin/python benchmarks/near_duplicate_threshold.py [--data ../shared/data/gitbugs_hadoop]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from typing import Any

from benchmarks._common import ROOT, database_option, setup_django

SCORES = (2.0, 2.5, 3.0, 3.5, 4.0, 4.5, 5.0, 5.5, 6.0, 6.5, 7.0)
LIKENESS = (1.5, 2.0, 2.5, 3.0, 3.5, 4.0, 4.5, 5.0, 5.5, 6.0)
WINDOW_DAYS = 14
MIN_CASES = 3
CLUSTER_LIKENESS = (3.5, 4.0, 4.5, 5.0, 5.5)


def _groups(pairs: list[tuple[str, str]]) -> dict[str, int]:
    parent: dict[str, str] = {}

    def root(node: str) -> str:
        parent.setdefault(node, node)
        while parent[node] != node:
            parent[node] = parent[parent[node]]
            node = parent[node]
        return node

    for a, b in pairs:
        parent[root(a)] = root(b)
    names: dict[str, int] = {}
    return {node: names.setdefault(root(node), len(names)) for node in parent}


def main() -> int:
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument("--data", type=Path, default=ROOT.parent / "shared/data/gitbugs_hadoop")
    options.add_argument("--json", action="store_true")
    database_option(options)
    args = options.parse_args()
    if args.database_url:
        os.environ["DATABASE_URL"] = args.database_url
    setup_django()
    import csv

    from casebridge.occurrences.evaluation.dupdata import find_data, load_reports
    from casebridge.occurrences.evaluation.duplicates import _import
    from casebridge.occurrences.recurring import NEAR_PAIRS_PER_CASE
    from casebridge.occurrences.selectors import similar_for_case
    from casebridge.occurrences.services import occurrences_refresh_stats

    bugs, splits = find_data(args.data)
    reports = load_reports(bugs)
    with splits["combined"].open(newline="", encoding="utf-8") as handle:
        pairs = [(row["Issue id"], row["Duplicate id"]) for row in csv.DictReader(handle)]
    group = _groups(pairs)
    started = time.perf_counter()
    importer, cases = _import(reports)
    occurrences_refresh_stats()
    issue_of = {cases[r.rowid].pk: r.issue_id for r in reports}
    rowid_of = {cases[r.rowid].pk: r.rowid for r in reports}
    # Every (report, earlier case) pair the recurring job keeps: the best five of each report.
    edges: list[tuple[int, int, float, bool]] = []  # report, earlier report, likeness, true
    pairs_seen: list[tuple[int, float, float, bool]] = []  # report, score, likeness, true
    in_window: list[tuple[int, float, float, bool]] = []  # the same, reported within the window
    positives: set[int] = set()
    earlier: set[int] = set()
    for report in reports:
        gid = group.get(report.issue_id)
        if gid is not None and gid in earlier:
            positives.add(report.rowid)
        if gid is not None:
            earlier.add(gid)
        found = similar_for_case(importer, cases[report.rowid], k=NEAR_PAIRS_PER_CASE)
        for hit in found.cases:
            true = gid is not None and group.get(issue_of[hit.object.pk]) == gid
            pair = (report.rowid, hit.score, hit.likeness, true)
            pairs_seen.append(pair)
            gap = cases[report.rowid].created_at - hit.object.created_at
            if gap.days < WINDOW_DAYS:
                in_window.append(pair)
                edges.append((report.rowid, rowid_of[hit.object.pk], hit.likeness, true))
    seconds = time.perf_counter() - started
    tables = {
        "score": _table(pairs_seen, positives, SCORES, lambda p: p[1]),
        "likeness": _table(pairs_seen, positives, LIKENESS, lambda p: p[2]),
        "score_in_window": _table(in_window, positives, SCORES, lambda p: p[1]),
        "likeness_in_window": _table(in_window, positives, LIKENESS, lambda p: p[2]),
    }
    result: dict[str, Any] = {
        "reports": len(reports),
        "with_earlier_duplicate": len(positives),
        "pairs": len(pairs_seen),
        "seconds": round(seconds, 1),
        "tables": tables,
        "clusters": [_clusters(edges, t) for t in CLUSTER_LIKENESS],
    }
    result["chosen_likeness"] = max(
        (r for r in result["clusters"] if r["clusters"]),
        key=lambda r: (r["with_labelled_pair"] / r["clusters"], -r["threshold"]),
    )["threshold"]
    if args.json:
        print(json.dumps(result))
        return 0
    print(
        f"{bugs.stem}: {len(reports)} reports, {len(positives)} with an earlier duplicate, "
        f"{len(pairs_seen)} pairs (best {NEAR_PAIRS_PER_CASE} of each), {seconds:.0f} s"
    )
    for name, rows in tables.items():
        print(f"\n{name}\n{'>=':>9} {'precision':>10} {'recall':>7} {'pairs/1k':>9}")
        for row in rows:
            print(
                f"{row['threshold']:>9.1f} {row['precision']:>10.3f} {row['recall']:>7.3f}"
                f" {row['pairs_per_1k']:>9.1f}"
            )
    print(f"\nnear-duplicate clusters (>= {MIN_CASES} reports linked within {WINDOW_DAYS} days)")
    print(f"{'>=':>9} {'clusters':>9} {'reports':>8} {'with a labelled pair':>21}")
    for row in result["clusters"]:
        print(
            f"{row['threshold']:>9.1f} {row['clusters']:>9} {row['reports']:>8}"
            f" {row['with_labelled_pair']:>21}"
        )
    print(f"chosen: likeness >= {result['chosen_likeness']}")
    return 0


def _clusters(edges: list[tuple[int, int, float, bool]], threshold: float) -> dict[str, Any]:
    """The clusters the recurring job would form from these pairs at ``threshold``."""
    from casebridge.occurrences.recurring.detection import _components

    kept = [e for e in edges if e[2] >= threshold]
    groups = [g for g in _components((a, b) for a, b, _, _ in kept) if len(g) >= MIN_CASES]
    labelled = {frozenset((a, b)) for a, b, _, true in kept if true}
    with_pair = sum(1 for g in groups if any(pair <= g for pair in labelled))
    return {
        "threshold": threshold,
        "clusters": len(groups),
        "reports": sum(len(g) for g in groups),
        "with_labelled_pair": with_pair,
    }


def _table(
    pairs: list[tuple[int, float, float, bool]],
    positives: set[int],
    thresholds: tuple[float, ...],
    value: Any,
) -> list[dict[str, float]]:
    """Precision of the pairs at or above each threshold, and the share of reports with an
    earlier duplicate that get a true pair at or above it."""
    rows = []
    reports = {p[0] for p in pairs} or {0}
    for threshold in thresholds:
        above = [p for p in pairs if value(p) >= threshold]
        true = [p for p in above if p[3]]
        found = {p[0] for p in true} & positives
        rows.append(
            {
                "threshold": threshold,
                "precision": round(len(true) / len(above), 3) if above else 1.0,
                "recall": round(len(found) / len(positives), 3) if positives else 0.0,
                "pairs_per_1k": round(1000 * len(above) / len(reports), 1),
            }
        )
    return rows


if __name__ == "__main__":
    raise SystemExit(main())
