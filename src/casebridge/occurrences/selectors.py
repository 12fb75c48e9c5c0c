"""Previous occurrences: the cases, work items and known resolutions most like a case or a draft.

Two bounded full-text queries over earlier cases (all columns, and titles only) and one over work
items and known resolutions produce candidates; ``ranking.rank`` re-scores them with the learned
weights and explains each hit. One function serves the case page, the new-case form while it is
typed, the API and ``casebridge eval duplicates``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

from django.db import connection, transaction
from django.db.models import Model, Q, QuerySet

from casebridge.cases.models import Case
from casebridge.cases.selectors import case_list_for
from casebridge.core import clock
from casebridge.core.actors import Actor
from casebridge.knowledge.models import KnownResolution
from casebridge.knowledge.selectors import known_resolution_list_for
from casebridge.occurrences.index import search
from casebridge.occurrences.index.profiles import (
    CaseProfile,
    ProfileJson,
    analyse,
    profile_from_json,
)
from casebridge.occurrences.index.ranking import (
    DEFAULT_WEIGHTS,
    Candidate,
    Features,
    Hit,
    Reasons,
    rank,
)
from casebridge.occurrences.index.search import DEFAULT_CANDIDATE_SETTINGS, CandidateSettings
from casebridge.occurrences.index.text import AnalysedText, idf, select_query_terms
from casebridge.occurrences.logparse.digest import digest_text
from casebridge.occurrences.models import (
    Document,
    DocumentKind,
    IndexState,
    Signature,
    SignatureSighting,
    TermStat,
)
from casebridge.occurrences.services import STATS
from casebridge.workitems.models import WorkItem
from casebridge.workitems.selectors import work_item_list_for

#: Cases (and known fixes) that share a log signature, added to the full-text candidates.
SIGNATURE_CANDIDATES = 200


@dataclass(frozen=True)
class Occurrence[T]:
    """One hit for the viewer: what it is, its score and why it is shown."""

    kind: str
    key: str
    score: float
    reasons: Reasons
    object: T
    features: Features | None = None

    @property
    def likeness(self) -> float:
        """How alike the two are in absolute terms: the score without the parts that are
        relative to this query's other candidates (full-text scores normalised to the best
        one) and without age. Comparable across queries, so a threshold can hold for all."""
        if self.features is None:
            return 0.0
        content = self.features._replace(fts=0.0, fts_title=0.0, age=0.0)
        return round(DEFAULT_WEIGHTS.score(content), 3)


@dataclass(frozen=True)
class Occurrences:
    cases: list[Occurrence[Case]] = field(default_factory=list)
    work_items: list[Occurrence[WorkItem]] = field(default_factory=list)
    known_resolutions: list[Occurrence[KnownResolution]] = field(default_factory=list)


@dataclass(frozen=True)
class Query:
    analysed: AnalysedText
    profile: CaseProfile
    before: int | None  # only case documents with a smaller id (earlier cases)


def _n_docs() -> int:
    """Case documents counted in the term statistics."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT documents FROM {IndexState._meta.db_table} WHERE name = %s",  # noqa: S608
            [STATS],
        )
        row = cursor.fetchone()
    return max(row[0] if row else 0, 1)


def _doc_freqs(terms: Iterable[str]) -> tuple[dict[str, int], dict[str, int]]:
    """Document frequencies of ``terms`` in all fields and in titles, one query per 500 terms.

    On the bare cursor: this runs for every query, and the ORM's cost of building the
    statement was most of it.
    """
    wanted = sorted(set(terms))
    found: dict[str, dict[str, int]] = {"all": {}, "title": {}}
    with connection.cursor() as cursor:
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            cursor.execute(
                f"SELECT scope, term, docs FROM {TermStat._meta.db_table} "  # noqa: S608
                f"WHERE scope IN ('all', 'title') AND term IN ({', '.join(['%s'] * len(chunk))})",
                chunk,
            )
            for scope, term, docs in cursor.fetchall():
                found[scope][term] = docs
    return found["all"], found["title"]


def _terms(
    query: Query, doc_freq: dict[str, int], n_docs: int, budget: int, s: CandidateSettings
) -> list[str]:
    text = query.analysed
    return select_query_terms(
        text.title,
        text.body + text.extra,
        doc_freq,
        n_docs,
        max_terms=s.max_terms,
        title_boost=s.title_boost,
        max_df_ratio=s.max_df_ratio,
        max_postings=budget,
    )


