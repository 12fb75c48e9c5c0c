"""Services and their components: read by everyone signed in, written by administrators."""

from __future__ import annotations

from ninja import Router, Status

from casebridge.accounts.selectors import team_by_slug
from casebridge.catalog import selectors, services
from casebridge.catalog.schemas import (
    ComponentIn,
    ComponentOut,
    ComponentPatch,
    ServiceIn,
    ServiceOut,
    ServicePatch,
)
from casebridge.core.http import ApiRequest
from casebridge.core.schemas import ERRORS, WRITE_ERRORS

router = Router(tags=["services"])


def _component_out(component: object) -> ComponentOut:
    return ComponentOut.model_validate(component, from_attributes=True)


@router.get("", response={200: list[ServiceOut], **ERRORS}, summary="List services and components")
def list_services(request: ApiRequest) -> list[ServiceOut]:
    return [ServiceOut.of(s) for s in selectors.service_list()]


@router.post("", response={201: ServiceOut, **WRITE_ERRORS}, summary="Create a service (admin)")
def create_service(request: ApiRequest, body: ServiceIn) -> Status[ServiceOut]:
    team = team_by_slug(body.owner_team, field="owner_team") if body.owner_team else None
    service = services.service_create(
        actor=request.auth,
        name=body.name,
        slug=body.slug,
        description=body.description,
        owner_team=team,
        components=[(c.name, c.critical) for c in body.components],
    )
    return Status(201, ServiceOut.of(selectors.service_get_for(request.auth, service.slug)))


@router.get("/{slug}", response={200: ServiceOut, **ERRORS}, summary="One service")
def get_service(request: ApiRequest, slug: str) -> ServiceOut:
    return ServiceOut.of(selectors.service_get_for(request.auth, slug))


@router.patch("/{slug}", response={200: ServiceOut, **WRITE_ERRORS}, summary="Change (admin)")
def update_service(request: ApiRequest, slug: str, body: ServicePatch) -> ServiceOut:
    service = selectors.service_get_for(request.auth, slug)
    owner: object = services.KEEP
    if "owner_team" in body.model_fields_set:
        owner = team_by_slug(body.owner_team, field="owner_team") if body.owner_team else None
    services.service_update(
        actor=request.auth,
        service=service,
        name=body.name,
        description=body.description,
        owner_team=owner,
    )
    return ServiceOut.of(selectors.service_get_for(request.auth, slug))


@router.post(
    "/{slug}/components",
    response={201: ComponentOut, **WRITE_ERRORS},
    summary="Add a component (admin)",
)
def create_component(request: ApiRequest, slug: str, body: ComponentIn) -> Status[ComponentOut]:
    service = selectors.service_get_for(request.auth, slug)
    component = services.component_create(
        actor=request.auth, service=service, name=body.name, slug=body.slug, critical=body.critical
    )
    return Status(201, _component_out(component))


@router.patch(
    "/{slug}/components/{component}",
    response={200: ComponentOut, **WRITE_ERRORS},
    summary="Rename a component or mark it critical (admin)",
)
def update_component(
    request: ApiRequest, slug: str, component: str, body: ComponentPatch
) -> ComponentOut:
    service = selectors.service_get_for(request.auth, slug)
    found = selectors.component_get(service, component)
    return _component_out(
        services.component_update(
            actor=request.auth, component=found, name=body.name, critical=body.critical
        )
    )
