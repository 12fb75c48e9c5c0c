"""Work items deleted in Azure DevOps: the hook, the reconcile job (recycle bin, or gone from a
batched read) and a push answered 404 each make one visible sync conflict on the Casebridge item,
with the reason; nothing is unlinked or pushed meanwhile, and the RTE restores, re-creates or
retries."""

from __future__ import annotations

import pytest

from casebridge.integrations.azure_devops.conflicts import conflict_resolve
from casebridge.integrations.azure_devops.deletions import DELETED
from casebridge.integrations.azure_devops.models import (
    Connection,
    LinkState,
    SyncConflict,
    WorkItemLink,
)
from casebridge.integrations.azure_devops.reconcile import reconcile
from casebridge.integrations.relay import outbox_deliver_due
from casebridge.workitems.models import WorkItem
from casebridge.workitems.services import work_item_transition
from tests import factories
from tests.fakes.azure_devops import FakeAzureDevOps
from tests.integrations.test_azure_devops_journey import hooks_to_door, settle
from tests.integrations.test_azure_devops_sync import escalate

pytestmark = pytest.mark.django_db

Linked = tuple[WorkItem, WorkItemLink]


@pytest.fixture
def linked(
    world: factories.World, ado: FakeAzureDevOps, connection: tuple[Connection, str]
) -> Linked:
    case = escalate(world)
    outbox_deliver_due()
    item = WorkItem.objects.get(pk=case.work_item_id)
    return item, WorkItemLink.objects.get(work_item=item)


def _triage(world: factories.World, item: WorkItem) -> None:
    work_item_transition(
        actor=world["rte"],
        item=item,
        action="triage",
        data={"priority": "minor", "impact": "One bank's cards"},
    )


def _open_deletion(link: WorkItemLink) -> SyncConflict:
    return SyncConflict.objects.get(link=link, kind="deleted", resolved_at__isnull=True)


def test_the_deleted_hook_makes_a_visible_conflict_not_an_unlink(
    world: factories.World,
    ado: FakeAzureDevOps,
    connection: tuple[Connection, str],
    linked: Linked,
) -> None:
    item, link = linked
    hooks_to_door(ado, *connection)
    ado.delete(link.ado_id, by=ado.developer("Jamal Hartnett"))
    settle(ado)
    conflict = _open_deletion(link)
    assert conflict.theirs == {DELETED: True}
    assert "Jamal Hartnett" in conflict.summary and "recycle bin" in conflict.summary
    assert conflict.reasons[0]["code"] == "deleted"
    link.refresh_from_db()
    assert link.state == LinkState.CONFLICT and link.ado_id is not None  # still linked
    # Held: a change in Casebridge is not pushed (no PATCH to a deleted item), nothing repeats.
    writes = len(ado.requests)
    _triage(world, item)
    outbox_deliver_due()
    reconcile(Connection.objects.get())
    assert not [r for r in ado.requests[writes:] if r.method == "PATCH"]
    assert SyncConflict.objects.filter(kind="deleted").count() == 1


def test_reconcile_finds_a_deletion_whose_hook_was_missed_in_the_recycle_bin(
    ado: FakeAzureDevOps, linked: Linked
) -> None:
    _, link = linked
    reconcile(Connection.objects.get())
    ado.delete(link.ado_id, by=ado.developer("Jamal Hartnett"))  # no hook subscribed
    result = reconcile(Connection.objects.get())
    assert _open_deletion(link).reasons[0]["code"] == "deleted"
    assert result.requests >= 1
    reconcile(Connection.objects.get())
    assert SyncConflict.objects.filter(kind="deleted").count() == 1


def test_an_item_destroyed_for_good_is_a_conflict_found_by_the_push(
    world: factories.World, ado: FakeAzureDevOps, linked: Linked
) -> None:
    item, link = linked
    ado.destroy(link.ado_id)
    _triage(world, item)
    outbox_deliver_due()
    conflict = _open_deletion(link)
    assert conflict.reasons[0]["code"] == "destroyed"
    assert "gone" in conflict.summary
    link.refresh_from_db()
    assert link.state == LinkState.CONFLICT


def test_ours_restores_a_deleted_item_with_casebridges_values(
    world: factories.World, ado: FakeAzureDevOps, linked: Linked
) -> None:
    item, link = linked
    ado.delete(link.ado_id, by=ado.developer("Jamal Hartnett"))
    reconcile(Connection.objects.get())
    _triage(world, item)
    outbox_deliver_due()
    conflict = _open_deletion(link)
    conflict_resolve(actor=world["rte"], conflict=conflict, resolution="ours")
    restored = ado.item(link.ado_id)["fields"]
    assert restored["Microsoft.VSTS.Common.Priority"] == 3
    link.refresh_from_db()
    assert link.state == LinkState.SYNCED
    assert not SyncConflict.objects.filter(resolved_at__isnull=True).exists()


def test_ours_creates_a_new_item_when_the_old_one_is_gone_for_good(
    world: factories.World, ado: FakeAzureDevOps, linked: Linked
) -> None:
    item, link = linked
    old = link.ado_id
    ado.destroy(old)
    _triage(world, item)
    outbox_deliver_due()
    conflict_resolve(actor=world["rte"], conflict=_open_deletion(link), resolution="ours")
    link.refresh_from_db()
    assert link.ado_id and link.ado_id != old and link.state == LinkState.SYNCED
    fields = ado.item(link.ado_id)["fields"]
    assert fields["System.Title"] == item.title
    assert fields["Microsoft.VSTS.Common.Priority"] == 3


def test_retry_after_a_restore_in_azure_devops_ends_the_conflict_and_still_deleted_keeps_it(
    world: factories.World, ado: FakeAzureDevOps, linked: Linked
) -> None:
    _, link = linked
    ado.delete(link.ado_id, by=ado.developer("Jamal Hartnett"))
    reconcile(Connection.objects.get())
    conflict_resolve(actor=world["rte"], conflict=_open_deletion(link), resolution="retry")
    again = _open_deletion(link)  # still in the bin: a new open conflict says so
    ado.store.items[link.ado_id].deleted = False  # restored in Azure DevOps' recycle bin page
    conflict_resolve(actor=world["rte"], conflict=again, resolution="retry")
    link.refresh_from_db()
    assert link.state == LinkState.SYNCED
    assert not SyncConflict.objects.filter(resolved_at__isnull=True).exists()


def test_reconcile_settles_the_conflict_of_an_item_restored_in_azure_devops(
    ado: FakeAzureDevOps, linked: Linked
) -> None:
    _, link = linked
    ado.delete(link.ado_id, by=ado.developer("Jamal Hartnett"))
    reconcile(Connection.objects.get())
    assert _open_deletion(link)
    ado.store.items[link.ado_id].deleted = False
    reconcile(Connection.objects.get())
    conflict = SyncConflict.objects.get(kind="deleted")
    assert conflict.resolution == "restored"
    link.refresh_from_db()
    assert link.state == LinkState.SYNCED
