"""Several assignees in Casebridge, one ``System.AssignedTo`` in Azure DevOps: Azure DevOps shows
the primary assignee (the one it already shows while still one of ours, else the first by
username); an assignee set in Azure DevOps is added through the engine, the others stay."""

from __future__ import annotations

import pytest

from casebridge.integrations.azure_devops.models import Connection, SyncConflict, WorkItemLink
from casebridge.integrations.azure_devops.reconcile import reconcile
from casebridge.integrations.relay import outbox_deliver_due
from casebridge.workitems.models import WorkItem
from casebridge.workitems.services import work_item_transition
from tests import factories
from tests.fakes.azure_devops import FakeAzureDevOps
from tests.integrations.test_azure_devops_sync import escalate, people

pytestmark = pytest.mark.django_db

Linked = tuple[WorkItem, WorkItemLink]


@pytest.fixture
def assigned(
    world: factories.World, ado: FakeAzureDevOps, connection: tuple[Connection, str]
) -> Linked:
    """A scheduled bug assigned to dev3 and dev2 in Casebridge, pushed to the fake."""
    people(ado)
    case = escalate(world)
    item = WorkItem.objects.get(pk=case.work_item_id)
    item = work_item_transition(
        actor=world["rte"],
        item=item,
        action="triage",
        data={"priority": "major", "impact": "All card payments"},
    )
    item.status = "scheduled"  # the sprint machinery is not under test here
    item.save(update_fields=["status"])
    work_item_transition(
        actor=world["rte"], item=item, action="assign", data={"assignees": ["dev3", "dev2"]}
    )
    outbox_deliver_due()
    return WorkItem.objects.get(pk=item.pk), WorkItemLink.objects.get(work_item=item)


def _shown(ado: FakeAzureDevOps, link: WorkItemLink) -> str:
    value = ado.item(link.ado_id)["fields"].get("System.AssignedTo") or {}
    return str(value.get("uniqueName", "")) if isinstance(value, dict) else str(value)


def _assignees(item: WorkItem) -> list[str]:
    return sorted(u.username for u in WorkItem.objects.get(pk=item.pk).assignees.all())


def test_azure_devops_shows_the_first_assignee_by_username(
    ado: FakeAzureDevOps, assigned: Linked
) -> None:
    _, link = assigned
    assert _shown(ado, link) == "dev2@example.com"


def test_an_assignee_set_in_azure_devops_is_added_and_the_others_stay(
    ado: FakeAzureDevOps, assigned: Linked
) -> None:
    item, link = assigned
    ado.edit(link.ado_id, {"System.AssignedTo": "dev4@example.com"}, by=people(ado)["rte"])
    reconcile(Connection.objects.get())
    assert _assignees(item) == ["dev2", "dev3", "dev4"]
    # dev4 stays the primary one: Azure DevOps is not set back to dev2.
    reconcile(Connection.objects.get())
    outbox_deliver_due()
    assert _shown(ado, link) == "dev4@example.com"
    assert not SyncConflict.objects.exists()


def test_choosing_another_of_our_assignees_there_changes_nothing_here(
    world: factories.World, ado: FakeAzureDevOps, assigned: Linked
) -> None:
    item, link = assigned
    ado.edit(link.ado_id, {"System.AssignedTo": "dev3@example.com"}, by=people(ado)["rte"])
    reconcile(Connection.objects.get())
    outbox_deliver_due()
    assert _assignees(item) == ["dev2", "dev3"]
    assert _shown(ado, link) == "dev3@example.com"
    # Casebridge swaps dev3 for dev4: the primary becomes the first by username.
    work_item_transition(
        actor=world["rte"],
        item=WorkItem.objects.get(pk=item.pk),
        action="assign",
        data={"assignees": ["dev4", "dev2"]},
    )
    outbox_deliver_due()
    assert _shown(ado, link) == "dev2@example.com"


def test_unassigning_in_azure_devops_is_a_conflict_not_a_removal(
    ado: FakeAzureDevOps, assigned: Linked
) -> None:
    item, link = assigned
    ado.edit(link.ado_id, {"System.AssignedTo": None}, by=people(ado)["rte"])
    reconcile(Connection.objects.get())
    assert _assignees(item) == ["dev2", "dev3"]
    assert SyncConflict.objects.get().kind == "no_action"
