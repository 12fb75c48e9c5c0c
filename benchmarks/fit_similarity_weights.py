"""Fit the previous-occurrence re-ranker weights on duplicate-pair data.

Usage::

    python benchmarks/fit_similarity_weights.py DATA_DIR [--l2 L2] [--folds 5]
        [--emulate-cases 1000000]

``DATA_DIR`` holds ``<name>_bugs.csv`` (Summary, Issue id, Created, Priority,
Affects Version/s, Description, ...) and pair files ``<name>_bugs-combined.csv``
/ ``-train.csv`` / ``-test.csv`` (Issue id, Duplicate id).  A bug maps to a
case as Summary -> title, Description -> description, Created -> created_at,
Affects Version/s -> versions, Priority -> priority.

Procedure
---------
1. All reports are analysed with ``casebridge.occurrences.index.text`` and loaded,
   in (Created, id) order, into in-memory SQLite FTS5 tables, the main
   ``(title, body, extra)`` one and a title-only one; rowid order is time
   order, so ``rowid < query`` keeps exactly the earlier reports.
2. Duplicate groups are the connected components of the pairs; each member
   after the first (by Created) is a query whose relevant documents are the
   earlier members.  Its candidates come from the product's two bounded
   queries (:class:`CandidateSettings`).
3. Every candidate gets its :class:`Features`.  Weights minimise a pairwise
   logistic loss over (relevant, non-relevant) candidate pairs, each query
   weighing the same, plus ``l2/2 * |w|^2`` (Newton's method; a handful of
   weights).  Evidence weights may not be negative: features that come out
   negative are dropped and the rest refitted.  ``l2`` is chosen by grouped
   cross-validation on the fitting split.  Features constant in the data and
   the :data:`PRIOR_FEATURES` keep their prior weights.
4. It reports, for the weights fitted on the train split: the train and test
   pair splits and all pairs, a grouped k-fold cross-validation over all
   duplicate groups (no group is in both the fit and the evaluation; the
   published train/test splits share most groups), a leave-one-feature-out
   ablation, and the quality when the posting budgets bind as they would at
   ``--emulate-cases`` cases.

Nothing here depends on the project the data comes from: the script reads
whatever ``*_bugs.csv`` it finds and fits the same generic features.
"""

from __future__ import annotations

import argparse
import sqlite3
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import numpy.typing as npt

from casebridge.occurrences.evaluation.dupdata import (
    Query,
    Report,
    build_queries,
    find_data,
    load_pairs,
    load_reports,
)
from casebridge.occurrences.index.profiles import CaseProfile, build_profile
from casebridge.occurrences.index.ranking import (
    DEFAULT_WEIGHTS,
    FEATURE_NAMES,
    PRIOR_FEATURES,
    Candidate,
    best_scores,
    compute_features,
    prepare_query,
)
from casebridge.occurrences.index.search import DEFAULT_CANDIDATE_SETTINGS, CandidateSettings
from casebridge.occurrences.index.text import (
    FTS5_TOKENIZE,
    AnalysedText,
    analyse_case,
    fts5_match_expression,
    idf,
    select_query_terms,
)

FloatArray = npt.NDArray[np.float64]
SIGNED_FEATURES = frozenset({"age"})
L2_GRID = (0.01, 0.03, 0.1, 0.3, 1.0, 3.0)
SCHEMA = f"""
CREATE VIRTUAL TABLE occ USING fts5(title, body, extra, content='', tokenize="{FTS5_TOKENIZE}");
CREATE VIRTUAL TABLE occ_vocab USING fts5vocab(occ, 'row');
CREATE VIRTUAL TABLE occ_title USING fts5(title, content='', tokenize="{FTS5_TOKENIZE}");
CREATE VIRTUAL TABLE occ_title_vocab USING fts5vocab(occ_title, 'row');
"""
CANDIDATE_SQL = (
    "SELECT rowid, -bm25(occ, ?, ?, ?) FROM occ WHERE occ MATCH ? AND rowid < ? "
    "ORDER BY bm25(occ, ?, ?, ?) LIMIT ?"
)
TITLE_CANDIDATE_SQL = (
    "SELECT rowid, -bm25(occ_title) FROM occ_title WHERE occ_title MATCH ? AND rowid < ? "
    "ORDER BY bm25(occ_title) LIMIT ?"
)


@dataclass(frozen=True, slots=True)
class QueryTable:
    """Candidate features of one query: rows follow the FTS order."""

    query: Query
    rowids: npt.NDArray[np.int64]
    features: FloatArray
    labels: npt.NDArray[np.bool_]


