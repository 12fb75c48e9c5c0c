from __future__ import annotations

from ninja import Router

from casebridge.catalog.schemas import ComponentOut, ServiceOut
from casebridge.catalog.selectors import service_list
from casebridge.core.http import ApiRequest
from casebridge.core.schemas import ERRORS

router = Router(tags=["services"])


@router.get("", response={200: list[ServiceOut], **ERRORS}, summary="List services and components")
def list_services(request: ApiRequest) -> list[ServiceOut]:
    return [
        ServiceOut(
            slug=s.slug,
            name=s.name,
            description=s.description,
            components=[
                ComponentOut(slug=c.slug, name=c.name, critical=c.critical)
                for c in s.components.all()
            ],
        )
        for s in service_list()
    ]
