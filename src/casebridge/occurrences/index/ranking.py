"""Re-ranking of full-text candidates into "previous occurrences".

Method
------
Candidate generation (in the database, see :class:`CandidateSettings`) returns
for a query case at most a few hundred earlier cases that share informative
terms with it, with their full-text scores (FTS5 ``-bm25()``, PostgreSQL the
same BM25 sum over ``index.postings``).  This module re-scores them with a linear model over cheap
features of what is stored per case at write time (a :class:`CaseProfile`):

``fts`` / ``fts_title``
    Score from the main (title, body, extra) index / from the title-only
    index, divided by the best such score in the candidate list.
``title``
    IDF mass of the query's title terms found in the candidate's title,
    divided by the IDF mass of the query's title terms.
``title_any``
    The same, for query title terms found anywhere in the candidate.
``overlap``
    IDF mass of all shared terms divided by the query's total IDF mass.
``reverse``
    Share of the candidate's title terms that occur anywhere in the query
    (the candidate's headline is explained by the query).
``bigram``
    Share of the query's title bigrams that are candidate title bigrams.
``trace`` / ``log_signature``
    Jaccard overlap of trace signatures (exception names, stack frames) /
    of log template ids.
``service`` / ``alert`` / ``version`` / ``priority``
    Agreement of the structured fields that both cases have.
``age``
    ``log1p`` of the days between the two cases (duplicates and recurring
    incidents cluster in time; the weight and its sign are learned).

Only the IDF of the *query's* terms is needed, and the candidate query has
fetched it already, so no per-candidate statistics are looked up.

Weights
-------
:class:`SimilarityWeights` holds one weight per feature.  They are fitted by
``benchmarks/fit_similarity_weights.py`` on duplicate-pair data: a pairwise
logistic (RankNet-style) loss over (earlier duplicate, other candidate) pairs,
each query weighing the same, L2 strength chosen by grouped cross-validation
on the training split, evidence weights constrained to be non-negative (a
shared field never counts against a candidate; only ``age`` is signed).  The
defaults are the fit on the public bug-report train split; features fitted to
0 carried no signal there beyond the others and stay for refits on case data.
``log_signature``, ``service`` and ``alert`` (:data:`PRIOR_FEATURES`) cannot
be exercised by public bug data: their weights are priors, of the order of one
title feature, until the script is run on the product's own confirmed links.

Storage
-------
At write time a case is analysed once (``text.analyse_case``): the three FTS
columns (and the title-only index) are fed with its space-joined terms, the
term and title document frequencies are incremented, and the
:class:`CaseProfile` (ordered title terms, distinct terms, trace signatures,
log signature ids, structured fields, created time) is stored beside the case
so that candidates are re-ranked without re-analysing their text.

Reasons
-------
:func:`explain` reports checkable facts, whatever their weight: the most
informative shared terms, shared trace and log signatures, and equal service,
component, alert fingerprint or version.
"""

from __future__ import annotations

import itertools
import math
import operator
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

from casebridge.occurrences.index.profiles import CaseProfile

SECONDS_PER_DAY = 86400.0
MAX_SHARED_TERMS = 6


@dataclass(frozen=True, slots=True)
class Candidate:
    """One row returned by candidate generation."""

    case_id: int
    profile: CaseProfile
    fts_score: float
    """Full-text score on all columns, larger is better (FTS5: ``-bm25()``)."""
    title_score: float = 0.0
    """Score from the title-only index (0 if it did not return the case)."""


class Features(NamedTuple):
    """Feature values of one (query, candidate) pair; see the module doc."""

    fts: float
    fts_title: float
    title: float
    title_any: float
    overlap: float
    reverse: float
    bigram: float
    trace: float
    log_signature: float
    service: float
    alert: float
    version: float
    priority: float
    age: float


FEATURE_NAMES: tuple[str, ...] = Features._fields