class OccurrenceIndex:
    """In-memory FTS5 index with the product's candidate query."""

    def __init__(self, reports: Sequence[Report]) -> None:
        self.db = sqlite3.connect(":memory:")
        self.db.executescript(SCHEMA)
        self.analysed: dict[int, AnalysedText] = {}
        self.profiles: dict[int, CaseProfile] = {}
        for report in reports:
            self.analysed[report.rowid] = analyse_case(report.title, report.description)
            self.profiles[report.rowid] = build_profile(
                report.title,
                report.description,
                report.created_at,
                versions=report.versions,
                priority=report.priority,
            )
        self.db.executemany(
            "INSERT INTO occ(rowid, title, body, extra) VALUES (?, ?, ?, ?)",
            [(rowid, *text.fts_columns()) for rowid, text in self.analysed.items()],
        )
        self.db.executemany(
            "INSERT INTO occ_title(rowid, title) VALUES (?, ?)",
            [(rowid, text.fts_columns()[0]) for rowid, text in self.analysed.items()],
        )
        self.n_docs = len(reports)

    def doc_freq(self, terms: Iterable[str], vocab: str = "occ_vocab") -> dict[str, int]:
        """Document frequencies from an ``fts5vocab`` table."""
        found: dict[str, int] = {}
        pending = sorted(set(terms))
        for start in range(0, len(pending), 500):
            chunk = pending[start : start + 500]
            sql = f"SELECT term, doc FROM {vocab} WHERE term IN ({','.join('?' * len(chunk))})"
            found.update(self.db.execute(sql, chunk).fetchall())
        return found

    def title_candidates(self, rowid: int, settings: CandidateSettings) -> dict[int, float]:
        """Title-index candidates: rowid -> title score."""
        text = self.analysed[rowid]
        doc_freq = self.doc_freq(text.all_terms(), "occ_title_vocab")
        terms = select_query_terms(
            text.title,
            text.body + text.extra,
            doc_freq,
            self.n_docs,
            max_terms=settings.max_terms,
            title_boost=settings.title_boost,
            max_df_ratio=settings.max_df_ratio,
            max_postings=settings.title_max_postings,
        )
        if not terms:
            return {}
        params = (fts5_match_expression(terms), rowid, settings.title_limit)
        return dict(self.db.execute(TITLE_CANDIDATE_SQL, params).fetchall())

    def candidates(
        self, rowid: int, settings: CandidateSettings
    ) -> tuple[list[Candidate], dict[str, float]]:
        """Bounded FTS5 candidates older than ``rowid`` and the query-term IDF."""
        text = self.analysed[rowid]
        doc_freq = self.doc_freq(text.all_terms())
        terms = select_query_terms(
            text.title,
            text.body + text.extra,
            doc_freq,
            self.n_docs,
            max_terms=settings.max_terms,
            title_boost=settings.title_boost,
            max_df_ratio=settings.max_df_ratio,
            max_postings=settings.max_postings,
        )
        term_idf = {term: idf(df, self.n_docs) for term, df in doc_freq.items()}
        scores: dict[int, float] = {}
        if terms:
            weights = (settings.title_weight, settings.body_weight, settings.extra_weight)
            params = (*weights, fts5_match_expression(terms), rowid, *weights, settings.limit)
            scores = dict(self.db.execute(CANDIDATE_SQL, params).fetchall())
        title_scores = self.title_candidates(rowid, settings)
        candidates = [
            Candidate(i, self.profiles[i], scores.get(i, 0.0), title_scores.get(i, 0.0))
            for i in sorted(scores.keys() | title_scores.keys())
        ]
        return candidates, term_idf


def feature_table(index: OccurrenceIndex, query: Query, settings: CandidateSettings) -> QueryTable:
    """Features and relevance labels of one query's candidates."""
    candidates, term_idf = index.candidates(query.rowid, settings)
    best = best_scores(candidates)
    context = prepare_query(index.profiles[query.rowid], term_idf)
    rows = [compute_features(context, c, best) for c in candidates]
    return QueryTable(
        query=query,
        rowids=np.array([c.case_id for c in candidates], dtype=np.int64),
        features=np.array(rows, dtype=np.float64).reshape(len(rows), len(FEATURE_NAMES)),
        labels=np.array([c.case_id in query.relevant for c in candidates], dtype=np.bool_),
    )


def pairwise_differences(tables: Sequence[QueryTable]) -> tuple[FloatArray, FloatArray]:
    """Feature differences (relevant - other) and per-pair weights (1/pairs per query)."""
    diffs: list[FloatArray] = []
    weights: list[FloatArray] = []
    for table in tables:
        positives = table.features[table.labels]
        negatives = table.features[~table.labels]
        if len(positives) == 0 or len(negatives) == 0:
            continue
        block = (positives[:, None, :] - negatives[None, :, :]).reshape(-1, table.features.shape[1])
        diffs.append(block)
        weights.append(np.full(len(block), 1.0 / len(block)))
    if not diffs:
        return np.zeros((0, len(FEATURE_NAMES))), np.zeros(0)
    return np.vstack(diffs), np.concatenate(weights)


