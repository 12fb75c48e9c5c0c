"""/api/v1/incidents: declare, read, move through the workflow, roles, notes, the review and its
action items."""

from __future__ import annotations

from typing import Annotated

from django.http import HttpResponseBase
from ninja import Query, Router, Status
from pydantic import Field

from casebridge.accounts.selectors import user_by_username
from casebridge.cases.selectors import case_get_for
from casebridge.catalog.schemas import ServiceRef
from casebridge.catalog.selectors import service_by_slug
from casebridge.core.actors import Actor
from casebridge.core.csvexport import CSV_OPENAPI, csv_response
from casebridge.core.errors import NotFound, ValidationFailed
from casebridge.core.http import ApiRequest
from casebridge.core.schemas import ERRORS, MAX_ID, WRITE_ERRORS, Id, UserRef
from casebridge.incidents import selectors, services
from casebridge.incidents.models import Incident
from casebridge.incidents.schemas import (
    ActionItemIn,
    ActionItemOut,
    DeclareIn,
    EntryOut,
    IncidentOut,
    IncidentQuery,
    IncidentRowOut,
    IncidentTransitionIn,
    NoteIn,
    OwnerIn,
    ParticipantOut,
    ReviewIn,
    ReviewOut,
    RoleIn,
)
from casebridge.incidents.workflow import INCIDENT_WORKFLOW
from casebridge.monitoring.selectors import alert_group_get_for

router = Router(tags=["incidents"])


def incident_out(viewer: Actor, incident: Incident) -> IncidentOut:
    row = IncidentRowOut.of(incident).dict()
    return IncidentOut(
        **row,
        summary=incident.summary,
        service_ref=ServiceRef(slug=incident.service.slug, name=incident.service.name),
        case=incident.case.key if incident.case else None,
        alert_group=incident.alert_group.key if incident.alert_group else None,
        owner=UserRef.of(incident.owner),
        scribe=UserRef.of(incident.scribe),
        comms=UserRef.of(incident.comms),
        participants=[ParticipantOut.of(p) for p in selectors.participants_of(incident)],
        declared_by=UserRef.required(incident.declared_by),
        mitigated_at=incident.mitigated_at,
        resolved_at=incident.resolved_at,
        closed_at=incident.closed_at,
        allowed_actions=INCIDENT_WORKFLOW.allowed_actions(viewer, incident),
    )


def _fresh(request: ApiRequest, key: str) -> IncidentOut:
    return incident_out(request.auth, selectors.incident_get_for(request.auth, key))


@router.get(
    "",
    response={200: list[IncidentRowOut], **ERRORS},
    summary="List incidents",
    openapi_extra=CSV_OPENAPI,
)
def list_incidents(
    request: ApiRequest, query: Query[IncidentQuery]
) -> list[IncidentRowOut] | HttpResponseBase:
    """At most 200, newest first; ``format=csv`` gives every matching incident."""
    service = service_by_slug(query.service) if query.service else None
    if query.format == "csv":
        rows = selectors.incident_csv_rows_for(
            request.auth, state=query.state, service=service, severity=query.severity
        )
        return csv_response("incidents", selectors.CSV_HEADER, rows)
    incidents = selectors.incident_list_for(
        request.auth, state=query.state, service=service, severity=query.severity
    )
    return [IncidentRowOut.of(i) for i in incidents]


@router.post(
    "",
    response={201: IncidentOut, **WRITE_ERRORS},
    summary="Declare an incident from a case or alert group",
)
def declare(request: ApiRequest, body: DeclareIn) -> Status[IncidentOut]:
    data = services.Declaration(
        title=body.title,
        severity=body.severity,
        lead=user_by_username(body.lead, field="lead"),
        owner=user_by_username(body.owner, field="owner") if body.owner else None,
        case=case_get_for(request.auth, body.case) if body.case else None,
        group=alert_group_get_for(request.auth, body.alert_group) if body.alert_group else None,
        summary=body.summary,
    )
    incident = services.incident_declare(actor=request.auth, data=data)
    return Status(201, _fresh(request, incident.key))


@router.get("/{key}", response={200: IncidentOut, **ERRORS}, summary="One incident")
def get_incident(request: ApiRequest, key: str) -> IncidentOut:
    return _fresh(request, key)


