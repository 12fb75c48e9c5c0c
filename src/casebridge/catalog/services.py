"""Every write to the service catalogue: services, their owner team and their components."""

from __future__ import annotations

from collections.abc import Sequence

from django.db import transaction
from django.utils.text import slugify

from casebridge.accounts.models import Role, Team
from casebridge.audit.services import audit_changes, audit_record
from casebridge.catalog.models import Component, Service
from casebridge.core.actors import Actor
from casebridge.core.errors import PermissionDenied, ValidationFailed


def _require_admin(actor: Actor | None) -> None:
    """``None`` is the operator at the server's shell (CLI, demo loader)."""
    if actor is not None and not actor.has_role(Role.ADMIN):
        raise PermissionDenied("Only an administrator manages the service catalogue")


def _name_errors(name: str, errors: dict[str, str], what: str) -> None:
    if not name or len(name) > 120:
        errors["name"] = f"Name the {what} (at most 120 characters)."


@transaction.atomic
def service_create(
    *,
    actor: Actor | None,
    name: str,
    slug: str = "",
    description: str = "",
    components: Sequence[tuple[str, bool]] = (),
    owner_team: Team | None = None,
) -> Service:
    """A service with its components, each (name, critical). ``actor`` None is the operator."""
    _require_admin(actor)
    name = name.strip()
    slug = slug.strip() or slugify(name)
    errors: dict[str, str] = {}
    _name_errors(name, errors, "service")
    if "name" not in errors and Service.objects.filter(name__iexact=name).exists():
        errors["name"] = f"A service named '{name}' exists."
    if not slug or slug != slugify(slug) or len(slug) > 80:
        errors["slug"] = "Use 1-80 lowercase letters, digits and hyphens."
    elif Service.objects.filter(slug=slug).exists():
        errors["slug"] = f"The slug '{slug}' is taken."
    if len(description) > 10_000:
        errors["description"] = "At most 10,000 characters."
    if errors:
        raise ValidationFailed("The service could not be created", fields=errors)
    service = Service.objects.create(
        name=name, slug=slug, description=description, owner_team=owner_team
    )
    audit_record(
        actor=actor,
        subject=service,
        action="created",
        data={"name": name, "owner_team": getattr(owner_team, "slug", None)},
    )
    for component_name, critical in components:
        component_create(actor=actor, service=service, name=component_name, critical=critical)
    return service


#: ``service_update``'s marker for "leave the owner team as it is" (``None`` removes it).
KEEP = object()


@transaction.atomic
def service_update(
    *,
    actor: Actor | None,
    service: Service,
    name: str | None = None,
    description: str | None = None,
    owner_team: Team | object | None = KEEP,
) -> Service:
    _require_admin(actor)
    errors: dict[str, str] = {}
    new_name = service.name if name is None else name.strip()
    _name_errors(new_name, errors, "service")
    if (
        "name" not in errors
        and Service.objects.filter(name__iexact=new_name).exclude(pk=service.pk).exists()
    ):
        errors["name"] = f"A service named '{new_name}' exists."
    new_description = service.description if description is None else description
    if len(new_description) > 10_000:
        errors["description"] = "At most 10,000 characters."
    if errors:
        raise ValidationFailed("The service was not changed", fields=errors)
    team = service.owner_team if owner_team is KEEP else owner_team
    assert team is None or isinstance(team, Team)
    changes = {
        "name": (service.name, new_name),
        "description": (service.description, new_description),
        "owner_team": (getattr(service.owner_team, "slug", ""), getattr(team, "slug", "")),
    }
    service.name, service.description, service.owner_team = new_name, new_description, team
    if audit_changes(actor=actor, subject=service, action="updated", changes=changes):
        service.save(update_fields=["name", "description", "owner_team"])
    return service


@transaction.atomic
def component_create(
    *, actor: Actor | None, service: Service, name: str, slug: str = "", critical: bool = False
) -> Component:
    """A component of a service; a critical one needs an L3+ assignee (ladder policy 4)."""
    _require_admin(actor)
    name = name.strip()
    slug = slug.strip() or slugify(name)
    errors: dict[str, str] = {}
    _name_errors(name, errors, "component")
    if not slug or slug != slugify(slug) or len(slug) > 80:
        errors["slug"] = "Use 1-80 lowercase letters, digits and hyphens."
    elif Component.objects.filter(service=service, slug=slug).exists():
        errors["slug"] = f"{service.name} has a component '{slug}'."
    if errors:
        raise ValidationFailed("The component could not be created", fields=errors)
    component = Component.objects.create(service=service, name=name, slug=slug, critical=critical)
    audit_record(
        actor=actor,
        subject=component,
        action="created",
        data={"name": name, "critical": critical},
    )
    return component


@transaction.atomic
def component_update(
    *,
    actor: Actor | None,
    component: Component,
    name: str | None = None,
    critical: bool | None = None,
) -> Component:
    _require_admin(actor)
    errors: dict[str, str] = {}
    new_name = component.name if name is None else name.strip()
    _name_errors(new_name, errors, "component")
    if errors:
        raise ValidationFailed("The component was not changed", fields=errors)
    new_critical = component.critical if critical is None else critical
    changes = {"name": (component.name, new_name), "critical": (component.critical, new_critical)}
    component.name, component.critical = new_name, new_critical
    if audit_changes(actor=actor, subject=component, action="updated", changes=changes):
        component.save(update_fields=["name", "critical"])
    return component