def observed_mask(tables: Sequence[QueryTable]) -> FloatArray:
    """1 for features to fit: not a prior feature and varying among candidates."""
    stacked = np.vstack([t.features for t in tables])
    varies = stacked.max(axis=0) > stacked.min(axis=0)
    fittable = np.array([name not in PRIOR_FEATURES for name in FEATURE_NAMES])
    mask: FloatArray = np.where(varies & fittable, 1.0, 0.0)
    return mask


def fit_weights(tables: Sequence[QueryTable], l2: float, mask: FloatArray) -> FloatArray:
    """Pairwise logistic fit with non-negative evidence weights.

    Every feature except ``age`` is evidence *for* similarity, so its weight
    may not be negative (a shared field never counts against a candidate):
    features whose unconstrained weight comes out negative are dropped and
    the rest refitted (an active-set method), until all are admissible.
    Only the features selected by ``mask`` (0/1 per feature) are fitted; the
    others get weight 0 here and their prior in the printed literal.
    """
    active = mask.copy()
    while True:
        w = _newton_fit(tables, l2, active)
        negative = (w < 0) & np.array([name not in SIGNED_FEATURES for name in FEATURE_NAMES])
        if not negative.any():
            return w
        active[negative] = 0.0


def _newton_fit(tables: Sequence[QueryTable], l2: float, mask: FloatArray) -> FloatArray:
    """Newton's method on the L2-regularised pairwise logistic loss."""
    diffs, pair_weights = pairwise_differences(tables)
    diffs = diffs * mask
    w = np.zeros(diffs.shape[1])
    for _ in range(50):
        prob = 1.0 / (1.0 + np.exp(diffs @ w))
        gradient = -(diffs.T @ (pair_weights * prob)) + l2 * w
        curvature = pair_weights * prob * (1.0 - prob)
        hessian = (diffs.T * curvature) @ diffs + l2 * np.eye(len(w))
        step = np.linalg.solve(hessian, gradient)
        w -= step
        if float(np.abs(step).max()) < 1e-9:
            break
    return w * mask


def ranking_metrics(tables: Sequence[QueryTable], w: FloatArray) -> dict[str, float]:
    """Recall@1/5/10 and MAP; ties go to the newer case, as in ``rank``."""
    totals = {"recall@1": 0.0, "recall@5": 0.0, "recall@10": 0.0, "MAP": 0.0}
    for table in tables:
        order = np.lexsort((-table.rowids, -(table.features @ w)))
        ranked = table.labels[order]
        for k in (1, 5, 10):
            totals[f"recall@{k}"] += float(ranked[:k].any())
        positions = np.flatnonzero(ranked) + 1
        precision = np.arange(1, len(positions) + 1) / positions
        totals["MAP"] += float(precision.sum()) / len(table.query.relevant)
    count = max(1, len(tables))
    return {name: value / count for name, value in totals.items()} | {"queries": float(len(tables))}


def group_folds(tables: Sequence[QueryTable], folds: int) -> list[list[int]]:
    """Assign queries to folds by duplicate group (earliest member), round-robin."""
    first = sorted({min(t.query.relevant) for t in tables})
    fold_of = {group: position % folds for position, group in enumerate(first)}
    buckets: list[list[int]] = [[] for _ in range(folds)]
    for position, table in enumerate(tables):
        buckets[fold_of[min(table.query.relevant)]].append(position)
    return buckets


def cross_validate(
    tables: Sequence[QueryTable], folds: int, l2: float, mask: FloatArray
) -> dict[str, float]:
    """Grouped k-fold: each query is scored by weights fitted without its group."""
    held_out_tables: list[QueryTable] = []
    totals: dict[str, float] = {}
    for held_out in group_folds(tables, folds):
        excluded = set(held_out)
        w = fit_weights([t for i, t in enumerate(tables) if i not in excluded], l2, mask)
        for i in held_out:
            held_out_tables.append(tables[i])
            for name, value in ranking_metrics([tables[i]], w).items():
                totals[name] = totals.get(name, 0.0) + value
    count = max(1, len(held_out_tables))
    return {n: v / count for n, v in totals.items()} | {"queries": float(len(held_out_tables))}


def weights_literal(w: FloatArray, mask: FloatArray) -> str:
    """Fitted weights (priors for unfitted features) as a ``SimilarityWeights``."""
    args = ", ".join(
        f"{name}={value if fitted else getattr(DEFAULT_WEIGHTS, name):.3f}"
        for name, value, fitted in zip(FEATURE_NAMES, w, mask, strict=True)
    )
    return f"SimilarityWeights({args})"


def describe(name: str, metrics: dict[str, float]) -> str:
    """One report line."""
    values = " ".join(f"{k}={v:.3f}" for k, v in metrics.items() if k != "queries")
    return f"{name:<34} {values} queries={int(metrics['queries'])}"