@dataclass(frozen=True, slots=True)
class SimilarityWeights:
    """Linear weights per feature (see the module doc for their origin).

    Values: ``benchmarks/fit_similarity_weights.py`` on the public bug-report
    train split (L2 0.1 chosen by grouped CV); priors for
    :data:`PRIOR_FEATURES`.  Scores are comparable only within one query.
    """

    fts: float = 1.994
    fts_title: float = 1.417
    title: float = 0.657
    title_any: float = 1.061
    overlap: float = 0.555
    reverse: float = 3.059
    bigram: float = 0.167
    trace: float = 0.0
    log_signature: float = 1.0
    service: float = 0.5
    alert: float = 1.0
    version: float = 0.0
    priority: float = 0.0
    age: float = -0.667

    def vector(self) -> tuple[float, ...]:
        """The weights in :data:`FEATURE_NAMES` order."""
        return tuple(getattr(self, name) for name in FEATURE_NAMES)

    def score(self, values: Features) -> float:
        """Weighted sum of the feature values."""
        return _dot(self.vector(), values)


def _dot(weights: Sequence[float], values: Sequence[float]) -> float:
    """Dot product of two equally long sequences."""
    return math.fsum(map(operator.mul, weights, values))


PRIOR_FEATURES: frozenset[str] = frozenset({"log_signature", "service", "alert"})
"""Features that public duplicate data cannot exercise: prior weights, not fitted."""

DEFAULT_WEIGHTS = SimilarityWeights()


@dataclass(frozen=True, slots=True)
class Reasons:
    """Why a hit is shown: the evidence a support engineer can check."""

    shared_terms: tuple[str, ...] = ()
    shared_traces: tuple[str, ...] = ()
    shared_log_signatures: tuple[str, ...] = ()
    same_service: bool = False
    same_component: bool = False
    same_alert: bool = False
    same_version: bool = False


@dataclass(frozen=True, slots=True)
class Hit:
    """A ranked candidate with its score, features and reasons."""

    case_id: int
    score: float
    features: Features
    reasons: Reasons = field(default_factory=Reasons)


def _mass(terms: Iterable[str], idf: Mapping[str, float]) -> float:
    """Sum of the IDF of ``terms`` (terms without statistics weigh 0)."""
    return sum(map(idf.get, terms, itertools.repeat(0.0)))


def _ratio(numerator: float, denominator: float) -> float:
    """``numerator / denominator``, 0 when the denominator is not positive."""
    return numerator / denominator if denominator > 0 else 0.0


def _jaccard(left: frozenset[str], right: frozenset[str]) -> float:
    """Jaccard overlap, 0 for two empty sets."""
    return _ratio(len(left & right), len(left | right))


def _bigrams(terms: Sequence[str]) -> set[tuple[str, str]]:
    """Adjacent term pairs."""
    return set(itertools.pairwise(terms))


def _agreement(pairs: Iterable[tuple[str, str]]) -> float:
    """Share of equal values among the pairs where both values are set."""
    checks = [mine == theirs for mine, theirs in pairs if mine and theirs]
    return _ratio(sum(checks), len(checks))


@dataclass(frozen=True, slots=True)
class QueryContext:
    """The query profile with its per-query constants, computed once.

    ``idf`` maps the query's terms to their IDF (terms of other cases are
    never looked up).
    """

    profile: CaseProfile
    idf: Mapping[str, float]
    title: frozenset[str]
    title_mass: float
    mass: float
    bigrams: frozenset[tuple[str, str]]


def prepare_query(query: CaseProfile, idf: Mapping[str, float]) -> QueryContext:
    """Precompute the query-side quantities of the features."""
    title = frozenset(query.title_terms)
    return QueryContext(
        profile=query,
        idf=idf,
        title=title,
        title_mass=_mass(title, idf),
        mass=_mass(query.terms, idf),
        bigrams=frozenset(_bigrams(query.title_terms)),
    )


def _text_features(
    query: QueryContext, other: CaseProfile
) -> tuple[float, float, float, float, float]:
    """title, title_any, overlap, reverse and bigram features."""
    c_title = frozenset(other.title_terms)
    idf = query.idf
    return (
        _ratio(_mass(query.title & c_title, idf), query.title_mass),
        _ratio(_mass(query.title & other.terms, idf), query.title_mass),
        _ratio(_mass(query.profile.terms & other.terms, idf), query.mass),
        _ratio(len(c_title & query.profile.terms), len(c_title)),
        _ratio(len(query.bigrams & _bigrams(other.title_terms)), len(query.bigrams)),
    )


