"""Every write to the service catalogue."""

from __future__ import annotations

from collections.abc import Sequence

from django.db import transaction
from django.utils.text import slugify

from casebridge.accounts.models import Role
from casebridge.catalog.models import Component, Service
from casebridge.core.actors import Actor
from casebridge.core.errors import PermissionDenied, ValidationFailed


@transaction.atomic
def service_create(
    *,
    actor: Actor | None,
    name: str,
    slug: str = "",
    description: str = "",
    components: Sequence[tuple[str, bool]] = (),
) -> Service:
    """A service with its components, each (name, critical). ``actor`` None is the operator."""
    if actor is not None and not actor.has_role(Role.ADMIN):
        raise PermissionDenied("Only an administrator manages the service catalogue")
    slug = slug or slugify(name)
    errors: dict[str, str] = {}
    if not name.strip() or len(name) > 120:
        errors["name"] = "Name the service (at most 120 characters)."
    elif Service.objects.filter(name__iexact=name.strip()).exists():
        errors["name"] = f"A service named '{name}' exists."
    if not slug or Service.objects.filter(slug=slug).exists():
        errors["slug"] = f"The slug '{slug}' is taken or empty."
    if errors:
        raise ValidationFailed("The service could not be created", fields=errors)
    service = Service.objects.create(name=name.strip(), slug=slug, description=description)
    Component.objects.bulk_create(
        Component(service=service, name=c, slug=slugify(c), critical=critical)
        for c, critical in components
    )
    return service
