from __future__ import annotations

from dataclasses import asdict
from datetime import date, datetime
from typing import Literal

from ninja import Schema
from pydantic import ConfigDict, Field

from casebridge.accounts.models import User
from casebridge.core.actors import Actor
from casebridge.core.schemas import Id, ReasonOut, UserRef
from casebridge.occurrences.evidence import evidence_for
from casebridge.workflows.engine import Option
from casebridge.workitems.definitions import workflow_for
from casebridge.workitems.documentation import DOC_NAMES
from casebridge.workitems.models import WorkItem, WorkItemComment


class SprintRef(Schema):
    id: int
    name: str
    team: str
    start: date
    end: date


class TestRecordOut(Schema):
    result: str
    evidence: str
    recorded_by: UserRef
    recorded_at: datetime


class ActionOut(Schema):
    action: str
    label: str
    allowed: bool
    reasons: list[ReasonOut]
    requires: list[str]


class LogFileOut(Schema):
    case: str
    id: int
    filename: str
    size: int
    internal: bool
    created_at: datetime
    download_url: str


class LogSignatureOut(Schema):
    id: str
    template: str
    level: str
    notable: bool = Field(description="An error, a warning or a line a person pasted")
    lines: int
    cases: list[str]
    url: str


class WorkItemRowOut(Schema):
    key: str
    category: str
    title: str
    status: str
    group: str
    priority: str
    assignees: list[str]
    sprint: str | None
    wsjf: float | None
    cases: list[str]
    created_at: datetime


class WorkItemOut(Schema):
    key: str
    category: str
    title: str
    status: str
    group: str
    service: str | None
    component: str | None
    environment: str
    version: str
    description: str
    steps_to_reproduce: str
    expected_result: str
    actual_result: str
    log_excerpt: str
    justification: str
    impact_assessment: str
    rationale: str
    expected_benefit: str
    area: str
    priority: str
    impact: str
    sprint: SprintRef | None
    team: str | None
    assignees: list[UserRef]
    mentor: UserRef | None
    requested_reviewer: UserRef | None
    reviewed_by: UserRef | None
    release_version: str
    deployed_environment: str
    reopen_count: int
    dev_link: str = Field(description="The pull request or branch where the work happens")
    pm_decision: str
    pm_decision_reason: str
    rte_decision: str
    rte_decision_reason: str
    decision_reason: str = Field(description="The reason of the latest decision")
    revisit_on: date | None
    business_value: int | None
    time_criticality: int | None
    risk_reduction: int | None
    job_size: int | None
    wsjf: float | None
    estimate: int | None
    duplicate_of: str | None
    superseded_by: str | None
    test_records: list[TestRecordOut]
    created_by: UserRef | None
    created_at: datetime
    updated_at: datetime
    closed_at: datetime | None
    cases: list[str]
    log_files: list[LogFileOut] = Field(description="Log files attached to the linked cases")
    log_signatures: list[LogSignatureOut] = Field(
        description="Signatures parsed from the linked cases' logs, notable ones first"
    )
    allowed_actions: list[str]
    actions: list[ActionOut]


def _ref(user: User | None) -> UserRef | None:
    return UserRef.of(user)


def action_out(option: Option[WorkItem]) -> ActionOut:
    t = option.transition
    return ActionOut(
        action=t.action,
        label=t.label,
        allowed=option.allowed,
        reasons=[ReasonOut(code=r.code, message=r.message, field=r.field) for r in option.reasons],
        requires=[r.field for r in t.requires],
    )


def row_out(item: WorkItem) -> WorkItemRowOut:
    return WorkItemRowOut(
        key=item.key,
        category=item.category,
        title=item.title,
        status=item.status,
        group=workflow_for(item.category).group_of(item.status),
        priority=item.priority,
        assignees=[u.username for u in item.assignees.all()],
        sprint=item.sprint.name if item.sprint else None,
        wsjf=item.wsjf,
        cases=[c.key for c in item.cases.all()],
        created_at=item.created_at,
    )


def item_out(viewer: Actor, item: WorkItem) -> WorkItemOut:
    workflow = workflow_for(item.category)
    options = workflow.options_for(viewer, item)
    sprint = item.sprint
    evidence = evidence_for(viewer, item)
    return WorkItemOut(
        **{name: getattr(item, name) for name in _PLAIN},
        group=workflow.group_of(item.status),
        service=item.service.slug if item.service else None,
        component=item.component.slug if item.component else None,
        sprint=SprintRef(
            id=sprint.pk,
            name=sprint.name,
            team=sprint.team.slug,
            start=sprint.start,
            end=sprint.end,
        )
        if sprint
        else None,
        team=item.team.slug if item.team else None,
        assignees=[UserRef.required(u) for u in item.assignees.all()],
        mentor=_ref(item.mentor),
        requested_reviewer=_ref(item.requested_reviewer),
        reviewed_by=_ref(item.reviewed_by),
        wsjf=item.wsjf,
        duplicate_of=item.duplicate_of.key if item.duplicate_of else None,
        superseded_by=item.superseded_by.key if item.superseded_by else None,
        test_records=[
            TestRecordOut(
                result=r.result,
                evidence=r.evidence,
                recorded_by=UserRef.required(r.recorded_by),
                recorded_at=r.recorded_at,
            )
            for r in item.test_records.all()
        ],
        created_by=_ref(item.created_by),
        cases=[c.key for c in item.cases.all()],
        log_files=[
            LogFileOut(
                case=f.case.key,
                id=f.pk,
                filename=f.filename,
                size=f.size,
                internal=f.internal,
                created_at=f.created_at,
                download_url=f"/api/v1/cases/{f.case.key}/attachments/{f.pk}",
            )
            for f in evidence.files
        ],
        log_signatures=[
            LogSignatureOut(**asdict(sig), url=f"/api/v1/signatures/{sig.id}")
            for sig in evidence.signatures
        ],
        allowed_actions=[o.transition.action for o in options if o.allowed],
        actions=[action_out(o) for o in options],
    )


