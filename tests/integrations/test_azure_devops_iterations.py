"""Iterations and sprints: putting an item in a sprint in Casebridge sets its iteration path in
Azure DevOps; an iteration set there schedules or moves the item through the workflow engine
(with the sprint rules), by the connection's own entries or by the sprint's name; an unknown
iteration leaves the item out of sprints with a note, and a refused one is a conflict."""

from __future__ import annotations

from datetime import timedelta

import pytest

from casebridge.accounts.models import Team
from casebridge.core import clock
from casebridge.core.errors import ValidationFailed
from casebridge.integrations.azure_devops.models import Connection, SyncConflict, WorkItemLink
from casebridge.integrations.azure_devops.reconcile import reconcile
from casebridge.integrations.azure_devops.services import connection_map
from casebridge.integrations.relay import outbox_deliver_due
from casebridge.sprints.models import Sprint, SprintEntry
from casebridge.sprints.services import sprint_create
from casebridge.workitems.models import WorkItem
from casebridge.workitems.services import work_item_transition
from tests import factories
from tests.fakes.azure_devops import FakeAzureDevOps
from tests.integrations.test_azure_devops_edges import signed_in
from tests.integrations.test_azure_devops_sync import escalate, people

pytestmark = pytest.mark.django_db

Linked = tuple[WorkItem, WorkItemLink]


@pytest.fixture
def sprints(world: factories.World) -> tuple[Sprint, Sprint]:
    team = Team.objects.get(slug="core-team")
    today = clock.now().date()
    current = sprint_create(
        actor=world["rte"],
        team=team,
        name="Sprint 12",
        start=today - timedelta(days=3),
        end=today + timedelta(days=10),
    )
    following = sprint_create(
        actor=world["rte"],
        team=team,
        name="Sprint 13",
        start=today + timedelta(days=11),
        end=today + timedelta(days=24),
    )
    return current, following


@pytest.fixture
def triaged(
    world: factories.World, ado: FakeAzureDevOps, connection: tuple[Connection, str]
) -> Linked:
    case = escalate(world)
    item = WorkItem.objects.get(pk=case.work_item_id)
    item = work_item_transition(
        actor=world["rte"],
        item=item,
        action="triage",
        data={"priority": "major", "impact": "All card payments"},
    )
    outbox_deliver_due()
    return item, WorkItemLink.objects.get(work_item=item)


def _path(ado: FakeAzureDevOps, link: WorkItemLink) -> str:
    return str(ado.item(link.ado_id)["fields"]["System.IterationPath"])


def test_scheduling_in_casebridge_sets_the_iteration_path(
    world: factories.World,
    ado: FakeAzureDevOps,
    triaged: Linked,
    sprints: tuple[Sprint, Sprint],
) -> None:
    item, link = triaged
    assert _path(ado, link) == "Shop"
    work_item_transition(
        actor=world["rte"], item=item, action="schedule", data={"sprint": sprints[0].pk}
    )
    outbox_deliver_due()
    assert _path(ado, link) == "Shop\\Sprint 12"
    work_item_transition(
        actor=world["rte"],
        item=WorkItem.objects.get(pk=item.pk),
        action="reschedule",
        data={"sprint": sprints[1].pk, "reason": "Capacity"},
    )
    outbox_deliver_due()
    assert _path(ado, link) == "Shop\\Sprint 13"


def test_an_iteration_set_in_azure_devops_schedules_then_moves_the_item(
    ado: FakeAzureDevOps, triaged: Linked, sprints: tuple[Sprint, Sprint]
) -> None:
    item, link = triaged
    rte = people(ado)["rte"]
    ado.edit(link.ado_id, {"System.IterationPath": "Shop\\Core\\Sprint 12"}, by=rte)
    reconcile(Connection.objects.get())
    item.refresh_from_db()
    assert item.sprint == sprints[0] and item.status == "scheduled"
    assert SprintEntry.objects.filter(item=item, sprint=sprints[0]).exists()
    assert _path(ado, link) == "Shop\\Core\\Sprint 12"  # Azure DevOps' path is kept
    ado.edit(link.ado_id, {"System.IterationPath": "Shop\\Core\\Sprint 13"}, by=rte)
    reconcile(Connection.objects.get())
    item.refresh_from_db()
    assert item.sprint == sprints[1] and item.status == "scheduled"
    assert not SyncConflict.objects.exists()


