"""Sync conflicts: reading them (staff), and resolving them (the RTE or an administrator).

A conflict holds the fields it concerns: Casebridge does not push them while it is open. The RTE
resolves it one of two ways:

* ``ours``: Casebridge's value stands; the next push (through the outbox, after the commit) sets
  Azure DevOps back to it;
* ``retry``: apply Azure DevOps' value again, through the workflow engine, now (after fixing what
  refused it: assigning an L3+ developer, recording the evidence, ...). Refused again, it becomes a
  new open conflict with the new reasons.

A deletion (kind ``deleted``, see ``deletions``) resolves the same two ways: ``ours`` restores the
Azure DevOps item from its recycle bin (or creates a new one when it is gone for good), ``retry``
reads it again (restored there meanwhile, it is applied; still deleted, a new conflict).
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import QuerySet

from casebridge.accounts.models import Role, User
from casebridge.audit.actions import AuditAction
from casebridge.audit.services import audit_record
from casebridge.core import clock
from casebridge.core.actors import Actor
from casebridge.core.errors import NotFound, PermissionDenied, ValidationFailed
from casebridge.integrations.azure_devops import deletions
from casebridge.integrations.azure_devops.clients import client_for
from casebridge.integrations.azure_devops.errors import NotFound as Gone
from casebridge.integrations.azure_devops.inbound import apply_remote
from casebridge.integrations.azure_devops.models import (
    ConflictKind,
    LinkState,
    SyncConflict,
    WorkItemLink,
)
from casebridge.integrations.azure_devops.sync import PUSH_TOPIC, push_work_item
from casebridge.integrations.outbox import outbox_enqueue

RESOLUTIONS = ("ours", "retry")


def can_read(viewer: Actor | None) -> bool:
    return viewer is not None and not viewer.is_external


def can_resolve(viewer: Actor | None) -> bool:
    return viewer is None or viewer.has_role(Role.RTE, Role.ADMIN)


def conflict_list_for(viewer: Actor | None, *, state: str = "open") -> QuerySet[SyncConflict]:
    if not can_read(viewer):
        raise PermissionDenied("Only staff see the Azure DevOps sync conflicts")
    found = SyncConflict.objects.select_related(
        "link__work_item", "link__connection", "resolved_by"
    )
    if state == "open":
        found = found.filter(resolved_at__isnull=True)
    elif state == "resolved":
        found = found.filter(resolved_at__isnull=False)
    return found.order_by("-created_at", "-id")


def conflict_get_for(viewer: Actor | None, conflict_id: int) -> SyncConflict:
    found = (
        conflict_list_for(viewer, state="all").filter(pk=conflict_id).first()
        if can_read(viewer)
        else None
    )
    if found is None:
        raise NotFound(f"No sync conflict {conflict_id}", fields={"id": "No such conflict."})
    return found


def conflict_resolve(
    *, actor: Actor | None, conflict: SyncConflict, resolution: str, note: str = ""
) -> SyncConflict:
    if not can_resolve(actor):
        raise PermissionDenied("Only the RTE or an administrator resolves sync conflicts")
    if resolution not in RESOLUTIONS:
        raise ValidationFailed(
            "Unknown resolution",
            fields={"resolution": "Use 'ours' (Casebridge's value stands) or 'retry'."},
        )
    if len(note) > 2000:
        raise ValidationFailed("The note is too long", fields={"note": "At most 2,000 characters."})
    with transaction.atomic():
        locked = SyncConflict.objects.select_for_update().get(pk=conflict.pk)
        if locked.resolved_at is not None:
            raise ValidationFailed(
                "This conflict is already resolved",
                fields={"resolution": f"Resolved already ({locked.resolution})."},
            )
        locked.resolved_at = clock.now()
        locked.resolved_by = actor if isinstance(actor, User) else None
        locked.resolution = resolution
        locked.save(update_fields=["resolved_at", "resolved_by", "resolution"])
        link = WorkItemLink.objects.select_for_update().get(pk=locked.link_id)
        if resolution == "retry":  # their value counts as a change again
            link.synced = {k: v for k, v in link.synced.items() if k not in locked.theirs}
            link.rev = max(0, locked.ado_rev - 1)
        still_open = link.conflicts.filter(resolved_at__isnull=True).exists()
        link.state = LinkState.CONFLICT if still_open else LinkState.SYNCED
        link.save(update_fields=["synced", "rev", "state"])
        audit_record(
            actor=actor,
            subject=link.work_item,
            action=AuditAction.SYNC_CONFLICT_RESOLVED,
            reason=note,
            data={"conflict": locked.pk, "resolution": resolution, "summary": locked.summary},
        )
        deleted = locked.kind == ConflictKind.DELETED
        if resolution == "ours" and not deleted:
            key = link.work_item.key
            outbox_enqueue(topic=PUSH_TOPIC, key=key, payload={"key": key})
    if resolution == "retry" or deleted:
        _again(link, restore=deleted and resolution == "ours")
    return SyncConflict.objects.get(pk=locked.pk)


def _again(link: WorkItemLink, *, restore: bool) -> None:
    """Read the item again and apply it (``retry``); a deleted one is restored or created anew
    first (``ours``). Deleted still, it is a new open conflict."""
    assert link.ado_id is not None
    with client_for(link.connection) as client:
        if restore and deletions.restore_or_recreate(link, client) == "recreated":
            push_work_item(link.work_item, client=client)
            return
        try:
            remote = client.get(link.ado_id)
        except Gone:
            deletions.gone(link, client, how="read again when the RTE retried")
            return
        apply_remote(link, remote, client=client)
        push_work_item(link.work_item, client=client)
