"""/api/v1/cases: intake, the queue, the case, its comments, files, timeline and actions."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

from django.http import FileResponse, HttpResponseBase
from ninja import File, Form, Query, Router, Status, UploadedFile
from pydantic import Field

from casebridge.accounts.models import User
from casebridge.accounts.selectors import organisation_by_slug, user_by_username
from casebridge.cases import selectors
from casebridge.cases.attachments import attachment_add, download_type
from casebridge.cases.milestones import milestone, milestones, nameable, public_name
from casebridge.cases.models import Attachment, Case, Comment
from casebridge.cases.schemas import (
    AttachmentOut,
    CaseIn,
    CaseOut,
    CasePageOut,
    CasePatch,
    CaseQuery,
    CaseRowOut,
    CommentIn,
    CommentOut,
    EmptyIn,
    EscalateIn,
    EventOut,
    QuestionIn,
    ReasonIn,
    ResolveIn,
    TakeIn,
    WorkItemRef,
)
from casebridge.cases.services import (
    CaseInput,
    case_create,
    case_transition,
    case_update,
    comment_add,
)
from casebridge.cases.workflow import CASE_WORKFLOW
from casebridge.catalog.schemas import ServiceRef
from casebridge.catalog.selectors import component_by_slug, service_by_slug
from casebridge.core.actors import Actor
from casebridge.core.csvexport import CSV_OPENAPI, csv_response
from casebridge.core.http import ApiRequest
from casebridge.core.schemas import ERRORS, WRITE_ERRORS, Id, UserRef
from casebridge.occurrences.schemas import SimilarOut, occurrence_out
from casebridge.occurrences.selectors import similar_for_case

router = Router(tags=["cases"])


def case_out(viewer: Actor, case: Case) -> CaseOut:
    item = case.work_item
    return CaseOut(
        key=case.key,
        title=case.title,
        description=case.description,
        source=case.source,
        state=case.state,
        resolution=case.resolution or None,
        service=ServiceRef(slug=case.service.slug, name=case.service.name),
        component=ServiceRef(slug=case.component.slug, name=case.component.name)
        if case.component
        else None,
        environment=case.environment,
        version=case.version,
        impact=case.impact,
        reporter=UserRef.required(case.reporter),
        logged_by=UserRef.of(case.logged_by),
        organisation=case.organisation.slug if case.organisation else None,
        owner=UserRef.of(case.owner),
        work_item=WorkItemRef(
            key=item.key, category=item.category, title=item.title, status=item.status
        )
        if item
        else None,
        known_resolution=case.known_resolution.key if case.known_resolution else None,
        action_taken=case.action_taken,
        duplicate_of=case.duplicate_of.key if case.duplicate_of else None,
        resolution_note=case.resolution_note,
        reopen_count=case.reopen_count,
        created_at=case.created_at,
        updated_at=case.updated_at,
        resolved_at=case.resolved_at,
        closed_at=case.closed_at,
        allowed_actions=CASE_WORKFLOW.allowed_actions(viewer, case),
    )


def _fresh(request: ApiRequest, case: Case) -> CaseOut:
    return case_out(request.auth, selectors.case_get_for(request.auth, case.key))


@router.get(
    "",
    response={200: CasePageOut, **ERRORS},
    summary="List cases (the L2 queue)",
    openapi_extra=CSV_OPENAPI,
)
def list_cases(
    request: ApiRequest, query: Query[CaseQuery]
) -> dict[str, object] | HttpResponseBase:
    """``state`` takes a comma-separated list, or ``open`` for new, investigating and waiting."""
    filters = selectors.CaseFilters(
        states=selectors.parse_states(query.state),
        service=query.service,
        source=query.source,
        owner=query.owner,
        organisation=query.organisation,
        sort=query.sort,
    )
    if query.format == "csv":
        every = selectors.case_csv_rows_for(request.auth, filters)
        return csv_response("cases", selectors.CSV_HEADER, every)
    cases, count = selectors.case_slice_for(
        request.auth, filters, offset=query.offset, limit=query.limit
    )
    rows = [
        CaseRowOut(
            key=c.key,
            title=c.title,
            state=c.state,
            source=c.source,
            service=c.service.slug,
            impact=c.impact,
            owner=c.owner.username if c.owner else None,
            organisation=c.organisation.slug if c.organisation else None,
            work_item=c.work_item.key if c.work_item else None,
            created_at=c.created_at,
        )
        for c in cases
    ]
    return {"count": count, "limit": query.limit, "offset": query.offset, "items": rows}


@router.post("", response={201: CaseOut, **WRITE_ERRORS}, summary="Open a case")
def create_case(request: ApiRequest, body: CaseIn) -> Status[CaseOut]:
    service = service_by_slug(body.service)
    data = CaseInput(
        title=body.title,
        description=body.description,
        service=service,
        component=component_by_slug(service, body.component) if body.component else None,
        environment=body.environment,
        impact=body.impact,
        version=body.version,
        organisation=organisation_by_slug(body.organisation) if body.organisation else None,
        reporter=user_by_username(body.reporter, field="reporter") if body.reporter else None,
    )
    case = case_create(actor=request.auth, data=data, channel="api")
    # The new case holds its relations already: no need to read it back.
    return Status(201, case_out(request.auth, case))


@router.get("/{key}", response={200: CaseOut, **ERRORS}, summary="One case")
def get_case(request: ApiRequest, key: str) -> CaseOut:
    return case_out(request.auth, selectors.case_get_for(request.auth, key))


@router.patch("/{key}", response={200: CaseOut, **WRITE_ERRORS}, summary="Correct a case's details")
def patch_case(request: ApiRequest, key: str, body: CasePatch) -> CaseOut:
    case = selectors.case_get_for(request.auth, key)
    changes: dict[str, Any] = body.dict(exclude_unset=True)
    if "service" in changes:
        changes["service"] = service_by_slug(changes["service"] or "")
    if changes.get("component"):
        changes["component"] = component_by_slug(
            changes.get("service") or case.service, changes["component"]
        )
    return _fresh(request, case_update(actor=request.auth, case=case, changes=changes))


def _act(request: ApiRequest, key: str, action: str, data: Mapping[str, object]) -> CaseOut:
    case = selectors.case_get_for(request.auth, key)
    return _fresh(request, case_transition(actor=request.auth, case=case, action=action, data=data))


@router.post(
    "/{key}/take", response={200: CaseOut, **WRITE_ERRORS}, summary="Take or assign a new case"
)
def take(request: ApiRequest, key: str, body: TakeIn) -> CaseOut:
    owner = user_by_username(body.owner, field="owner") if body.owner else None
    return _act(request, key, "take", {"owner": owner})


@router.post(
    "/{key}/request-info", response={200: CaseOut, **WRITE_ERRORS}, summary="Ask the reporter"
)
def request_info(request: ApiRequest, key: str, body: QuestionIn) -> CaseOut:
    return _act(request, key, "request_info", {"question": body.question})


@router.post(
    "/{key}/answer",
    response={200: CaseOut, **WRITE_ERRORS},
    summary="Resume after the reporter answered",
)
def answer(request: ApiRequest, key: str, body: EmptyIn) -> CaseOut:
    return _act(request, key, "answer", {})


@router.post("/{key}/resolve", response={200: CaseOut, **WRITE_ERRORS}, summary="Resolve a case")
def resolve(request: ApiRequest, key: str, body: ResolveIn) -> CaseOut:
    return _act(request, key, "resolve", body.dict())


@router.post(
    "/{key}/escalate", response={200: CaseOut, **WRITE_ERRORS}, summary="Escalate to development"
)
def escalate(request: ApiRequest, key: str, body: EscalateIn) -> CaseOut:
    return _act(request, key, "escalate", body.transition_data())


@router.post(
    "/{key}/reopen", response={200: CaseOut, **WRITE_ERRORS}, summary="Reopen a resolved case"
)
def reopen(request: ApiRequest, key: str, body: ReasonIn) -> CaseOut:
    return _act(request, key, "reopen", {"reason": body.reason})


@router.post(
    "/{key}/close", response={200: CaseOut, **WRITE_ERRORS}, summary="Close a resolved case"
)
def close(request: ApiRequest, key: str, body: ReasonIn) -> CaseOut:
    return _act(request, key, "close", {"reason": body.reason})


def _person_for(viewer: Actor, user: User) -> UserRef:
    """A person as the viewer may know them: customers and partners read the names of their
    side and of support only; anyone else is "Our team" (cases.milestones.public_name)."""
    if viewer.is_external and not nameable(user):
        return UserRef(username="", name=public_name(user))
    return UserRef.required(user)


def _comment_out(viewer: Actor, comment: Comment) -> CommentOut:
    return CommentOut(
        id=comment.pk,
        author=_person_for(viewer, comment.author),
        body=comment.body,
        internal=comment.internal,
        created_at=comment.created_at,
    )


@router.get("/{key}/comments", response={200: list[CommentOut], **ERRORS}, summary="Comments")
def list_comments(request: ApiRequest, key: str) -> list[CommentOut]:
    case = selectors.case_get_for(request.auth, key)
    return [_comment_out(request.auth, c) for c in selectors.comments_for(request.auth, case)]


@router.post("/{key}/comments", response={201: CommentOut, **WRITE_ERRORS}, summary="Add a comment")
def add_comment(request: ApiRequest, key: str, body: CommentIn) -> Status[CommentOut]:
    case = selectors.case_get_for(request.auth, key)
    comment = comment_add(actor=request.auth, case=case, body=body.body, internal=body.internal)
    return Status(201, _comment_out(request.auth, comment))


def _attachment_out(viewer: Actor, case: Case, attachment: Attachment) -> AttachmentOut:
    return AttachmentOut(
        id=attachment.pk,
        filename=attachment.filename,
        content_type=attachment.content_type,
        size=attachment.size,
        sha256=attachment.sha256,
        is_log=attachment.is_log,
        internal=attachment.internal,
        uploaded_by=_person_for(viewer, attachment.uploaded_by),
        created_at=attachment.created_at,
        download_url=f"/api/v1/cases/{case.key}/attachments/{attachment.pk}",
    )


@router.get(
    "/{key}/attachments", response={200: list[AttachmentOut], **ERRORS}, summary="Attachments"
)
def list_attachments(request: ApiRequest, key: str) -> list[AttachmentOut]:
    case = selectors.case_get_for(request.auth, key)
    files = selectors.attachments_for(request.auth, case)
    return [_attachment_out(request.auth, case, a) for a in files]


@router.post(
    "/{key}/attachments",
    response={201: AttachmentOut, **WRITE_ERRORS},
    summary="Upload a file (multipart field 'file')",
)
def upload(
    request: ApiRequest,
    key: str,
    file: File[UploadedFile],
    internal: Form[bool | None] = None,
) -> Status[AttachmentOut]:
    """``internal`` true keeps the file from customers and partners; false shows it to them.
    Left out, a file from support staff is internal and one from a customer or partner public."""
    case = selectors.case_get_for(request.auth, key)
    attachment = attachment_add(
        actor=request.auth,
        case=case,
        upload=file,
        filename=file.name or "upload",
        internal=internal,
    )
    return Status(201, _attachment_out(request.auth, case, attachment))


@router.get(
    "/{key}/attachments/{attachment_id}", response={200: None, **ERRORS}, summary="Download a file"
)
def download(request: ApiRequest, key: str, attachment_id: Id) -> FileResponse:
    case = selectors.case_get_for(request.auth, key)
    return attachment_response(selectors.attachment_get_for(request.auth, case, attachment_id))


def attachment_response(attachment: Attachment) -> FileResponse:
    """Always a download, with the sniffed type (or octet-stream) and no sniffing by browsers."""
    response = FileResponse(
        attachment.file.open("rb"),
        as_attachment=True,
        filename=attachment.filename,
        content_type=download_type(attachment),
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "sandbox; default-src 'none'"
    response["Cache-Control"] = "private, no-store"
    return response


@router.get(
    "/{key}/timeline", response={200: list[EventOut], **ERRORS}, summary="The case's history"
)
def timeline(request: ApiRequest, key: str) -> list[EventOut]:
    """Staff get every event; customers and partners the milestones, in their words."""
    case = selectors.case_get_for(request.auth, key)
    events = selectors.timeline_for(request.auth, case)
    if request.auth.is_external:
        return [
            EventOut(
                at=m.at,
                actor=UserRef.of(m.actor),
                subject=case.key,
                action=m.code,
                field="",
                old="",
                new="",
                reason=m.detail,
                text=m.text,
            )
            for m in milestones(events)
        ]
    return [
        EventOut(
            at=e.at,
            actor=UserRef.of(e.actor),
            subject=e.subject_key,
            action=e.action,
            field=e.field,
            old=e.old,
            new=e.new,
            reason=e.reason,
            text=told.text if (told := milestone(e)) else "",
        )
        for e in events
    ]


@router.get(
    "/{key}/similar",
    response={200: SimilarOut, **ERRORS},
    summary="Previous occurrences: similar earlier cases, work items and known resolutions",
)
def similar(request: ApiRequest, key: str, k: Annotated[int, Field(ge=1, le=50)] = 5) -> SimilarOut:
    """Each hit has a score and its reasons (shared terms, log signatures, same service...)."""
    case = selectors.case_get_for(request.auth, key)
    found = similar_for_case(request.auth, case, k=k)
    return SimilarOut(
        cases=[occurrence_out(h) for h in found.cases],
        work_items=[occurrence_out(h) for h in found.work_items],
        known_resolutions=[occurrence_out(h) for h in found.known_resolutions],
    )
