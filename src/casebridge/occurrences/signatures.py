"""Reads of log signatures: for the index, the case page, the service page, the signature page
and ``/api/v1/signatures``. Signatures are internal: customers and partners see none."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db.models import Case as DbCase
from django.db.models import Count, Exists, Max, OuterRef, QuerySet, Sum, Value, When

from casebridge.cases.models import Case
from casebridge.cases.selectors import case_get_for, case_list_for
from casebridge.catalog.models import Service
from casebridge.core.actors import Actor
from casebridge.core.csvexport import CHUNK, Row, chunked
from casebridge.core.errors import NotFound
from casebridge.knowledge.models import KnownResolution
from casebridge.occurrences.logparse.digest import NOISE_LEVELS
from casebridge.occurrences.models import (
    LogSource,
    Signature,
    SignatureSighting,
)

#: How many of a case's signatures go into its similarity profile.
PROFILE_SIGNATURES = 64
#: A signature seen in the cases of at least this many services, and of more than half of the
#: services whose cases have logs, is an everyday line (a slow request, a health check).
EVERYDAY_MIN_SERVICES = 3
#: A sighting's signature level as a number, to sort errors before warnings.
_SEVERITY = DbCase(
    When(signature__level="error", then=Value(2)),
    When(signature__level="warning", then=Value(1)),
    default=Value(0),
)


def signature_ids_for_case(case: Case) -> frozenset[str]:
    """The notable signatures of a case's logs (errors, warnings, pasted lines), most lines
    first: what makes two cases "the same log signature"."""
    ids = (
        SignatureSighting.objects.filter(case_id=case.pk, notable=True)
        .order_by("-lines", "signature_id")
        .values_list("signature_id", flat=True)[:PROFILE_SIGNATURES]
    )
    return frozenset(ids)


def everyday_signatures(ids: Iterable[str]) -> dict[str, str]:
    """Of ``ids``, the signatures that do not tell one problem from another, each with why.

    A signature is everyday when its lines are only ever INFO or DEBUG lines, or when it is seen
    in most services (at least ``EVERYDAY_MIN_SERVICES``, and more than half of the services
    whose cases have logs): what every service logs says nothing about this problem. Such a
    signature never makes a recurring cluster nor a suggested known fix. Two queries at most.
    """
    return _everyday(_with_reach(ids))


def distinctive_signatures(ids: Iterable[str]) -> list[Signature]:
    """Of ``ids``, the signatures that tell a problem apart (see ``everyday_signatures``)."""
    rows = _with_reach(ids)
    everyday = _everyday(rows)
    return [row for row in rows if row.pk not in everyday]


def _with_reach(ids: Iterable[str]) -> list[Signature]:
    """The signatures, each annotated with ``services``: in how many services it was seen."""
    wanted = sorted(set(ids))
    if not wanted:
        return []
    return list(
        Signature.objects.filter(pk__in=wanted).annotate(
            services=Count("sightings__service", distinct=True)
        )
    )


def _everyday(rows: list[Signature]) -> dict[str, str]:
    found: dict[str, str] = {}
    wide: dict[str, int] = {}
    for row in rows:
        services: int = getattr(row, "services", 0)
        if row.level in NOISE_LEVELS:
            found[row.pk] = f"its lines are {row.level.upper()} lines"
        elif services >= EVERYDAY_MIN_SERVICES:
            wide[row.pk] = services
    if wide:
        with_logs = services_with_logs()
        for pk, services in wide.items():
            if 2 * services > with_logs:
                found[pk] = f"it is seen in {services} of the {with_logs} services with logs"
    return found


def services_with_logs() -> int:
    """How many services have a case with a log signature (one index probe per service)."""
    seen = SignatureSighting.objects.filter(service_id=OuterRef("pk"))
    return Service.objects.filter(Exists(seen)).count()


@dataclass(frozen=True)
class SignatureRow:
    """A signature with where it was seen: how many cases and services, and how often."""

    signature: Signature
    cases: int
    services: int
    lines: int  # in the context of the row (a case, a service), or overall
    first_seen: datetime
    last_seen: datetime
    notable: bool = True
    service_names: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class SignatureFilters:
    service: str = ""
    case: str = ""
    q: str = ""
    notable: bool = False


def _reach(ids: list[str]) -> dict[str, tuple[int, int]]:
    """Cases and services per signature, in one grouped query."""
    rows = (
        SignatureSighting.objects.filter(signature_id__in=ids)
        .values("signature_id")
        .annotate(cases=Count("id"), services=Count("service_id", distinct=True))
    )
    return {r["signature_id"]: (r["cases"], r["services"]) for r in rows}


def _matching(filters: SignatureFilters) -> QuerySet[Signature]:
    signatures = Signature.objects.all()
    where: dict[str, object] = {}
    if filters.service:
        where["service__slug"] = filters.service
    if filters.case:
        where["case__key"] = filters.case.strip().upper()
    if filters.notable:
        where["notable"] = True
    if where:
        seen = SignatureSighting.objects.filter(**where).values("signature_id")
        signatures = signatures.filter(pk__in=seen)
    for word in filters.q.split()[:8]:
        signatures = signatures.filter(template__icontains=word)
    return signatures.order_by("-last_seen", "id")


CSV_HEADER = ("id", "template", "level", "lines", "cases", "services", "first_seen", "last_seen")


def signature_csv_rows_for(viewer: Actor, filters: SignatureFilters) -> Iterator[Row]:
    """Every signature of the list (same filters and order, no limit) in ``CSV_HEADER``'s
    columns, read in chunks with the cases and services counted once per chunk. None for
    customers and partners."""
    if viewer.is_external:
        return iter(())
    fields = ("id", "template", "level", "lines", "first_seen", "last_seen")
    rows = _matching(filters).values_list(*fields).iterator(CHUNK)
    return chunked(rows, _with_counts)


def _with_counts(block: list[tuple[object, ...]]) -> list[Row]:
    reach = _reach([str(r[0]) for r in block])
    return [(*r[:4], *reach.get(str(r[0]), (0, 0)), *r[4:]) for r in block]


def signature_list_for(
    viewer: Actor, filters: SignatureFilters, *, limit: int = 50, offset: int = 0
) -> tuple[list[SignatureRow], int]:
    """Signatures matching the filters, most recently seen first, and how many match."""
    if viewer.is_external:
        return [], 0
    signatures = _matching(filters)
    total = signatures.count()
    page = list(signatures[offset : offset + limit])
    reach = _reach([s.pk for s in page])
    return [
        SignatureRow(
            signature=s,
            cases=reach.get(s.pk, (0, 0))[0],
            services=reach.get(s.pk, (0, 0))[1],
            lines=s.lines,
            first_seen=s.first_seen,
            last_seen=s.last_seen,
        )
        for s in page
    ], total


def signature_get_for(viewer: Actor, signature_id: str) -> Signature:
    if viewer.is_external:
        raise NotFound(f"No signature {signature_id}")
    signature = (
        Signature.objects.prefetch_related("known_resolutions").filter(pk=signature_id).first()
    )
    if signature is None:
        raise NotFound(f"No signature {signature_id}")
    return signature


def signature_reach_for(signature: Signature) -> tuple[int, int]:
    return _reach([signature.pk]).get(signature.pk, (0, 0))


def sightings_for(
    viewer: Actor, signature: Signature, *, limit: int = 100
) -> list[SignatureSighting]:
    """Where a signature was seen: the cases the viewer may see, most recent first."""
    if viewer.is_external:
        return []
    visible = case_list_for(viewer).values("id")
    return list(
        SignatureSighting.objects.filter(signature=signature, case_id__in=visible)
        .select_related("case", "case__service", "case__owner", "service")
        .order_by("-last_seen", "-id")[:limit]
    )


def case_signatures_for(viewer: Actor, case: Case, *, limit: int = 30) -> list[SignatureRow]:
    """The signatures of one case's logs: notable first, errors before warnings, then by lines,
    with their reach."""
    if viewer.is_external:
        return []
    sightings = list(
        SignatureSighting.objects.filter(case_id=case.pk)
        .select_related("signature")
        .annotate(severity=_SEVERITY)
        .order_by("-notable", "-severity", "-lines", "signature_id")[:limit]
    )
    reach = _reach([s.signature_id for s in sightings])
    return [
        SignatureRow(
            signature=s.signature,
            cases=reach.get(s.signature_id, (1, 1))[0],
            services=reach.get(s.signature_id, (1, 1))[1],
            lines=s.lines,
            first_seen=s.signature.first_seen,
            last_seen=s.signature.last_seen,
            notable=s.notable,
        )
        for s in sightings
    ]


def log_sources_for(viewer: Actor, case: Case) -> list[LogSource]:
    """The logs of a case and the state of their parsing (internal attachments for staff)."""
    if viewer.is_external:
        return []
    return list(LogSource.objects.filter(case_id=case.pk).order_by("seen_at", "id"))


def service_signatures_for(
    viewer: Actor, service: Service, *, limit: int = 15
) -> list[SignatureRow]:
    """A service's most frequent notable signatures, by how many of its cases show them."""
    if viewer.is_external:
        return []
    rows = list(
        SignatureSighting.objects.filter(service=service, notable=True)
        .values("signature_id")
        .annotate(cases=Count("id"), total=Sum("lines"), severity=Max(_SEVERITY))
        .order_by("-cases", "-severity", "-total", "signature_id")[:limit]
    )
    ids = [r["signature_id"] for r in rows]
    signatures = Signature.objects.in_bulk(ids)
    reach = _reach(ids)
    return [
        SignatureRow(
            signature=signatures[r["signature_id"]],
            cases=r["cases"],
            services=reach.get(r["signature_id"], (0, 0))[1],
            lines=r["total"] or 0,
            first_seen=signatures[r["signature_id"]].first_seen,
            last_seen=signatures[r["signature_id"]].last_seen,
        )
        for r in rows
    ]


