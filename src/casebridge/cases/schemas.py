from __future__ import annotations

from datetime import datetime
from typing import Literal

from ninja import Schema
from pydantic import Field, field_validator

from casebridge.catalog.schemas import ServiceRef
from casebridge.core.schemas import InputSchema, Offset, UserRef

EnvironmentName = Literal["production", "staging", "test", "development"]
ImpactName = Literal["low", "medium", "high", "critical"]


class WorkItemRef(Schema):
    key: str
    category: str
    title: str
    status: str


class CaseOut(Schema):
    key: str
    title: str
    description: str
    source: str
    state: str
    resolution: str | None
    service: ServiceRef
    component: ServiceRef | None
    environment: str
    version: str
    impact: str
    reporter: UserRef
    logged_by: UserRef | None = Field(
        description="Who entered the case: the agent who took the call, or the reporter"
    )
    organisation: str | None
    owner: UserRef | None
    work_item: WorkItemRef | None
    known_resolution: str | None
    action_taken: str
    duplicate_of: str | None
    resolution_note: str
    reopen_count: int
    created_at: datetime
    updated_at: datetime
    resolved_at: datetime | None
    closed_at: datetime | None
    allowed_actions: list[str]


class CaseQuery(Schema):
    state: str = Field(
        default="", description="Comma-separated states, 'open' or 'all' (the default)"
    )
    service: str = Field(default="", description="Service slug")
    source: str = ""
    owner: str = Field(default="", description="Username, or 'none' for unassigned")
    organisation: str = Field(default="", description="Organisation slug")
    sort: Literal["oldest", "newest", "breach", "impact"] = Field(
        "oldest",
        description="oldest/newest: by age; breach: the SLA clock due first; impact: highest "
        "first, then oldest",
    )
    limit: int = Field(default=50, ge=1, le=200)
    offset: Offset = 0
    format: Literal["json", "csv"] = Field(
        default="json", description="csv: every matching case (no paging), streamed"
    )


class CaseRowOut(Schema):
    key: str
    title: str
    state: str
    source: str
    service: str
    impact: str
    owner: str | None
    organisation: str | None
    work_item: str | None
    created_at: datetime


class CasePageOut(Schema):
    count: int
    limit: int
    offset: int
    items: list[CaseRowOut]


class CaseIn(InputSchema):
    title: str = Field(min_length=3, max_length=200)
    description: str = Field(default="", max_length=50_000)
    service: str = Field(description="Service slug, see GET /services")
    component: str | None = Field(default=None, description="Component slug of that service")
    environment: EnvironmentName
    impact: ImpactName = "medium"
    version: str = Field(default="", max_length=64)
    organisation: str | None = Field(default=None, description="Customer organisation slug")
    reporter: str | None = Field(
        default=None,
        description="Username of the person who reported it, one of the organisation's people "
        "(staff logging a call; default: you)",
    )


class CasePatch(InputSchema):
    title: str | None = Field(default=None, min_length=3, max_length=200)
    description: str | None = Field(default=None, max_length=50_000)
    service: str | None = None
    component: str | None = None
    environment: EnvironmentName | None = None
    impact: ImpactName | None = None
    version: str | None = Field(default=None, max_length=64)

    @field_validator("title", "description", "service", "environment", "impact", "version")
    @classmethod
    def _not_null(cls, value: str | None) -> str:
        """Leave a field out to keep it; only ``component`` may be cleared with null."""
        if value is None:
            raise ValueError("This field cannot be null; leave it out to keep its value")
        return value


class TakeIn(InputSchema):
    owner: str | None = Field(default=None, description="L2 engineer to assign; default: you")


class QuestionIn(InputSchema):
    question: str = Field(min_length=1, max_length=50_000)


class EmptyIn(InputSchema):
    pass


class ReasonIn(InputSchema):
    reason: str = Field(default="", max_length=5_000)


class ResolveIn(InputSchema):
    resolution: Literal["known_fix", "no_fault", "duplicate"]
    known_resolution: str | None = Field(default=None, description="Key, e.g. KR-3 (known_fix)")
    action_taken: str = Field(default="", max_length=5_000, description="What was done (known_fix)")
    duplicate_of: str | None = Field(default=None, description="Case key (duplicate)")
    note: str = Field(default="", max_length=5_000)


class EscalateIn(InputSchema):
    category: Literal["bug", "feature", "improvement"] | None = None
    work_item: str | None = Field(default=None, description="Link to this existing work item")
    title: str | None = Field(default=None, max_length=200)
    description: str = Field(default="", max_length=50_000)
    steps_to_reproduce: str = Field(default="", max_length=50_000)
    expected_result: str = Field(default="", max_length=10_000)
    actual_result: str = Field(default="", max_length=10_000)
    version: str = Field(default="", max_length=64)
    log_excerpt: str = Field(default="", max_length=200_000)
    justification: str = Field(default="", max_length=10_000)
    impact_assessment: str = Field(default="", max_length=10_000)
    rationale: str = Field(default="", max_length=10_000)
    expected_benefit: str = Field(default="", max_length=10_000)
    area: Literal["", "configuration", "performance", "reliability", "automation", "process"] = ""

    def transition_data(self) -> dict[str, object]:
        docs = self.dict(exclude={"category", "work_item", "title"})
        return {
            "category": self.category,
            "work_item": self.work_item,
            "title": self.title,
            "docs": docs,
        }


class CommentIn(InputSchema):
    body: str = Field(min_length=1, max_length=50_000)
    internal: bool = False


class CommentOut(Schema):
    id: int
    author: UserRef
    body: str
    internal: bool
    created_at: datetime


class AttachmentOut(Schema):
    id: int
    filename: str
    content_type: str
    size: int
    sha256: str
    is_log: bool
    internal: bool
    uploaded_by: UserRef
    created_at: datetime
    download_url: str


class EventOut(Schema):
    """One event of a case's history. Customers and partners get the case's milestones only
    (``action`` is the milestone: received, being_investigated, waiting_for_you,
    passed_to_development, development, service_restored, resolved, reopened, closed, message,
    file), in their words (``text``), with no internal field, state or development name."""

    at: datetime
    actor: UserRef | None = Field(description="Who; for customers only their side and support")
    subject: str
    action: str
    field: str
    old: str
    new: str
    reason: str
    text: str = Field(description="The milestone as the customer reads it; empty if none")
