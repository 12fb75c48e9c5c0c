"""Work items deleted in Azure DevOps: a visible sync conflict on the Casebridge item, never a
silent unlink and never a forced re-creation.

A deletion is noticed three ways: the ``workitem.deleted`` service hook; the reconcile job (a
linked item changed since the watermark that a batched read no longer returns, or a linked item
listed in the project's recycle bin, one request per pass); and a push answered 404. Each records
one open ``SyncConflict`` of kind ``deleted`` holding ``DELETED``: nothing is pushed to the item
(fields, case links) while it is open. Its reasons say whether the item is in the recycle bin
(restorable) or gone for good (destroyed, or the token can no longer see it).

The RTE resolves it:

* ``ours``: Casebridge's item stands: the Azure DevOps item is restored from the recycle bin and
  brought back to Casebridge's values; when it is gone for good, a new Azure DevOps item is
  created for it (the old id is kept in the audit trail);
* ``retry``: read the item again (someone restored it in Azure DevOps): back, it is applied and
  the conflict is over; still deleted, a new open conflict says so.
"""

from __future__ import annotations

import structlog
from django.db import transaction

from casebridge.audit.actions import AuditAction
from casebridge.audit.services import audit_record
from casebridge.core import clock
from casebridge.core.errors import Reason
from casebridge.integrations.azure_devops import inbound
from casebridge.integrations.azure_devops.client import AzureDevOpsClient
from casebridge.integrations.azure_devops.errors import NotFound
from casebridge.integrations.azure_devops.models import ConflictKind, LinkState, WorkItemLink
from casebridge.integrations.azure_devops.wire import Identity
from casebridge.integrations.azure_devops.wire import WorkItem as Remote

log = structlog.get_logger("casebridge.azure_devops.deletions")

#: The key an open deletion conflict holds (no Azure DevOps field has a leading underscore).
DELETED = "_deleted"


def is_held(held: set[str]) -> bool:
    return DELETED in held


def deleted_there(
    link: WorkItemLink, *, in_bin: bool, by: Identity | None = None, how: str = ""
) -> bool:
    """Record that the linked Azure DevOps item is deleted (once: a repeated hook or pass finds
    the open conflict); returns whether a new conflict was recorded."""
    if link.conflicts.filter(resolved_at__isnull=True, kind=ConflictKind.DELETED).exists():
        return False
    who = f" by {by.display_name}" if by is not None and by.display_name else ""
    where = f"Azure DevOps #{link.ado_id}"
    if in_bin:
        summary = f"Deleted in Azure DevOps{who}: {where} is in its recycle bin"
        reason = Reason(
            "deleted",
            f"{where} was deleted{who}{f' ({how})' if how else ''} and is in the recycle bin. "
            "Choose 'ours' to restore it with Casebridge's values, or restore it in Azure DevOps "
            "(Boards > Work items > Recycle bin) and choose 'retry'.",
        )
    else:
        summary = f"{where} is gone from Azure DevOps{who}"
        reason = Reason(
            "destroyed",
            f"{where} is neither readable nor in the recycle bin{f' ({how})' if how else ''}: "
            "destroyed, or the token can no longer see it. Choose 'ours' to create a new Azure "
            "DevOps item for this work item, or fix the token's access and choose 'retry'.",
        )
    placeholder = Remote(id=int(link.ado_id or 0), rev=link.rev, fields={})
    inbound.record_conflict(
        link, placeholder, ConflictKind.DELETED, summary, [reason], {DELETED: True}
    )
    log.info("azure_devops_deleted", ado=link.ado_id, in_bin=in_bin, how=how)
    return True


def gone(link: WorkItemLink, client: AzureDevOpsClient, *, how: str) -> bool:
    """The item did not answer (404, or missing from a batched read): is it in the bin?"""
    assert link.ado_id is not None
    return deleted_there(link, in_bin=client.in_recycle_bin(link.ado_id), how=how)


def settle(link: WorkItemLink, resolution: str = "restored") -> None:
    """The item is readable again: its open deletion conflict is over."""
    with transaction.atomic():
        open_ = link.conflicts.select_for_update().filter(
            resolved_at__isnull=True, kind=ConflictKind.DELETED
        )
        if open_.update(resolved_at=clock.now(), resolution=resolution):
            still = link.conflicts.filter(resolved_at__isnull=True).exists()
            WorkItemLink.objects.filter(pk=link.pk).update(
                state=LinkState.CONFLICT if still else LinkState.SYNCED
            )


def restore_or_recreate(link: WorkItemLink, client: AzureDevOpsClient) -> str:
    """The RTE chose Casebridge's item: restore it from the recycle bin, else start a new Azure
    DevOps item (the next push creates it). Returns ``restored`` or ``recreated``."""
    assert link.ado_id is not None
    try:
        client.restore(link.ado_id)
    except NotFound:
        old = link.ado_id
        with transaction.atomic():
            WorkItemLink.objects.filter(pk=link.pk).update(
                ado_id=None, rev=0, url="", synced={}, own_revs=[], state=LinkState.PENDING
            )
            audit_record(
                actor=None,
                subject=link.work_item,
                action=AuditAction.SYNC_CONFLICT_RESOLVED,
                data={"azure_devops": old, "recreated": True},
                reason=f"Azure DevOps #{old} is gone for good: a new item is created",
            )
        return "recreated"
    return "restored"
