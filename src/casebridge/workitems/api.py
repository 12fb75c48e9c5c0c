"""/api/v1/work-items: list, get, history, transition, assign, comments and the pull request
link."""

from __future__ import annotations

from typing import Annotated

from django.http import HttpResponseBase
from ninja import Query, Router, Schema, Status
from pydantic import Field

from casebridge.audit.selectors import events_for
from casebridge.core.csvexport import CSV_OPENAPI, ExportFormat, csv_response
from casebridge.core.http import ApiRequest
from casebridge.core.schemas import ERRORS, WRITE_ERRORS, Id, Offset, UserRef
from casebridge.workitems import selectors
from casebridge.workitems.conversation import (
    comments_of,
    work_item_comment_add,
    work_item_link_set,
)
from casebridge.workitems.schemas import (
    AssignIn,
    WorkItemCommentIn,
    WorkItemCommentOut,
    WorkItemEventOut,
    WorkItemLinkIn,
    WorkItemOut,
    WorkItemPageOut,
    WorkItemTransitionIn,
    comment_out,
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
    format: ExportFormat = Field(
        default="json", description="csv: every matching item (no paging), streamed"
    )


@router.get(
    "",
    response={200: WorkItemPageOut, **ERRORS},
    summary="List work items",
    openapi_extra=CSV_OPENAPI,
)
def list_work_items(
    request: ApiRequest, query: Query[WorkItemQuery]
) -> dict[str, object] | HttpResponseBase:
    """``sprint`` with ``format=csv`` exports a sprint's contents."""
    filters = selectors.WorkItemFilters(
        category=query.category,
        statuses=tuple(s for s in query.status.split(",") if s),
        group=query.group,
        assignee=request.auth.username if query.assignee == "me" else query.assignee,
        priority=query.priority,
        sprint=query.sprint,
        team=query.team,
    )
    if query.format == "csv":
        rows = selectors.work_item_csv_rows_for(request.auth, filters)
        return csv_response("work-items", selectors.CSV_HEADER, rows)
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


@router.get(
    "/{key}/comments",
    response={200: list[WorkItemCommentOut], **ERRORS},
    summary="The item's comments, oldest first (staff only)",
)
def list_comments(request: ApiRequest, key: str) -> list[WorkItemCommentOut]:
    item = selectors.work_item_get_for(request.auth, key)
    return [comment_out(c) for c in comments_of(request.auth, item)]


@router.post(
    "/{key}/comments",
    response={201: WorkItemCommentOut, **WRITE_ERRORS},
    summary="Comment on a work item (@username notifies that person)",
)
def add_comment(
    request: ApiRequest, key: str, body: WorkItemCommentIn
) -> Status[WorkItemCommentOut]:
    item = selectors.work_item_get_for(request.auth, key)
    comment = work_item_comment_add(actor=request.auth, item=item, body=body.body)
    return Status(201, comment_out(comment))


@router.put(
    "/{key}/link",
    response={200: WorkItemOut, **WRITE_ERRORS},
    summary="Set the pull request or branch link (an http(s) URL; '' clears it)",
)
def set_link(request: ApiRequest, key: str, body: WorkItemLinkIn) -> WorkItemOut:
    item = selectors.work_item_get_for(request.auth, key)
    work_item_link_set(actor=request.auth, item=item, url=body.url)
    return item_out(request.auth, selectors.work_item_get_for(request.auth, item.key))
