"""Writes to the occurrence index. Called by the cases, work items and knowledge services in the
transaction of the change, so the index never disagrees with what was committed."""

from __future__ import annotations

from collections import Counter

from django.db import connection, transaction

from casebridge.cases.models import Case
from casebridge.core.prepared import row_insert
from casebridge.knowledge.models import KnownResolution
from casebridge.occurrences.index import search
from casebridge.occurrences.index.profiles import (
    CaseProfile,
    ProfileJson,
    analyse,
    profile_to_json,
)
from casebridge.occurrences.index.text import AnalysedText
from casebridge.occurrences.models import (
    Document,
    DocumentKind,
    IndexState,
)
from casebridge.occurrences.signatures import signature_ids_for_case
from casebridge.workitems.models import WorkItem

STATS = "case_terms"


def _store(
    kind: str,
    obj: Case | WorkItem | KnownResolution,
    analysed: AnalysedText,
    profile: CaseProfile,
    *,
    new: bool = False,
) -> Document:
    columns = analysed.fts_columns()
    doc = None if new else Document.objects.filter(kind=kind, object_id=obj.pk).first()
    old = (doc.fts_title, doc.fts_body, doc.fts_extra) if doc is not None else None
    if doc is None:
        doc = Document(kind=kind, object_id=obj.pk)
    doc.key = obj.key
    doc.created_at = obj.created_at
    doc.profile = profile_to_json(profile)
    doc.fts_title, doc.fts_body, doc.fts_extra = columns
    if doc.pk is None:
        row_insert(doc)  # the intake path: no ORM compile for a new document
    else:
        doc.save()
    if old != columns:
        search.write(doc.pk, kind == DocumentKind.CASE, analysed, old)
    return doc


def occurrence_index_case(
    case: Case, *, log_signatures: frozenset[str] | None = None, new: bool = False
) -> Document:
    """(Re-)index a case from its title, description and structured fields.

    ``new``: the case was created in this transaction, so it has no document and no log
    signatures yet (two lookups fewer on the intake path)."""
    if new:
        log_signatures = frozenset()
    if log_signatures is None:
        log_signatures = _case_signatures(case)
    analysed, profile = analyse(
        case.title,
        case.description,
        case.created_at,
        service=case.service.name if case.service_id else "",
        component=component.name if (component := case.component) else "",
        version=case.version,
        log_signatures=log_signatures,
        alert_fingerprint=getattr(case, "alert_fingerprint", "") or "",
    )
    return _store(DocumentKind.CASE, case, analysed, profile, new=new)


def _case_signatures(case: Case) -> frozenset[str]:
    """The notable log signatures seen in the case's logs."""
    return signature_ids_for_case(case)


def occurrence_index_work_item(item: WorkItem) -> Document:
    description = "\n".join(
        getattr(item, name)
        for name in ("description", "actual_result", "justification", "rationale", "log_excerpt")
        if getattr(item, name)
    )
    analysed, profile = analyse(
        item.title,
        description,
        item.created_at,
        service=service.name if (service := item.service) else "",
        component=component.name if (component := item.component) else "",
        version=item.version,
    )
    return _store(DocumentKind.WORK_ITEM, item, analysed, profile)


def occurrence_index_known_resolution(resolution: KnownResolution) -> Document:
    services = " ".join(s.name for s in resolution.services.all())
    signatures = frozenset(resolution.signatures.values_list("id", flat=True))
    analysed, profile = analyse(
        resolution.title,
        resolution.symptoms,
        resolution.created_at,
        service=services,
        log_signatures=signatures,
    )
    return _store(DocumentKind.KNOWN_RESOLUTION, resolution, analysed, profile)


def occurrences_refresh_stats(*, batch: int = 5000) -> int:
    """Count the terms of case documents not counted yet; returns how many were counted.

    Term document frequencies are shared rows: updating them in the request that creates a case
    would serialise concurrent intake. The worker runs this every few seconds instead; an edited
    case keeps the counts of its first version (``casebridge occurrences rebuild`` recounts).
    """
    counted = 0
    while True:
        with transaction.atomic():
            state, _ = IndexState.objects.select_for_update().get_or_create(name=STATS)
            docs = list(
                Document.objects.filter(kind=DocumentKind.CASE, id__gt=state.counted_through)
                .order_by("id")
                .values_list("id", "profile")[:batch]
            )
            if not docs:
                return counted
            _add_counts(docs)
            state.counted_through = docs[-1][0]
            state.documents += len(docs)
            state.save()
            counted += len(docs)


def _add_counts(docs: list[tuple[int, ProfileJson]]) -> None:
    all_terms: Counter[str] = Counter()
    title_terms: Counter[str] = Counter()
    for _, profile in docs:
        all_terms.update(profile["terms"])
        title_terms.update(set(profile["title_terms"]))
    rows = sorted(
        [("all", t, n) for t, n in all_terms.items()]
        + [("title", t, n) for t, n in title_terms.items()]
    )
    sql = (
        "INSERT INTO occurrences_termstat (scope, term, docs) VALUES (%s, %s, %s) "
        "ON CONFLICT (scope, term) DO UPDATE SET docs = occurrences_termstat.docs + excluded.docs"
    )
    with connection.cursor() as cursor:
        for start in range(0, len(rows), 1000):
            cursor.executemany(sql, rows[start : start + 1000])
