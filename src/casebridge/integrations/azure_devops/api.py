"""/api/v1/azure-devops/connections: connect a team or category to an Azure DevOps project, read
the connections, edit a category's mapping. Administrators only."""

from __future__ import annotations

from typing import Literal

from ninja import Router, Status

from casebridge.core.errors import NotFound
from casebridge.core.http import ApiRequest
from casebridge.core.schemas import ERRORS, WRITE_ERRORS, Id
from casebridge.integrations.azure_devops import conflicts, existing, selectors, services, sync
from casebridge.integrations.azure_devops.models import Connection, WorkItemLink
from casebridge.integrations.azure_devops.schemas import (
    ConflictOut,
    ConflictResolveIn,
    ConnectionCreatedOut,
    ConnectionIn,
    ConnectionOut,
    ImportIn,
    LinkIn,
    MappingIn,
    SyncLinkOut,
    link_out,
)
from casebridge.workitems.models import WorkItem

router = Router(tags=["azure-devops"])


@router.get(
    "/connections",
    response={200: list[ConnectionOut], **ERRORS},
    summary="List the Azure DevOps connections (admin)",
)
def list_connections(request: ApiRequest) -> list[ConnectionOut]:
    return [ConnectionOut.of(c) for c in selectors.connection_list_for(request.auth)]


@router.post(
    "/connections",
    response={201: ConnectionCreatedOut, **WRITE_ERRORS},
    summary="Connect to an Azure DevOps project, checked against the server first (admin)",
    description="Reads the project and who the token is before saving anything: a wrong token, "
    "an unknown project or an unreachable server is a 422 naming the field. The answer carries "
    "the service hooks' secret this once.",
)
def connect(request: ApiRequest, body: ConnectionIn) -> Status[ConnectionCreatedOut]:
    data = body.dict()
    data["team"] = selectors.team_by_slug(body.team)
    connection, secret = services.connection_connect(actor=request.auth, **data)
    out = ConnectionOut.of(selectors.connection_get_for(request.auth, connection.slug))
    return Status(201, ConnectionCreatedOut(**out.dict(), hook_secret=secret))


@router.get(
    "/connections/{slug}",
    response={200: ConnectionOut, **ERRORS},
    summary="One connection with its service hook door's state (admin)",
)
def get_connection(request: ApiRequest, slug: str) -> ConnectionOut:
    status = selectors.connection_status_for(request.auth, slug)
    return ConnectionOut.of(status.connection, status)


@router.patch(
    "/connections/{slug}/mapping/{category}",
    response={200: ConnectionOut, **WRITE_ERRORS},
    summary="Change a category's mapping: type, states both ways, fields (admin)",
    description="Entries given replace those entries; a new `type` or `reset` starts from the "
    "process's defaults. Refused whole with every wrong field named "
    "(`mapping.bug.from_ado.Doing`).",
)
def map_category(request: ApiRequest, slug: str, category: str, body: MappingIn) -> ConnectionOut:
    connection = selectors.connection_get_for(request.auth, slug)
    connection = services.connection_map(
        actor=request.auth,
        connection=connection,
        category=category,
        type_name=body.type,
        to_ado=body.to_ado,
        from_ado=body.from_ado,
        fields=body.fields,
        iterations=body.iterations,
        reset=body.reset,
    )
    return ConnectionOut.of(selectors.connection_get_for(request.auth, connection.slug))


@router.get(
    "/conflicts",
    response={200: list[ConflictOut], **ERRORS},
    summary="Sync conflicts: changes from Azure DevOps that Casebridge did not apply (staff)",
    description="Open ones by default (`state=resolved` or `all` for the others), newest first, "
    "each with the reasons, their value and ours.",
)
def list_conflicts(
    request: ApiRequest, state: Literal["open", "resolved", "all"] = "open"
) -> list[ConflictOut]:
    return [ConflictOut.of(c) for c in conflicts.conflict_list_for(request.auth, state=state)[:500]]


@router.get("/conflicts/{conflict_id}", response={200: ConflictOut, **ERRORS}, summary="A conflict")
def get_conflict(request: ApiRequest, conflict_id: Id) -> ConflictOut:
    return ConflictOut.of(conflicts.conflict_get_for(request.auth, conflict_id))


@router.post(
    "/conflicts/{conflict_id}/resolve",
    response={200: ConflictOut, **WRITE_ERRORS},
    summary="Resolve a sync conflict (RTE, admin)",
    description="`ours`: Casebridge's value stands and is pushed to Azure DevOps. `retry`: apply "
    "Azure DevOps' value again through the workflow engine (after fixing what refused it); "
    "refused again, it is a new open conflict.",
)
def resolve_conflict(request: ApiRequest, conflict_id: Id, body: ConflictResolveIn) -> ConflictOut:
    conflict = conflicts.conflict_get_for(request.auth, conflict_id)
    done = conflicts.conflict_resolve(
        actor=request.auth, conflict=conflict, resolution=body.resolution, note=body.note
    )
    return ConflictOut.of(done)


def _connection(slug: str) -> Connection:

    found = Connection.objects.filter(slug=slug, enabled=True).first()
    if found is None:
        raise NotFound(f"No Azure DevOps connection '{slug}'", fields={"connection": "No such."})
    return found


@router.post(
    "/import",
    response={201: SyncLinkOut, **WRITE_ERRORS},
    summary="Import an existing Azure DevOps work item, linked, with its history (L2, RTE)",
    description="Then escalate a case to it with `work_item` = its key or `AB#<id>`.",
)
def import_item(request: ApiRequest, body: ImportIn) -> Status[SyncLinkOut]:
    item = existing.work_item_import(
        actor=request.auth,
        ref=body.azure_devops,
        connection=_connection(body.connection),
        category=body.category,
    )
    return Status(201, link_out(WorkItemLink.objects.get(work_item=item)))


@router.post(
    "/links",
    response={201: SyncLinkOut, **WRITE_ERRORS},
    summary="Link a work item to an existing Azure DevOps work item (L2, RTE)",
)
def link_item(request: ApiRequest, body: LinkIn) -> Status[SyncLinkOut]:
    item = _work_item(request, body.work_item)
    link = existing.work_item_link_existing(actor=request.auth, item=item, ref=body.azure_devops)
    return Status(201, link_out(link))


@router.get(
    "/links/{key}",
    response={200: SyncLinkOut, **ERRORS},
    summary="How a work item stands with Azure DevOps (staff)",
)
def get_link(request: ApiRequest, key: str) -> SyncLinkOut:
    item = _work_item(request, key)
    link = sync.link_for(item, create=False)
    if link is None:
        raise NotFound(f"{item.key} is not linked to Azure DevOps", fields={"key": "Not linked."})
    return link_out(link)


def _work_item(request: ApiRequest, key: str) -> WorkItem:

    viewer = request.auth
    item = WorkItem.objects.filter(key=key.strip().upper()[:20]).first()
    if item is None or viewer is None or viewer.is_external:
        raise NotFound(f"No work item {key[:20]}", fields={"work_item": "No such work item."})
    return item
