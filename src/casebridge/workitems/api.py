"""/api/v1/work-items: list, get, history, transition and assign."""

from __future__ import annotations

from typing import Annotated

from ninja import Query, Router, Schema
from pydantic import Field

from casebridge.audit.selectors import events_for
from casebridge.core.http import ApiRequest
from casebridge.core.schemas import ERRORS, WRITE_ERRORS, Id, Offset, UserRef
from casebridge.workitems import selectors
from casebridge.workitems.schemas import (
    AssignIn,
    WorkItemEventOut,
    WorkItemOut,
    WorkItemPageOut,
    WorkItemTransitionIn,
    item_out,
    row_out,
)
from casebridge.workitems.services import work_item_transition

router = Router(tags=["work-items"])


class WorkItemQuery(Schema):
    category: str = Field(default="", description="bug, feature or improvement")
    status: str = Field(default="", description="Comma-separated statuses")
    group: str = Field(default="", description="open, active, done or rejected")
    assignee: str = Field(default="", description="Username, or 'none'")
    priority: str = ""
    sprint: Id | None = None
    team: str = ""
    limit: int = Field(default=50, ge=1, le=200)
    offset: Offset = 0


@router.get("", response={200: WorkItemPageOut, **ERRORS}, summary="List work items")
def list_work_items(request: ApiRequest, query: Query[WorkItemQuery]) -> dict[str, object]:
    filters = selectors.WorkItemFilters(
        category=query.category,
        statuses=tuple(s for s in query.status.split(",") if s),
        group=query.group,
        assignee=request.auth.username if query.assignee == "me" else query.assignee,
        priority=query.priority,
        sprint=query.sprint,
        team=query.team,
    )
    items = selectors.work_item_list_for(request.auth, filters)
    page = items[query.offset : query.offset + query.limit]
    return {
        "count": items.count(),
        "limit": query.limit,
        "offset": query.offset,
        "items": [row_out(i) for i in page],
    }


@router.get("/{key}", response={200: WorkItemOut, **ERRORS}, summary="One work item")
def get_work_item(request: ApiRequest, key: str) -> WorkItemOut:
    return item_out(request.auth, selectors.work_item_get_for(request.auth, key))


@router.get(
    "/{key}/timeline",
    response={200: list[WorkItemEventOut], **ERRORS},
    summary="The work item's history (audit events, oldest first)",
)
def timeline(
    request: ApiRequest,
    key: str,
    after: Id | None = None,
    limit: Annotated[int, Field(ge=1, le=1000)] = 500,
) -> list[WorkItemEventOut]:
    """``after``: only the events after that event id (poll for what is new)."""
    item = selectors.work_item_get_for(request.auth, key)
    events = events_for([(item.audit_type, item.key)], public_only=False)
    if after is not None:
        events = events.filter(id__gt=after)
    return [
        WorkItemEventOut(
            id=e.pk,
            at=e.at,
            actor=UserRef.of(e.actor),
            action=e.action,
            field=e.field,
            old=e.old,
            new=e.new,
            reason=e.reason,
        )
        for e in events[:limit]
    ]


@router.post(
    "/{key}/transition",
    response={200: WorkItemOut, **WRITE_ERRORS},
    summary="Apply a workflow action (409 lists every reason it is refused)",
)
def transition(request: ApiRequest, key: str, body: WorkItemTransitionIn) -> WorkItemOut:
    item = selectors.work_item_get_for(request.auth, key)
    data = body.data.dict(exclude_none=True)
    item = work_item_transition(actor=request.auth, item=item, action=body.action, data=data)
    return item_out(request.auth, selectors.work_item_get_for(request.auth, item.key))


@router.post(
    "/{key}/assign",
    response={200: WorkItemOut, **WRITE_ERRORS},
    summary="Set the assignees (ladder policies apply)",
)
def assign(request: ApiRequest, key: str, body: AssignIn) -> WorkItemOut:
    item = selectors.work_item_get_for(request.auth, key)
    data = body.dict(exclude_none=True)
    item = work_item_transition(actor=request.auth, item=item, action="assign", data=data)
    return item_out(request.auth, selectors.work_item_get_for(request.auth, item.key))
