"""``casebridge eval duplicates``: the product's own retrieval against plain BM25, same run.

The reports are imported as cases through ``case_create`` (time moved to each report's Created
time, so keys and document ids follow time), the term counts are refreshed as the worker would,
and every query goes through ``similar_for_case``, the selector behind the case page and the API.
The baseline is ``rank_bm25.BM25Okapi`` over the summary and description of the same reports,
with the same candidates (reports created before the query).
"""

from __future__ import annotations

import re
import statistics
import time
from pathlib import Path
from typing import TypedDict

import numpy as np
import time_machine
from rank_bm25 import BM25Okapi

from casebridge.accounts.models import User
from casebridge.accounts.services import user_create
from casebridge.cases.models import Case
from casebridge.cases.services import CaseInput, case_create
from casebridge.catalog.services import service_create
from casebridge.occurrences.evaluation.dupdata import (
    Query,
    Report,
    build_queries,
    find_data,
    load_pairs,
    load_reports,
    retrieval_metrics,
)
from casebridge.occurrences.selectors import similar_for_case
from casebridge.occurrences.services import occurrences_refresh_stats

WORD = re.compile(r"\w+")
TITLE_MAX = 200
TEXT_MAX = 50_000


class DuplicatesResult(TypedDict):
    """What the evaluation prints (as JSON with ``--json``): figures of ours and of BM25."""

    dataset: str
    reports: int
    queries: int
    skipped: int
    ours: dict[str, float]
    bm25: dict[str, float]


def _import(reports: list[Report]) -> tuple[User, dict[int, Case]]:
    """Create one case per report, in time order; returns the importer and rowid -> case."""
    importer = user_create(
        actor=None,
        username="eval-importer",
        email="eval@casebridge.invalid",
        roles=["l1_agent", "l2_engineer"],
    )
    service = service_create(actor=None, name="Imported")
    cases: dict[int, Case] = {}
    for report in reports:
        title = " ".join(report.title.split())[:TITLE_MAX] or f"Report {report.issue_id}"
        if len(title) < 3:
            title = f"Report {report.issue_id}: {title}"
        data = CaseInput(
            title=title,
            description=report.description[:TEXT_MAX],
            service=service,
            environment="production",
            version=(report.versions[0] if report.versions else "")[:64],
        )
        moment = report.created_at
        with time_machine.travel(moment, tick=False):
            cases[report.rowid] = case_create(actor=importer, data=data, channel="api")
    return importer, cases


def _ours(
    importer: User, cases: dict[int, Case], queries: list[Query]
) -> tuple[list[list[int]], list[float]]:
    rowid_of = {case.pk: rowid for rowid, case in cases.items()}
    rankings, times = [], []
    for query in queries:
        started = time.perf_counter()
        found = similar_for_case(importer, cases[query.rowid], k=1000)
        times.append(time.perf_counter() - started)
        rankings.append([rowid_of[o.object.pk] for o in found.cases])
    return rankings, times


def _bm25(reports: list[Report], queries: list[Query]) -> tuple[list[list[int]], list[float]]:
    docs = [WORD.findall(f"{r.title} {r.description}".lower()) for r in reports]
    index = BM25Okapi(docs)
    rankings, times = [], []
    for query in queries:
        started = time.perf_counter()
        earlier = query.rowid - 1  # rowids are 1-based and in time order
        scores = index.get_scores(docs[earlier])[:earlier]
        order = np.lexsort((-np.arange(earlier), -scores))  # ties: the newer report first
        rankings.append([int(i) + 1 for i in order])
        times.append(time.perf_counter() - started)
    return rankings, times


def _summary(
    rankings: list[list[int]], times: list[float], queries: list[Query]
) -> dict[str, float]:
    figures = retrieval_metrics(rankings, queries)
    figures["ms_per_query"] = round(statistics.fmean(times) * 1000, 2) if times else 0.0
    return figures


def evaluate_duplicates(data_dir: Path) -> DuplicatesResult:
    """Run the evaluation in the current (empty, migrated) database."""
    bugs, splits = find_data(data_dir)
    if "combined" not in splits:
        raise FileNotFoundError(f"no {bugs.stem}-combined.csv beside {bugs.name}")
    reports = load_reports(bugs)
    queries, skipped = build_queries(reports, load_pairs(splits["combined"]))
    importer, cases = _import(reports)
    occurrences_refresh_stats()
    ours = _summary(*_ours(importer, cases, queries), queries)
    baseline = _summary(*_bm25(reports, queries), queries)
    return {
        "dataset": bugs.stem.removesuffix("_bugs"),
        "reports": len(reports),
        "queries": len(queries),
        "skipped": skipped,
        "ours": ours,
        "bm25": baseline,
    }


def format_duplicates(result: DuplicatesResult) -> str:
    lines = [
        f"{result['dataset']}: {result['reports']} reports, {result['queries']} queries, "
        f"{result['skipped']} pairs skipped",
        f"{'':8} {'R@1':>7} {'R@5':>7} {'R@10':>7} {'MAP':>7} {'ms/query':>9}",
    ]
    for name, f in (("ours", result["ours"]), ("bm25", result["bm25"])):
        lines.append(
            f"{name:8} {f['recall@1']:>7.3f} {f['recall@5']:>7.3f} {f['recall@10']:>7.3f} "
            f"{f['map']:>7.3f} {f['ms_per_query']:>9.2f}"
        )
    gain = {k: result["ours"][k] - result["bm25"][k] for k in ("recall@5", "recall@10", "map")}
    lines.append("gain     " + "  ".join(f"{k} {v:+.3f}" for k, v in gain.items()))
    return "\n".join(lines)