def _candidates(
    query: Query, s: CandidateSettings
) -> tuple[dict[int, float], dict[int, float], dict[int, float], dict[str, float]]:
    n_docs = _n_docs()
    doc_freq, title_freq = _doc_freqs(query.analysed.all_terms())
    main_terms = _terms(query, doc_freq, n_docs, s.max_postings, s)
    title_terms = _terms(query, title_freq, n_docs, s.title_max_postings, s)
    term_idf = {term: idf(df, n_docs) for term, df in doc_freq.items()}
    title_idf = {term: idf(title_freq[term], n_docs) for term in title_terms}
    cases = search.candidates(main_terms, cases=True, before=query.before, settings=s, idf=term_idf)
    titles = search.candidates(
        title_terms, cases=True, before=query.before, settings=s, title_only=True, idf=title_idf
    )
    others = search.candidates(
        main_terms or title_terms, cases=False, before=None, settings=s, idf=term_idf
    )
    for doc_id in _signature_candidates(query):
        cases.setdefault(doc_id, 0.0)  # a known fix's own score in ``others`` wins the merge
    return cases, titles, others, term_idf


def _signature_candidates(query: Query) -> list[int]:
    """Documents of the cases and known fixes that share a log signature with the query.

    Full text finds what is written alike; the same error in the logs is found here, whatever
    the words of the report. Bounded: the most recent sightings of the query's signatures.
    """
    signatures = sorted(query.profile.log_signatures)
    if not signatures:
        return []
    case_ids = list(
        SignatureSighting.objects.filter(signature_id__in=signatures, notable=True)
        .order_by("-last_seen")
        .values_list("case_id", flat=True)[:SIGNATURE_CANDIDATES]
    )
    fixes = list(
        Signature.known_resolutions.through.objects.filter(signature_id__in=signatures).values_list(
            "knownresolution_id", flat=True
        )[:SIGNATURE_CANDIDATES]
    )
    docs = Document.objects.filter(
        Q(kind=DocumentKind.CASE, object_id__in=case_ids)
        | Q(kind=DocumentKind.KNOWN_RESOLUTION, object_id__in=fixes)
    )
    if query.before is not None:
        docs = docs.filter(Q(kind=DocumentKind.KNOWN_RESOLUTION) | Q(id__lt=query.before))
    return list(docs.values_list("id", flat=True))


class CandidateDoc(NamedTuple):
    """The columns of a candidate's ``Document`` that ranking and display need."""

    pk: int
    kind: str
    object_id: int
    key: str
    profile: CaseProfile


def _documents(ids: Iterable[int], query: CaseProfile) -> list[CandidateDoc]:
    """The candidates' documents in one query, without the (long) full-text columns.

    On the bare cursor (the ORM's statement building and JSON converter cost more than the
    query for a few hundred rows); each profile keeps only the terms it shares with the query.
    """
    wanted = list(ids)
    if not wanted:
        return []
    shared = query.terms.union(query.title_terms)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id, kind, object_id, key, profile "  # noqa: S608 - constant names
            f"FROM {Document._meta.db_table} WHERE id IN ({', '.join(['%s'] * len(wanted))})",
            wanted,
        )
        rows = cursor.fetchall()
    return [
        CandidateDoc(pk, kind, object_id, key, _candidate_profile(json.loads(data), shared))
        for pk, kind, object_id, key, data in rows
    ]


def _candidate_profile(data: ProfileJson, shared: frozenset[str]) -> CaseProfile:
    """A candidate's profile with only the terms in ``shared`` (the query's terms).

    ``ranking`` only ever intersects a candidate's terms with the query's (title) terms, so
    the scores and reasons are the same, and a few shared terms make a far smaller set than
    every term of a long report.
    """
    data["terms"] = shared.intersection(data["terms"])
    return profile_from_json(data)


def _ranked(
    query: Query,
    *,
    docs: Sequence[CandidateDoc],
    scores: dict[int, float],
    title_scores: dict[int, float],
    term_idf: dict[str, float],
    k: int,
) -> list[tuple[CandidateDoc, Hit]]:
    by_id = {d.pk: d for d in docs}
    candidates = [
        Candidate(d.pk, d.profile, scores.get(d.pk, 0.0), title_scores.get(d.pk, 0.0)) for d in docs
    ]
    hits = rank(query.profile, candidates, term_idf, DEFAULT_WEIGHTS, limit=k)
    return [(by_id[h.case_id], h) for h in hits]