def signatures_of_known_fixes(ids: list[int]) -> dict[int, list[Signature]]:
    """The signatures each known resolution carries, in one query."""
    through: QuerySet[Any] = Signature.known_resolutions.through.objects.filter(
        knownresolution_id__in=ids
    ).select_related("signature")
    found: dict[int, list[Signature]] = {}
    for row in through:
        found.setdefault(row.knownresolution_id, []).append(row.signature)
    return found


def signature_choices_for(
    viewer: Actor, fix: KnownResolution | None, *, case_key: str = ""
) -> list[tuple[str, str]]:
    """The signatures a known fix's form offers: those it carries, and those of a case it is
    written from (``?from=CB-12``)."""
    if viewer.is_external:
        return []
    chosen: dict[str, str] = {}
    if fix is not None:
        chosen.update((s.pk, s.template) for s in fix.signatures.all())
    if case_key:
        try:
            case = case_get_for(viewer, case_key)
        except NotFound:
            return list(chosen.items())
        chosen.update(
            (row.signature.pk, row.signature.template)
            for row in case_signatures_for(viewer, case, limit=20)
            if row.notable
        )
    return list(chosen.items())


def known_fix_draft_from_case(viewer: Actor, case_key: str) -> dict[str, object] | None:
    """A known fix's form filled from a resolved case: its title, symptoms, service, the action
    taken as steps, and its notable signatures checked."""
    try:
        case = case_get_for(viewer, case_key)
    except NotFound:
        return None
    return {
        "title": case.title,
        "symptoms": case.description,
        "steps": case.action_taken or case.resolution_note,
        "services": [case.service.slug],
        "signatures": [
            row.signature.pk for row in case_signatures_for(viewer, case, limit=20) if row.notable
        ],
    }
