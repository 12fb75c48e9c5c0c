"""Every write to the knowledge base of known resolutions."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.db import transaction

from casebridge.accounts.models import Role, User
from casebridge.audit.actions import AuditAction
from casebridge.audit.services import audit_changes, audit_record, model_update
from casebridge.catalog.models import Service
from casebridge.core import clock, events, keys
from casebridge.core.errors import PermissionDenied, ValidationFailed
from casebridge.knowledge.events import KnownResolutionChanged
from casebridge.knowledge.models import FixKind, KnownResolution

EDITORS = (Role.L2_ENGINEER, Role.DEVELOPER, Role.DEVOPS, Role.ADMIN)


@dataclass(frozen=True)
class KnownResolutionInput:
    title: str
    symptoms: str
    steps: str
    fix_kind: str
    services: Sequence[Service] = ()
    #: Signature ids to carry (None keeps the current ones) and log lines to add as signatures.
    signatures: Sequence[str] | None = None
    log_lines: str = ""


def _validate(data: KnownResolutionInput) -> dict[str, str]:
    errors: dict[str, str] = {}
    if not 3 <= len(data.title.strip()) <= 200:
        errors["title"] = "Use 3 to 200 characters."
    if not data.symptoms.strip():
        errors["symptoms"] = "Describe the symptoms L2 will recognise."
    if not data.steps.strip():
        errors["steps"] = "Write the steps of the fix."
    if data.fix_kind not in FixKind.values:
        errors["fix_kind"] = f"Use one of {', '.join(FixKind.values)}."
    return errors


def _require_editor(actor: User) -> None:
    if actor.is_external or not actor.has_role(*EDITORS):
        raise PermissionDenied("Only L2, developers, DevOps and admins edit the knowledge base")


@transaction.atomic
def known_resolution_create(*, actor: User, data: KnownResolutionInput) -> KnownResolution:
    _require_editor(actor)
    errors = _validate(data)
    if errors:
        raise ValidationFailed("The known resolution could not be saved", fields=errors)
    key, number = keys.next_key("KR")
    now = clock.now()
    resolution = KnownResolution.objects.create(
        key=key,
        number=number,
        title=data.title.strip(),
        symptoms=data.symptoms.strip(),
        steps=data.steps.strip(),
        fix_kind=data.fix_kind,
        created_by=actor,
        created_at=now,
    )
    resolution.services.set(data.services)
    audit_record(actor=actor, subject=resolution, action=AuditAction.CREATED)
    _changed(
        actor,
        resolution=resolution,
        change="created",
        fields=[],
        data=data,
        signature_ids=list(data.signatures or ()),
    )
    return resolution


def _changed(
    actor: User,
    *,
    resolution: KnownResolution,
    change: str,
    fields: list[str],
    data: KnownResolutionInput,
    signature_ids: list[str] | None,
) -> None:
    """Tell the occurrences app (its signatures and its index) and whoever listens."""
    events.publish(
        KnownResolutionChanged(
            key=resolution.key,
            resolution_id=resolution.pk,
            change=change,
            fields=fields,
            signature_ids=signature_ids,
            log_lines=data.log_lines,
            actor_id=events.actor_id(actor),
        )
    )


@transaction.atomic
def known_resolution_update(
    *, actor: User, resolution: KnownResolution, data: KnownResolutionInput
) -> KnownResolution:
    _require_editor(actor)
    errors = _validate(data)
    if errors:
        raise ValidationFailed("The known resolution could not be saved", fields=errors)
    resolution = KnownResolution.objects.select_for_update().get(pk=resolution.pk)
    after = {
        "title": data.title.strip(),
        "symptoms": data.symptoms.strip(),
        "steps": data.steps.strip(),
        "fix_kind": data.fix_kind,
    }
    changes = model_update(resolution, after, actor=actor, action=AuditAction.UPDATED)
    old_services = sorted(resolution.services.values_list("slug", flat=True))
    new_services = sorted({s.slug for s in data.services})
    if old_services != new_services:
        services = (", ".join(old_services), ", ".join(new_services))
        resolution.services.set(data.services)
        if not changes:
            resolution.save(update_fields=["updated_at"])  # edited now, as its fields would be
        audit_changes(
            actor=actor,
            subject=resolution,
            action=AuditAction.UPDATED,
            changes={"services": services},
        )
        changes["services"] = services
    signature_ids = None if data.signatures is None else list(data.signatures)
    if not changes and signature_ids is None and not data.log_lines:
        return resolution  # a no-op change writes nothing
    _changed(
        actor,
        resolution=resolution,
        change="updated",
        fields=list(changes),
        data=data,
        signature_ids=signature_ids,
    )
    return resolution