def report_split_metrics(tables: dict[str, list[QueryTable]], w: FloatArray) -> None:
    """FTS-only ordering versus the re-ranked ordering on every split."""
    fts_only = np.array([1.0 if n == "fts" else 0.0 for n in FEATURE_NAMES])
    for split, split_tables in tables.items():
        print(describe(f"fts only [{split}]", ranking_metrics(split_tables, fts_only)))
        print(describe(f"re-ranked [{split}]", ranking_metrics(split_tables, w)))


def choose_l2(tables: list[QueryTable], folds: int, mask: FloatArray) -> float:
    """The L2 strength with the best grouped-CV MAP on the fitting split."""
    results = {l2: cross_validate(tables, folds, l2, mask)["MAP"] for l2 in L2_GRID}
    print(
        "CV MAP by l2 on the fitting split: "
        + ", ".join(f"{k:g}: {v:.3f}" for k, v in results.items())
    )
    return max(results, key=lambda l2: (results[l2], l2))


def report_cross_validation(
    tables: list[QueryTable], folds: int, l2: float, mask: FloatArray
) -> None:
    """Grouped CV over all pairs, then leave-one-feature-out ablations."""
    print(describe(f"grouped {folds}-fold CV [combined]", cross_validate(tables, folds, l2, mask)))
    for position, name in enumerate(FEATURE_NAMES):
        if mask[position]:
            ablated = mask.copy()
            ablated[position] = 0.0
            print(describe(f"  CV without {name}", cross_validate(tables, folds, l2, ablated)))


def scaled_settings(settings: CandidateSettings, n_docs: int, emulated: int) -> CandidateSettings:
    """Posting budgets shrunk by ``n_docs / emulated``.

    With term frequencies proportional to corpus size, a budget of B postings
    on ``emulated`` cases selects the same terms as ``B * n_docs / emulated``
    on ``n_docs`` cases, so this shows the quality the budget costs at scale.
    """
    factor = n_docs / emulated
    return replace(
        settings,
        max_postings=max(1, int(settings.max_postings * factor)),
        title_max_postings=max(1, int(settings.title_max_postings * factor)),
    )


def report_at_scale(
    index: OccurrenceIndex, tables: list[QueryTable], emulated: int, w: FloatArray
) -> None:
    """Candidate ceiling and metrics with budgets as they bind at ``emulated`` cases."""
    settings = scaled_settings(DEFAULT_CANDIDATE_SETTINGS, index.n_docs, emulated)
    scaled = [feature_table(index, t.query, settings) for t in tables]
    for name, group in (("as is", tables), (f"budgets scaled to {emulated} cases", scaled)):
        ceiling = sum(bool(t.labels.any()) for t in group) / max(1, len(group))
        print(f"candidate recall ({name}): {ceiling:.3f}")
        print(describe(f"re-ranked [combined, {name}]"[:34], ranking_metrics(group, w)))


def main(argv: Sequence[str] | None = None) -> int:
    """Fit on the train split (or all pairs), print metrics and weights."""
    parser = argparse.ArgumentParser(description="Fit SimilarityWeights on duplicate pairs.")
    parser.add_argument("data_dir", type=Path)
    parser.add_argument("--l2", type=float, default=None, help="default: chosen by grouped CV")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument(
        "--emulate-cases",
        type=int,
        default=1_000_000,
        help="also evaluate with posting budgets scaled as if the corpus had this many cases",
    )
    args = parser.parse_args(argv)
    bugs, pair_files = find_data(args.data_dir)
    reports = load_reports(bugs)
    index = OccurrenceIndex(reports)
    tables: dict[str, list[QueryTable]] = {}
    for split, path in pair_files.items():
        queries, skipped = build_queries(reports, load_pairs(path))
        tables[split] = [feature_table(index, q, DEFAULT_CANDIDATE_SETTINGS) for q in queries]
        print(f"{split}: {len(queries)} queries, {skipped} skipped pairs")
    fit_split = "train" if "train" in tables else "combined"
    mask = observed_mask(tables[fit_split])
    l2 = args.l2 if args.l2 is not None else choose_l2(tables[fit_split], args.folds, mask)
    w = fit_weights(tables[fit_split], l2, mask)
    print(f"fitted on {fit_split} (l2={l2:g}): {weights_literal(w, mask)}")
    report_split_metrics(tables, w)
    report_cross_validation(tables["combined"], args.folds, l2, mask)
    everything = fit_weights(tables["combined"], l2, mask)
    print(f"fitted on combined: {weights_literal(everything, mask)}")
    report_at_scale(index, tables["combined"], args.emulate_cases, w)
    return 0


if __name__ == "__main__":
    sys.exit(main())