def _occurrences[T](
    kind: str,
    ranked: list[tuple[CandidateDoc, Hit]],
    visible: Callable[[list[int]], Mapping[int, T]],
) -> list[Occurrence[T]]:
    """The ranked hits the viewer may see (``visible`` loads them by id, in one query)."""
    if not ranked:
        return []
    objects = visible([doc.object_id for doc, _ in ranked])
    return [
        Occurrence(
            kind, doc.key, round(hit.score, 3), hit.reasons, objects[doc.object_id], hit.features
        )
        for doc, hit in ranked
        if doc.object_id in objects
    ]


def _in_written_join_order[M: Model](objects: QuerySet[M], ids: list[int]) -> dict[int, M]:
    """``objects.in_bulk(ids)``; on PostgreSQL planned in the order the joins are written.

    The case selector joins seven related tables for a handful of rows read by primary key:
    PostgreSQL's planner then weighs every join order, and planning took 6-8 ms against 0.2 ms
    of execution (``EXPLAIN ANALYZE``, warm connection). The written order (the cases first,
    then each related row by its key) is the plan it picks anyway; ``join_collapse_limit = 1``
    for this one statement (``SET LOCAL``, set back after it: nothing outlives the statement,
    PgBouncer's transaction mode included) plans it in about 0.5 ms."""
    if connection.vendor != "postgresql":
        return objects.in_bulk(ids)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL join_collapse_limit = 1")
        found = objects.in_bulk(ids)
        # Inside an outer transaction the setting would outlive this block's savepoint; on an
        # error, rolling the block back undoes it.
        cursor.execute("SET LOCAL join_collapse_limit TO DEFAULT")
    return found


def occurrences_for_query(viewer: Actor, query: Query, *, k: int = 5) -> Occurrences:
    """The top ``k`` earlier cases, and the top ``k`` work items and known resolutions."""
    if viewer.is_external:
        return Occurrences()
    s = DEFAULT_CANDIDATE_SETTINGS
    cases, titles, others, term_idf = _candidates(query, s)
    docs = _documents(cases.keys() | titles.keys() | others.keys(), query.profile)
    ranked = {
        kind: _ranked(
            query,
            docs=[d for d in docs if d.kind == kind],
            scores=cases | others,
            title_scores=titles,
            term_idf=term_idf,
            k=k,
        )
        for kind in DocumentKind.values
    }
    case, item, fix = DocumentKind.CASE, DocumentKind.WORK_ITEM, DocumentKind.KNOWN_RESOLUTION
    return Occurrences(
        # each loader runs only when there are hits of its kind, as the viewer may see them
        cases=_occurrences(
            case, ranked[case], lambda ids: _in_written_join_order(case_list_for(viewer), ids)
        ),
        work_items=_occurrences(
            item, ranked[item], lambda ids: work_item_list_for(viewer).in_bulk(ids)
        ),
        known_resolutions=_occurrences(
            fix, ranked[fix], lambda ids: known_resolution_list_for(viewer).in_bulk(ids)
        ),
    )


def similar_for_case(viewer: Actor, case: Case, *, k: int = 5) -> Occurrences:
    """Previous occurrences of a saved case: earlier cases, and any work item or known fix."""
    doc = Document.objects.filter(kind=DocumentKind.CASE, object_id=case.pk).first()
    if doc is None:
        return Occurrences()
    analysed = AnalysedText(
        tuple(doc.fts_title.split()), tuple(doc.fts_body.split()), tuple(doc.fts_extra.split())
    )
    query = Query(analysed, profile_from_json(doc.profile), before=doc.pk)
    return occurrences_for_query(viewer, query, k=k)


def similar_for_draft(
    viewer: Actor,
    *,
    title: str,
    description: str = "",
    service: str = "",
    component: str = "",
    version: str = "",
    signatures: frozenset[str] | None = None,
    k: int = 5,
) -> Occurrences:
    """Previous occurrences of a case being written (the new-case form, as it is typed).
    ``signatures``: those of the description's log lines, if the caller parsed them already."""
    if signatures is None:
        signatures = frozenset(f.id for f in digest_text(description))
    analysed, profile = analyse(
        title,
        description,
        clock.now(),
        service=service,
        component=component,
        version=version,
        log_signatures=signatures,
    )
    return occurrences_for_query(viewer, Query(analysed, profile, before=None), k=k)
