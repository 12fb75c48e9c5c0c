from __future__ import annotations

from typing import Annotated

from django.http import HttpResponseBase
from ninja import Router, Status
from pydantic import Field

from casebridge.catalog.selectors import service_by_slug
from casebridge.core.csvexport import CSV_OPENAPI, ExportFormat, csv_response
from casebridge.core.http import ApiRequest
from casebridge.core.schemas import ERRORS, WRITE_ERRORS
from casebridge.knowledge import selectors, services
from casebridge.knowledge.schemas import KnownResolutionIn, KnownResolutionOut, KnownResolutionPatch

router = Router(tags=["known-resolutions"])


@router.get(
    "",
    response={200: list[KnownResolutionOut], **ERRORS},
    summary="Search known resolutions",
    openapi_extra=CSV_OPENAPI,
)
def list_known(
    request: ApiRequest,
    q: str = "",
    service: str = "",
    limit: Annotated[int, Field(ge=1, le=200)] = 50,
    format: Annotated[
        ExportFormat, Field(description="csv: every match (no limit), streamed")
    ] = "json",
) -> list[KnownResolutionOut] | HttpResponseBase:
    if format == "csv":
        rows = selectors.known_resolution_csv_rows_for(request.auth, query=q, service=service)
        return csv_response("known-resolutions", selectors.CSV_HEADER, rows)
    items = selectors.known_resolution_list_for(request.auth, query=q, service=service)
    return [KnownResolutionOut.of(i) for i in items[:limit]]


@router.post(
    "", response={201: KnownResolutionOut, **WRITE_ERRORS}, summary="Record a known resolution"
)
def create_known(request: ApiRequest, body: KnownResolutionIn) -> Status[KnownResolutionOut]:
    data = services.KnownResolutionInput(
        title=body.title,
        symptoms=body.symptoms,
        steps=body.steps,
        fix_kind=body.fix_kind,
        services=[service_by_slug(s, field="services") for s in body.services],
    )
    item = services.known_resolution_create(actor=request.auth, data=data)
    return Status(
        201, KnownResolutionOut.of(selectors.known_resolution_get_for(request.auth, item.key))
    )


@router.get("/{key}", response={200: KnownResolutionOut, **ERRORS}, summary="One known resolution")
def get_known(request: ApiRequest, key: str) -> KnownResolutionOut:
    return KnownResolutionOut.of(selectors.known_resolution_get_for(request.auth, key))


@router.patch(
    "/{key}", response={200: KnownResolutionOut, **WRITE_ERRORS}, summary="Edit a known resolution"
)
def patch_known(request: ApiRequest, key: str, body: KnownResolutionPatch) -> KnownResolutionOut:
    item = selectors.known_resolution_get_for(request.auth, key)
    slugs = body.services if body.services is not None else [s.slug for s in item.services.all()]
    data = services.KnownResolutionInput(
        title=body.title if body.title is not None else item.title,
        symptoms=body.symptoms if body.symptoms is not None else item.symptoms,
        steps=body.steps if body.steps is not None else item.steps,
        fix_kind=body.fix_kind or item.fix_kind,
        services=[service_by_slug(s, field="services") for s in slugs],
    )
    services.known_resolution_update(actor=request.auth, resolution=item, data=data)
    return KnownResolutionOut.of(selectors.known_resolution_get_for(request.auth, key))
