"""Every write of delivery sources: create one (its secret is shown this once), rotate its secret.

``actor=None`` is the operator at the server's shell (the CLI); anyone else must be an
administrator. A source of kind ``azure-devops`` belongs to an Azure DevOps connection and is made
with it (``source_open``), not on its own.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import transaction
from django.utils.text import slugify

from casebridge.accounts.models import Role
from casebridge.audit.actions import AuditAction
from casebridge.audit.services import audit_record
from casebridge.core import clock
from casebridge.core.actors import Actor
from casebridge.core.errors import PermissionDenied, ValidationFailed
from casebridge.core.secrets import Sealed, hint
from casebridge.integrations.delivery.models import DeliverySource, SourceKind

SECRET_PREFIX = "cbd_"  # noqa: S105 - a public marker, not a secret
STANDALONE_KINDS = tuple(k for k in SourceKind.values if k != SourceKind.AZURE_DEVOPS)


def require_admin(actor: Actor | None, what: str) -> None:
    if actor is not None and not actor.has_role(Role.ADMIN):
        raise PermissionDenied(f"Only an administrator manages {what}")


def new_secret() -> str:
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def _errors(
    *,
    kind: str,
    name: str,
    slug: str,
    max_body_bytes: int,
    rate_limit_per_minute: int,
    tolerance_seconds: int,
) -> dict[str, str]:
    errors: dict[str, str] = {}
    if kind not in SourceKind.values:
        errors["kind"] = f"Use one of {', '.join(SourceKind.values)}."
    if not name.strip() or len(name) > 120:
        errors["name"] = "Name the source (at most 120 characters)."
    if not slug or len(slug) > 64 or slug != slugify(slug):
        errors["slug"] = "Use 1-64 lowercase letters, digits and hyphens."
    elif DeliverySource.objects.filter(kind=kind, slug=slug).exists():
        errors["slug"] = f"There is already a {kind} source '{slug}'."
    if not 1024 <= max_body_bytes <= settings.INTAKE_MAX_BYTES:
        errors["max_body_bytes"] = f"Use 1024 to {settings.INTAKE_MAX_BYTES} bytes."
    if not 1 <= rate_limit_per_minute <= 100_000:
        errors["rate_limit_per_minute"] = "Use 1 to 100,000 deliveries a minute."
    if not 30 <= tolerance_seconds <= 3600:
        errors["tolerance_seconds"] = "Use 30 to 3,600 seconds."
    return errors


def source_open(
    *,
    actor: Actor | None,
    kind: str,
    name: str,
    slug: str,
    max_body_bytes: int = 1024 * 1024,
    rate_limit_per_minute: int = 600,
    tolerance_seconds: int = 300,
) -> tuple[DeliverySource, str]:
    """Create a source with a fresh secret, inside the caller's transaction; no permission check
    (the caller made it)."""
    errors = _errors(
        kind=kind,
        name=name,
        slug=slug,
        max_body_bytes=max_body_bytes,
        rate_limit_per_minute=rate_limit_per_minute,
        tolerance_seconds=tolerance_seconds,
    )
    if errors:
        raise ValidationFailed("The delivery source could not be created", fields=errors)
    secret = new_secret()
    source = DeliverySource.objects.create(
        kind=kind,
        slug=slug,
        name=name.strip(),
        secret=Sealed(secret),
        secret_hint=hint(secret),
        max_body_bytes=max_body_bytes,
        rate_limit_per_minute=rate_limit_per_minute,
        tolerance_seconds=tolerance_seconds,
        created_at=clock.now(),
    )
    audit_record(
        actor=actor,
        subject=source,
        action=AuditAction.CREATED,
        data={"kind": kind, "max_body_bytes": max_body_bytes, "rate": rate_limit_per_minute},
    )
    return source, secret


@transaction.atomic
def delivery_source_create(
    *,
    actor: Actor | None,
    kind: str,
    name: str,
    slug: str = "",
    max_body_bytes: int = 1024 * 1024,
    rate_limit_per_minute: int = 600,
    tolerance_seconds: int = 300,
) -> tuple[DeliverySource, str]:
    """A pipeline, pull request or deployment door; returns it with its secret, shown once."""
    require_admin(actor, "delivery sources")
    if kind == SourceKind.AZURE_DEVOPS:
        raise ValidationFailed(
            "Work item service hooks come with an Azure DevOps connection",
            fields={
                "kind": "Create an Azure DevOps connection instead (casebridge azure-devops "
                "connect); its hook secret comes with it."
            },
        )
    return source_open(
        actor=actor,
        kind=kind,
        name=name,
        slug=slug or slugify(name),
        max_body_bytes=max_body_bytes,
        rate_limit_per_minute=rate_limit_per_minute,
        tolerance_seconds=tolerance_seconds,
    )


@transaction.atomic
def delivery_source_rotate(*, actor: Actor | None, source: DeliverySource) -> str:
    """A new secret for ``source`` (the old one stops working now); returns it, shown once."""
    require_admin(actor, "delivery sources")
    source = DeliverySource.objects.select_for_update().get(pk=source.pk)
    secret = new_secret()
    old_hint, source.secret = source.secret_hint, Sealed(secret)
    source.secret_hint = hint(secret)
    source.save(update_fields=["secret", "secret_hint"])
    audit_record(
        actor=actor,
        subject=source,
        action=AuditAction.SECRET_ROTATED,
        field="secret",
        old=old_hint,
        new=source.secret_hint,
    )
    return secret
