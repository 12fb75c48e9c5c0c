from __future__ import annotations

from datetime import datetime

from ninja import Schema
from pydantic import Field

from casebridge.cases.models import Case
from casebridge.core.csvexport import ExportFormat
from casebridge.core.schemas import Offset
from casebridge.knowledge.models import KnownResolution
from casebridge.occurrences.models import Signature, SignatureSighting
from casebridge.occurrences.selectors import Occurrence
from casebridge.workitems.models import WorkItem


class ReasonsOut(Schema):
    shared_terms: list[str]
    shared_log_signatures: list[str]
    shared_traces: list[str]
    same_service: bool
    same_component: bool
    same_alert: bool
    same_version: bool


class OccurrenceOut(Schema):
    kind: str
    key: str
    title: str
    status: str
    score: float
    reasons: ReasonsOut
    created_at: datetime


class SimilarOut(Schema):
    cases: list[OccurrenceOut]
    work_items: list[OccurrenceOut]
    known_resolutions: list[OccurrenceOut]


def occurrence_out(hit: Occurrence[Case | WorkItem | KnownResolution]) -> OccurrenceOut:
    obj = hit.object
    r = hit.reasons
    return OccurrenceOut(
        kind=hit.kind,
        key=hit.key,
        title=obj.title,
        status=getattr(obj, "state", None) or getattr(obj, "status", None) or "",
        score=hit.score,
        reasons=ReasonsOut(
            shared_terms=list(r.shared_terms),
            shared_log_signatures=list(r.shared_log_signatures),
            shared_traces=list(r.shared_traces),
            same_service=r.same_service,
            same_component=r.same_component,
            same_alert=r.same_alert,
            same_version=r.same_version,
        ),
        created_at=obj.created_at,
    )


class SignatureQuery(Schema):
    service: str = Field(default="", description="Service slug: signatures seen in its cases")
    case: str = Field(default="", description="Case key: the signatures of its logs")
    q: str = Field(default="", description="Words of the template")
    notable: bool = Field(default=False, description="Only errors, warnings and pasted lines")
    limit: int = Field(default=50, ge=1, le=200)
    offset: Offset = 0
    format: ExportFormat = Field(
        default="json", description="csv: every matching signature (no paging), streamed"
    )


class SightingOut(Schema):
    case: str
    service: str
    lines: int
    first_seen: datetime
    last_seen: datetime


class SignatureOut(Schema):
    id: str
    template: str
    level: str
    lines: int
    cases: int
    services: int
    first_seen: datetime
    last_seen: datetime


class SignatureDetailOut(SignatureOut):
    seen_in: list[SightingOut]
    known_resolutions: list[str]


class SignaturePageOut(Schema):
    count: int
    items: list[SignatureOut]


def signature_out(s: Signature, cases: int, services: int) -> SignatureOut:
    return SignatureOut(
        id=s.pk,
        template=s.template,
        level=s.level,
        lines=s.lines,
        cases=cases,
        services=services,
        first_seen=s.first_seen,
        last_seen=s.last_seen,
    )


def sighting_out(sighting: SignatureSighting) -> SightingOut:
    return SightingOut(
        case=sighting.case.key,
        service=sighting.service.slug,
        lines=sighting.lines,
        first_seen=sighting.first_seen,
        last_seen=sighting.last_seen,
    )
