from __future__ import annotations

from django.db.models import QuerySet

from casebridge.catalog.models import Component, Service
from casebridge.core.errors import NotFound, ValidationFailed
from casebridge.core.prepared import row_by


def service_list() -> QuerySet[Service]:
    return (
        Service.objects.select_related("owner_team").prefetch_related("components").order_by("name")
    )


def service_by_slug(slug: str, *, field: str = "service") -> Service:
    service = row_by(Service, slug=slug)
    if service is None:
        raise ValidationFailed(
            f"Unknown service '{slug}'", fields={field: f"No service with the slug '{slug}'."}
        )
    return service


def service_get(slug: str) -> Service:
    try:
        return Service.objects.get(slug=slug)
    except Service.DoesNotExist:
        raise NotFound(f"No service '{slug}'") from None


def component_by_slug(service: Service, slug: str, *, field: str = "component") -> Component:
    component = row_by(Component, service_id=service.pk, slug=slug)
    if component is None:
        raise ValidationFailed(
            f"Unknown component '{slug}' for {service.name}",
            fields={field: f"{service.name} has no component '{slug}'."},
        )
    component.service = service
    return component


def component_list(service: Service | None = None) -> QuerySet[Component]:
    """Components of one service, or of all services, by service then name."""
    components = Component.objects.select_related("service").order_by("service__name", "name")
    return components.filter(service=service) if service is not None else components


def service_get_for(viewer: object, slug: str) -> Service:
    """One service with its components and owner team (the catalogue is readable by everyone
    signed in: customers pick a service when they report)."""
    service = (
        Service.objects.select_related("owner_team")
        .prefetch_related("components")
        .filter(slug=slug)
        .first()
    )
    if service is None:
        raise NotFound(f"No service '{slug}'")
    return service


def component_get(service: Service, slug: str) -> Component:
    component = Component.objects.filter(service=service, slug=slug).first()
    if component is None:
        raise NotFound(f"{service.name} has no component '{slug}'")
    component.service = service
    return component
