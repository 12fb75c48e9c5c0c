"""Existing Azure DevOps items: imported (linked, with their history) and escalated to by
``AB#<id>``, or linked to a Casebridge item by id or URL; and the sync CLI."""

from __future__ import annotations

import json
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command

from casebridge.audit.models import AuditEvent
from casebridge.cases.services import case_transition
from casebridge.core.errors import ValidationFailed
from casebridge.integrations.azure_devops.existing import remote_id, work_item_import
from casebridge.integrations.azure_devops.models import Connection, WorkItemLink
from casebridge.integrations.relay import outbox_deliver_due
from casebridge.workitems.services import work_item_create
from tests import factories
from tests.factories import make_case
from tests.fakes.azure_devops import FakeAzureDevOps

pytestmark = pytest.mark.django_db


def test_references_to_an_azure_devops_item() -> None:
    assert remote_id("123") == remote_id("AB#123") == remote_id("#123") == 123
    assert remote_id("https://dev.azure.com/fabrikam/Shop/_workitems/edit/77/") == 77
    assert remote_id("https://dev.azure.com/fabrikam/_apis/wit/workItems/78") == 78
    assert remote_id("javascript:alert(1)//_workitems/edit/7") is None
    assert remote_id("BUG-7") is None and remote_id("") is None


def test_an_existing_bug_is_imported_with_its_history_and_a_case_escalates_to_it(
    world: factories.World, ado: FakeAzureDevOps, connection: tuple[Connection, str], api: Any
) -> None:
    dev = ado.developer("Dana Three", "dev3@example.com")
    made = ado.create_item(
        "Shop",
        "Bug",
        {"System.Title": "Refund stuck", "System.Description": "<p>Refunds <b>hang</b></p>"},
        by=dev,
    )
    ado.edit(made["id"], {"System.State": "Active"}, by=dev)
    answer = api("l2").post(
        "/azure-devops/import",
        {"connection": "shop", "azure_devops": f"{ado.url}/Shop/_workitems/edit/{made['id']}"},
    )
    assert answer.status_code == 201, answer.json()
    key = answer.json()["work_item"]
    link = WorkItemLink.objects.get(ado_id=made["id"])
    item = link.work_item
    assert (item.key, item.title, item.description, item.status) == (
        key,
        "Refund stuck",
        "Refunds hang",
        "in_progress",
    )
    history = AuditEvent.objects.filter(action="azure_devops_history", subject_key=key)
    assert history.count() == 2
    again = api("l2").post("/azure-devops/import", {"connection": "shop", "azure_devops": "AB#1"})
    assert again.status_code == 422 and "already" in str(again.json()).lower()

    case = case_transition(actor=world["l2"], case=make_case(world), action="take")
    case = case_transition(
        actor=world["l2"], case=case, action="escalate", data={"work_item": f"AB#{made['id']}"}
    )
    assert case.work_item == item
    with pytest.raises(Exception, match="import it"):
        case_transition(
            actor=world["l2"],
            case=case_transition(actor=world["l2"], case=make_case(world), action="take"),
            action="escalate",
            data={"work_item": "AB#999"},
        )


def test_a_wrong_reference_or_type_is_refused_naming_the_field(
    world: factories.World, ado: FakeAzureDevOps, connection: tuple[Connection, str]
) -> None:
    task = ado.create_item("Shop", "Task", {"System.Title": "Rotate keys"}, by=ado.developer("X"))
    made, _ = connection
    with pytest.raises(ValidationFailed) as wrong:
        work_item_import(actor=world["l2"], ref="BUG-7", connection=made, category="bug")
    assert set(wrong.value.fields) == {"azure_devops"}
    with pytest.raises(ValidationFailed) as other:
        work_item_import(actor=world["l2"], ref=str(task["id"]), connection=made, category="bug")
    assert "is a Task" in other.value.fields["azure_devops"]
    with pytest.raises(ValidationFailed) as missing:
        work_item_import(actor=world["l2"], ref="4242", connection=made, category="bug")
    assert "#4242" in missing.value.fields["azure_devops"]


def test_a_casebridge_item_is_linked_to_an_existing_one_and_written_there(
    world: factories.World, ado: FakeAzureDevOps, connection: tuple[Connection, str], api: Any
) -> None:
    made, _ = connection
    made.enabled = False
    made.save(update_fields=["enabled"])
    item = work_item_create(
        actor=world["l2"], category="bug", title="Card 502", docs={"description": "Fails"}
    )
    outbox_deliver_due()  # disabled: nothing created
    made.enabled = True
    made.save(update_fields=["enabled"])
    theirs = ado.create_item("Shop", "Bug", {"System.Title": "502s"}, by=ado.developer("X"))
    answer = api("rte").post(
        "/azure-devops/links", {"work_item": item.key, "azure_devops": str(theirs["id"])}
    )
    assert answer.status_code == 201, answer.json()
    outbox_deliver_due()
    assert ado.item(theirs["id"])["fields"]["System.Title"] == "Card 502"
    shown = api("l2").get(f"/azure-devops/links/{item.key}").json()
    assert shown["ado_id"] == theirs["id"] and shown["state"] == "synced"
    assert api("cust_a").get(f"/azure-devops/links/{item.key}").status_code == 404


def test_the_sync_command_reconciles_and_says_what_it_did(
    world: factories.World,
    ado: FakeAzureDevOps,
    connection: tuple[Connection, str],
    capsys: pytest.CaptureFixture[str],
) -> None:
    item = work_item_create(actor=world["l2"], category="bug", title="Card 502", docs={})
    call_command("azure-devops", "sync", "--json", "--as", "admin")
    result = json.loads(capsys.readouterr().out)
    assert result["connections"][0]["pushed"] == 1
    assert WorkItemLink.objects.get(work_item=item).ado_id is not None
    out = StringIO()
    call_command("azure-devops", "sync", "shop", "--as", "admin", stdout=out)
    assert "0 written there" in out.getvalue()
    out = StringIO()
    call_command("azure-devops", "conflicts", "--as", "rte", stdout=out)
    assert out.getvalue().strip() == "no conflicts"