def test_an_unknown_iteration_leaves_the_item_out_of_sprints_with_a_note(
    ado: FakeAzureDevOps, triaged: Linked, sprints: tuple[Sprint, Sprint]
) -> None:
    item, link = triaged
    ado.edit(link.ado_id, {"System.IterationPath": "Shop\\Hackathon"}, by=people(ado)["rte"])
    reconcile(Connection.objects.get())
    item.refresh_from_db()
    link.refresh_from_db()
    assert item.sprint is None and item.status == "triaged"
    assert "Shop\\Hackathon" in link.note and "left out of sprints" in link.note
    assert not SyncConflict.objects.exists()
    assert _path(ado, link) == "Shop\\Hackathon"  # not written back


def test_the_connections_own_entry_maps_a_path_to_a_sprint(
    world: factories.World,
    ado: FakeAzureDevOps,
    triaged: Linked,
    sprints: tuple[Sprint, Sprint],
) -> None:
    item, link = triaged
    connection = Connection.objects.get()
    with pytest.raises(ValidationFailed) as refused:
        connection_map(
            actor=world["admin"],
            connection=connection,
            category="bug",
            iterations={"Shop\\Iteration 7": "core-team/Sprint 99"},
        )
    assert "iterations.Shop\\Iteration 7" in refused.value.fields
    connection_map(
        actor=world["admin"],
        connection=connection,
        category="bug",
        iterations={"Shop\\Iteration 7": "core-team/Sprint 12"},
    )
    ado.edit(link.ado_id, {"System.IterationPath": "Shop\\Iteration 7"}, by=people(ado)["rte"])
    reconcile(Connection.objects.get())
    item.refresh_from_db()
    assert item.sprint == sprints[0]


def test_a_developer_cannot_plan_a_sprint_from_azure_devops(
    ado: FakeAzureDevOps, triaged: Linked, sprints: tuple[Sprint, Sprint]
) -> None:
    item, link = triaged
    ado.edit(link.ado_id, {"System.IterationPath": "Shop\\Sprint 12"}, by=people(ado)["dev3"])
    result = reconcile(Connection.objects.get())
    item.refresh_from_db()
    assert item.sprint is None
    assert result.conflicts == 1
    conflict = SyncConflict.objects.get()
    assert conflict.kind == "refused" and conflict.theirs == {
        "System.IterationPath": "Shop\\Sprint 12"
    }


def test_the_mapping_page_edits_the_iterations(
    world: factories.World, connection: tuple[Connection, str], sprints: tuple[Sprint, Sprint]
) -> None:
    admin = signed_in(world, "admin")
    url = "/settings/azure-devops/shop/mapping/bug/"
    form = admin.get(url).context["form"]
    data = {name: field.initial for name, field in form.fields.items()}
    data["iterations"] = "Shop\\Iteration 7 = core-team/Sprint 99"
    refused = admin.post(url, data)
    assert refused.status_code == 422
    assert "No sprint 'core-team/Sprint 99'" in refused.context["form"].errors["iterations"][0]
    data["iterations"] = "Shop\\Iteration 7 = core-team/Sprint 12\nShop\\Hackathon ="
    assert admin.post(url, data).status_code == 302
    assert Connection.objects.get().iterations == {
        "Shop\\Iteration 7": "core-team/Sprint 12",
        "Shop\\Hackathon": "",
    }
    data["iterations"] = "Shop\\Hackathon ="  # a line taken away drops its entry
    assert admin.post(url, data).status_code == 302
    assert Connection.objects.get().iterations == {"Shop\\Hackathon": ""}
