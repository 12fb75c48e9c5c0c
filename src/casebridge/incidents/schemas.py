from __future__ import annotations

from datetime import datetime
from typing import Literal

from ninja import Schema
from pydantic import Field

from casebridge.catalog.schemas import ServiceRef
from casebridge.core.csvexport import ExportFormat
from casebridge.core.schemas import BoundedInt, InputSchema, UserRef
from casebridge.incidents.models import ActionItem, Incident, Participant, Review, TimelineEntry

SeverityName = Literal["sev1", "sev2", "sev3"]


class IncidentQuery(Schema):
    state: str = Field(default="", description="A state, or 'open' for every state but closed")
    service: str = Field(default="", description="Service slug")
    severity: str = ""
    format: ExportFormat = Field(
        default="json", description="csv: every matching incident (no limit), streamed"
    )


class DeclareIn(InputSchema):
    title: str = Field(min_length=3, max_length=200)
    severity: SeverityName
    lead: str = Field(description="Username of the lead (an L3+ developer, policy 6)")
    owner: str | None = Field(default=None, description="Accountable owner (L4; needed for sev1)")
    case: str | None = Field(default=None, description="Case key it is declared from")
    alert_group: str | None = Field(default=None, description="Alert group key, e.g. AG-12")
    summary: str = Field(default="", max_length=20_000)


class ParticipantOut(Schema):
    user: UserRef
    level: str
    guide: UserRef | None
    joined_at: datetime

    @staticmethod
    def of(row: Participant) -> ParticipantOut:
        return ParticipantOut(
            user=UserRef.required(row.user),
            level=row.user.level,
            guide=UserRef.of(row.guide),
            joined_at=row.joined_at,
        )


class IncidentRowOut(Schema):
    key: str
    title: str
    severity: str
    priority: str
    state: str
    service: str
    lead: UserRef
    declared_at: datetime

    @staticmethod
    def of(incident: Incident) -> IncidentRowOut:
        return IncidentRowOut(
            key=incident.key,
            title=incident.title,
            severity=incident.severity,
            priority=incident.priority,
            state=incident.state,
            service=incident.service.slug,
            lead=UserRef.required(incident.lead),
            declared_at=incident.declared_at,
        )


class IncidentOut(IncidentRowOut):
    summary: str
    service_ref: ServiceRef
    case: str | None
    alert_group: str | None
    owner: UserRef | None
    scribe: UserRef | None
    comms: UserRef | None
    participants: list[ParticipantOut]
    declared_by: UserRef
    mitigated_at: datetime | None
    resolved_at: datetime | None
    closed_at: datetime | None
    allowed_actions: list[str]


class IncidentTransitionIn(InputSchema):
    action: str = Field(description="mitigate, resolve, reopen, start_review, close, ...")
    data: dict[str, object] = Field(
        default_factory=dict, description="note, reason, review_lead, severity, owner, ..."
    )


class RoleIn(InputSchema):
    role: Literal["lead", "owner", "scribe", "comms", "participant"]
    user: str = Field(description="Username")
    guide: str | None = Field(default=None, description="For an L1 participant: their guide")
    remove: bool = Field(default=False, description="Participants only: remove this person")


class EntryOut(Schema):
    id: int
    at: datetime
    kind: str
    actor: UserRef | None
    text: str

    @staticmethod
    def of(entry: TimelineEntry) -> EntryOut:
        return EntryOut(
            id=entry.pk,
            at=entry.at,
            kind=entry.kind,
            actor=UserRef.of(entry.actor),
            text=entry.text,
        )


class NoteIn(InputSchema):
    body: str = Field(min_length=1, max_length=20_000)


class ActionItemOut(Schema):
    id: int
    title: str
    kind: str
    description: str
    owner: UserRef | None
    work_item: str | None

    @staticmethod
    def of(item: ActionItem) -> ActionItemOut:
        return ActionItemOut(
            id=item.pk,
            title=item.title,
            kind=item.kind,
            description=item.description,
            owner=UserRef.of(item.owner),
            work_item=item.work_item.key if item.work_item else None,
        )


class ReviewOut(Schema):
    lead: UserRef
    summary: str
    root_cause: str
    impact: str
    duration_minutes: int | None
    customers_affected: int | None
    went_well: str
    went_badly: str
    action_items: list[ActionItemOut]

    @staticmethod
    def of(review: Review, items: list[ActionItem]) -> ReviewOut:
        return ReviewOut(
            lead=UserRef.required(review.lead),
            summary=review.summary,
            root_cause=review.root_cause,
            impact=review.impact,
            duration_minutes=review.duration_minutes,
            customers_affected=review.customers_affected,
            went_well=review.went_well,
            went_badly=review.went_badly,
            action_items=[ActionItemOut.of(i) for i in items],
        )


class ReviewIn(InputSchema):
    summary: str | None = Field(default=None, max_length=20_000)
    root_cause: str | None = Field(default=None, max_length=20_000)
    impact: str | None = Field(default=None, max_length=20_000)
    duration_minutes: BoundedInt | None = Field(default=None, ge=0)
    customers_affected: BoundedInt | None = Field(default=None, ge=0)
    went_well: str | None = Field(default=None, max_length=20_000)
    went_badly: str | None = Field(default=None, max_length=20_000)


class ActionItemIn(InputSchema):
    title: str = Field(min_length=3, max_length=200)
    kind: Literal["improvement", "bug"] = "improvement"
    description: str = Field(default="", max_length=20_000)
    owner: str | None = Field(default=None, description="Username; the work item is filed then")


class OwnerIn(InputSchema):
    owner: str