def _context_features(query: CaseProfile, other: CaseProfile) -> tuple[float, float, float, float]:
    """service, alert, version and priority features."""
    return (
        _agreement(((query.service, other.service), (query.component, other.component))),
        _agreement(((query.alert_fingerprint, other.alert_fingerprint),)),
        float(bool(query.versions & other.versions)),
        _agreement(((query.priority, other.priority),)),
    )


def best_scores(candidates: Iterable[Candidate]) -> tuple[float, float]:
    """The best full-text and title-index scores, used to normalise them."""
    fts = title = 0.0
    for candidate in candidates:
        fts = max(fts, candidate.fts_score)
        title = max(title, candidate.title_score)
    return fts, title


def compute_features(
    context: QueryContext, candidate: Candidate, best: tuple[float, float]
) -> Features:
    """Feature values for one candidate of the prepared query.

    ``best`` comes from :func:`best_scores` over the whole candidate list.
    """
    query = context.profile
    other = candidate.profile
    gap = abs((query.created_at - other.created_at).total_seconds()) / SECONDS_PER_DAY
    title, title_any, overlap, reverse, bigram = _text_features(context, other)
    service, alert, version, priority = _context_features(query, other)
    return Features(
        fts=_ratio(candidate.fts_score, best[0]),
        fts_title=_ratio(candidate.title_score, best[1]),
        title=title,
        title_any=title_any,
        overlap=overlap,
        reverse=reverse,
        bigram=bigram,
        trace=_jaccard(query.traces, other.traces),
        log_signature=_jaccard(query.log_signatures, other.log_signatures),
        service=service,
        alert=alert,
        version=version,
        priority=priority,
        age=math.log1p(gap),
    )


def shared_terms(
    query: CaseProfile, other: CaseProfile, idf: Mapping[str, float], limit: int = MAX_SHARED_TERMS
) -> tuple[str, ...]:
    """The most informative shared terms, title terms first, highest IDF first.

    A term contained in an already chosen longer term (``store`` inside
    ``javakeystoreprovider``) is skipped so the list is not repetitive.
    """
    title = frozenset(other.title_terms) & frozenset(query.title_terms)
    ranked = sorted(
        (t for t in query.terms & other.terms if idf.get(t, 0.0) > 0.0),
        key=lambda t: (t not in title, -idf.get(t, 0.0), t),
    )
    chosen: list[str] = []
    for term in ranked:
        if not any(term in kept for kept in chosen):
            chosen.append(term)
        if len(chosen) == limit:
            break
    return tuple(chosen)


def explain(query: CaseProfile, other: CaseProfile, idf: Mapping[str, float]) -> Reasons:
    """Reasons for showing ``other`` as a previous occurrence of ``query``.

    Each reason is a checkable fact (shared terms, signatures, equal fields),
    reported whenever it holds, whatever its weight in the score.
    """
    return Reasons(
        shared_terms=shared_terms(query, other, idf),
        shared_traces=tuple(sorted(query.traces & other.traces)),
        shared_log_signatures=tuple(sorted(query.log_signatures & other.log_signatures)),
        same_service=bool(query.service) and query.service == other.service,
        same_component=bool(query.component) and query.component == other.component,
        same_alert=bool(query.alert_fingerprint)
        and query.alert_fingerprint == other.alert_fingerprint,
        same_version=bool(query.versions & other.versions),
    )


def rank(
    query: CaseProfile,
    candidates: Sequence[Candidate],
    idf: Mapping[str, float],
    weights: SimilarityWeights = DEFAULT_WEIGHTS,
    *,
    limit: int = 10,
) -> list[Hit]:
    """Score ``candidates`` for ``query`` and return the best ``limit`` hits.

    Ties are broken by the newer case first, then by case id, so the order is
    deterministic.
    """
    best = best_scores(candidates)
    context = prepare_query(query, idf)
    vector = weights.vector()
    scored: list[tuple[float, Candidate, Features]] = []
    for candidate in candidates:
        values = compute_features(context, candidate, best)
        scored.append((_dot(vector, values), candidate, values))
    scored.sort(key=lambda s: (-s[0], -s[1].profile.created_at.timestamp(), s[1].case_id))
    return [
        Hit(c.case_id, score, values, explain(query, c.profile, idf))
        for score, c, values in scored[:limit]
    ]