_PLAIN = (
    "key",
    "category",
    "title",
    "status",
    "environment",
    "version",
    *DOC_NAMES,
    "priority",
    "impact",
    "release_version",
    "deployed_environment",
    "reopen_count",
    "dev_link",
    "pm_decision",
    "pm_decision_reason",
    "rte_decision",
    "rte_decision_reason",
    "decision_reason",
    "revisit_on",
    "business_value",
    "time_criticality",
    "risk_reduction",
    "job_size",
    "estimate",
    "created_at",
    "updated_at",
    "closed_at",
)


class TransitionData(Schema):
    """Input of a workflow action; which fields an action needs is in the work item's `actions`."""

    model_config = ConfigDict(extra="forbid")

    reason: str | None = Field(default=None, max_length=5000, description="Why; or the question")
    priority: str | None = Field(default=None, description="critical, major or minor (triage)")
    impact: str | None = Field(default=None, max_length=5000, description="Impact (triage)")
    sprint: Id | None = Field(default=None, description="Sprint id (schedule)")
    assignees: list[str] | None = Field(default=None, description="Usernames (assign)")
    mentor: str | None = Field(default=None, description="Username of an L3+ mentor (assign)")
    reviewer: str | None = Field(default=None, description="Requested reviewer (submit_review)")
    evidence: str | None = Field(default=None, max_length=20000, description="Test evidence")
    version: str | None = Field(default=None, max_length=64, description="Release version")
    environment: str | None = Field(default=None, description="Deployed environment")
    duplicate_of: str | None = Field(default=None, description="Work item key (mark_duplicate)")
    category: str | None = Field(default=None, description="New category (recategorise)")
    team: str | None = Field(default=None, description="Implementing team slug (approve)")
    revisit_on: date | None = Field(default=None, description="Date to revisit (defer)")
    business_value: int | None = Field(default=None, ge=1, le=100)
    time_criticality: int | None = Field(default=None, ge=1, le=100)
    risk_reduction: int | None = Field(default=None, ge=1, le=100)
    job_size: int | None = Field(default=None, ge=1, le=100)
    as_role: Literal["product_manager", "rte"] | None = Field(
        default=None, description="product_manager or rte: the role you decide as, if you are both"
    )
    # The new category's documentation (recategorise), as the escalation gate asks for it.
    justification: str | None = Field(
        default=None, max_length=10_000, description="Problem and who asks (-> feature)"
    )
    impact_assessment: str | None = Field(
        default=None, max_length=10_000, description="Customers, revenue, risk (-> feature)"
    )
    rationale: str | None = Field(default=None, max_length=10_000, description="(-> improvement)")
    expected_benefit: str | None = Field(
        default=None, max_length=10_000, description="(-> improvement)"
    )
    area: str | None = Field(
        default=None,
        description="configuration, performance, reliability, automation or process "
        "(-> improvement)",
    )


class WorkItemTransitionIn(Schema):
    model_config = ConfigDict(extra="forbid")

    action: str = Field(description="An action of the item's workflow, see `actions`")
    data: TransitionData = Field(default_factory=TransitionData)


class AssignIn(Schema):
    model_config = ConfigDict(extra="forbid")

    assignees: list[str] = Field(min_length=1, description="Usernames")
    mentor: str | None = Field(default=None, description="An L3+ mentor, needed for L1 developers")


class WorkItemPageOut(Schema):
    count: int
    limit: int
    offset: int
    items: list[WorkItemRowOut]


class WorkItemCommentIn(Schema):
    model_config = ConfigDict(extra="forbid")

    body: str = Field(min_length=1, max_length=10_000, description="Text; @username mentions")


class WorkItemCommentOut(Schema):
    id: int
    author: UserRef | None
    body: str
    created_at: datetime


class WorkItemLinkIn(Schema):
    model_config = ConfigDict(extra="forbid")

    url: str = Field(
        max_length=1000, description="An http(s) URL of a pull request or branch; '' clears"
    )


def comment_out(comment: WorkItemComment) -> WorkItemCommentOut:
    return WorkItemCommentOut(
        id=comment.pk, author=_ref(comment.author), body=comment.body, created_at=comment.created_at
    )


class WorkItemEventOut(Schema):
    """One event of a work item's history, oldest first. ``id`` is the audit event's: outbox
    messages (notifications, Azure DevOps, webhooks) carry it as ``audit_event``."""

    id: int
    at: datetime
    actor: UserRef | None = Field(description="Who; null for the system")
    action: str = Field(description="A workflow action (triage, start, ...) or an event name")
    field: str
    old: str
    new: str
    reason: str