@router.post(
    "/{key}/transition",
    response={200: IncidentOut, **WRITE_ERRORS},
    summary="Apply a workflow action (mitigate, resolve, reopen, start_review, close, ...)",
)
def transition(request: ApiRequest, key: str, body: IncidentTransitionIn) -> IncidentOut:
    incident = selectors.incident_get_for(request.auth, key)
    services.incident_transition(
        actor=request.auth, incident=incident, action=body.action, data=body.data
    )
    return _fresh(request, key)


ROLE_ACTIONS = {
    "lead": "assign_lead",
    "owner": "assign_owner",
    "scribe": "assign_scribe",
    "comms": "assign_comms",
}


@router.post(
    "/{key}/roles",
    response={200: IncidentOut, **WRITE_ERRORS},
    summary="Set a role: lead, owner, scribe, comms, or add/remove a participant",
)
def set_role(request: ApiRequest, key: str, body: RoleIn) -> IncidentOut:
    incident = selectors.incident_get_for(request.auth, key)
    if body.role == "participant":
        action = "remove_participant" if body.remove else "add_participant"
        data: dict[str, object] = {"participant": body.user, "guide": body.guide}
    elif body.remove:
        raise ValidationFailed(
            "Only participants are removed", fields={"remove": "Use it for participants."}
        )
    else:
        action, data = ROLE_ACTIONS[body.role], {body.role: body.user}
    services.incident_transition(actor=request.auth, incident=incident, action=action, data=data)
    return _fresh(request, key)


@router.get(
    "/{key}/timeline",
    response={200: list[EntryOut], **ERRORS},
    summary="The timeline; ?after=<id> for the entries after that one",
)
def timeline(
    request: ApiRequest, key: str, after: Annotated[int, Field(ge=0, le=MAX_ID)] = 0
) -> list[EntryOut]:
    incident = selectors.incident_get_for(request.auth, key)
    return [EntryOut.of(e) for e in selectors.timeline_of(incident, after=after)]


@router.post("/{key}/notes", response={201: EntryOut, **WRITE_ERRORS}, summary="Add a note")
def add_note(request: ApiRequest, key: str, body: NoteIn) -> Status[EntryOut]:
    incident = selectors.incident_get_for(request.auth, key)
    entry = services.incident_note_add(actor=request.auth, incident=incident, body=body.body)
    return Status(201, EntryOut.of(entry))


def _review(incident: Incident) -> ReviewOut:
    review = selectors.review_of(incident)
    if review is None:
        raise NotFound(f"{incident.key} has no review yet: start it once the incident is resolved")
    return ReviewOut.of(review, selectors.action_items_of(incident))


@router.get(
    "/{key}/review", response={200: ReviewOut, **ERRORS}, summary="The post-incident review"
)
def get_review(request: ApiRequest, key: str) -> ReviewOut:
    return _review(selectors.incident_get_for(request.auth, key))


@router.put("/{key}/review", response={200: ReviewOut, **WRITE_ERRORS}, summary="Write the review")
def put_review(request: ApiRequest, key: str, body: ReviewIn) -> ReviewOut:
    incident = selectors.incident_get_for(request.auth, key)
    services.review_update(
        actor=request.auth, incident=incident, changes=body.dict(exclude_unset=True)
    )
    return _review(incident)


@router.post(
    "/{key}/action-items",
    response={201: ActionItemOut, **WRITE_ERRORS},
    summary="Add an action item; with an owner it becomes a work item",
)
def add_action_item(request: ApiRequest, key: str, body: ActionItemIn) -> Status[ActionItemOut]:
    incident = selectors.incident_get_for(request.auth, key)
    item = services.action_item_add(
        actor=request.auth,
        incident=incident,
        title=body.title,
        kind=body.kind,
        description=body.description,
        owner=user_by_username(body.owner, field="owner") if body.owner else None,
    )
    return Status(201, ActionItemOut.of(item))


@router.post(
    "/{key}/action-items/{item_id}/assign",
    response={200: ActionItemOut, **WRITE_ERRORS},
    summary="Give an action item its owner (files its work item)",
)
def assign_action_item(request: ApiRequest, key: str, item_id: Id, body: OwnerIn) -> ActionItemOut:
    incident = selectors.incident_get_for(request.auth, key)
    item = selectors.action_item_get(incident, item_id)
    owner = user_by_username(body.owner, field="owner")
    return ActionItemOut.of(services.action_item_assign(actor=request.auth, item=item, owner=owner))
