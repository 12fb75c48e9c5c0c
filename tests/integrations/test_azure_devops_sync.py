"""Casebridge <-> Azure DevOps, against the fake: an escalation creates the item through the
outbox, later changes are PATCHed tested on /rev, a concurrent edit is merged, changes made in
Azure DevOps come back through the workflow engine or become sync conflicts, comments cross once
each way, echoes are ignored, and the reconcile job catches up on missed hooks."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from casebridge.cases.models import Case
from casebridge.cases.services import case_transition, comment_add
from casebridge.integrations.azure_devops import inbound, sync
from casebridge.integrations.azure_devops.clients import client_for
from casebridge.integrations.azure_devops.models import (
    Connection,
    LinkState,
    SyncConflict,
    SyncedComment,
    WorkItemLink,
)
from casebridge.integrations.azure_devops.reconcile import reconcile
from casebridge.integrations.relay import outbox_deliver_due
from casebridge.workitems.models import WorkItem
from casebridge.workitems.services import work_item_transition
from tests import factories
from tests.factories import make_case
from tests.fakes.azure_devops import FakeAzureDevOps

pytestmark = pytest.mark.django_db

BUG_DOCS = {
    "description": "Checkout fails at the last step",
    "steps_to_reproduce": "1. add to cart\n2. pay by card",
    "expected_result": "Paid",
    "actual_result": "502 Bad Gateway",
    "log_excerpt": "ERROR upstream timed out",
}


def escalate(world: factories.World, docs: dict[str, str] | None = None) -> Case:
    case = case_transition(actor=world["l2"], case=make_case(world), action="take")
    return case_transition(
        actor=world["l2"],
        case=case,
        action="escalate",
        data={"category": "bug", "docs": docs or BUG_DOCS},
    )


def writes(ado: FakeAzureDevOps) -> list[tuple[str, str]]:
    return [
        (r.method, r.path.rsplit("/", 1)[-1])
        for r in ado.requests
        if r.method in ("POST", "PATCH") and "wiql" not in r.path and "batch" not in r.path
    ]


@pytest.fixture
def linked(
    world: factories.World, ado: FakeAzureDevOps, connection: tuple[Connection, str]
) -> tuple[WorkItem, WorkItemLink]:
    """An escalated bug, pushed by the outbox into the fake."""
    case = escalate(world)
    outbox_deliver_due()
    item = WorkItem.objects.get(pk=case.work_item_id)
    return item, WorkItemLink.objects.get(work_item=item)


def people(ado: FakeAzureDevOps) -> dict[str, Any]:
    return {
        name: ado.developer(name.upper(), f"{name}@example.com")
        for name in ("rte", "dev2", "dev3", "dev4", "qa", "l2")
    }


def test_an_escalation_creates_the_azure_devops_bug_with_its_evidence(
    linked: tuple[WorkItem, WorkItemLink], ado: FakeAzureDevOps
) -> None:
    item, link = linked
    assert link.ado_id and link.state == LinkState.SYNCED and link.rev == 1
    remote = ado.item(link.ado_id)
    fields = remote["fields"]
    assert fields["System.WorkItemType"] == "Bug"
    assert fields["System.Title"] == item.title
    assert fields["System.State"] == "New"
    assert "Checkout fails at the last step" in fields["System.Description"]
    assert "environment production, version 4.2.1" in fields["System.Description"]
    assert "ERROR upstream timed out" in fields["System.Description"]
    repro = fields["Microsoft.VSTS.TCM.ReproSteps"]
    assert "2. pay by card" in repro and "502 Bad Gateway" in repro and "Paid" in repro
    assert fields["Microsoft.VSTS.Build.FoundIn"] == "4.2.1"
    assert fields["System.Tags"] == f"Casebridge; {item.key}"
    links = [r["url"] for r in remote.get("relations", []) if r["rel"] == "Hyperlink"]
    assert any(url.endswith(f"/work-items/{item.key}/") for url in links)
    assert any("/cases/CB-" in url for url in links)
    # Pushing again writes nothing: every field already agrees.
    before = len(ado.requests)
    assert sync.push_work_item(item) == 0
    assert writes(ado)[-1][0] == "POST" and len(ado.requests) == before


def test_a_transition_is_patched_with_a_test_on_the_revision(
    world: factories.World, linked: tuple[WorkItem, WorkItemLink], ado: FakeAzureDevOps
) -> None:
    item, link = linked
    work_item_transition(
        actor=world["rte"],
        item=item,
        action="triage",
        data={"priority": "minor", "impact": "Card payments of one bank"},
    )
    outbox_deliver_due()
    patch = [r for r in ado.requests if r.method == "PATCH"][-1]
    body = patch.json()
    assert body[0] == {"op": "test", "path": "/rev", "value": 1}
    sent = {op["path"]: op["value"] for op in body[1:]}
    assert sent == {
        "/fields/Microsoft.VSTS.Common.Priority": 3,
        "/fields/Microsoft.VSTS.Common.Severity": "3 - Medium",
    }
    remote = ado.item(link.ado_id)["fields"]
    assert remote["Microsoft.VSTS.Common.Severity"] == "3 - Medium"
    link.refresh_from_db()
    assert link.rev == 2 and 2 in link.own_revs


def test_a_concurrent_edit_is_re_read_and_merged_not_overwritten(
    world: factories.World, linked: tuple[WorkItem, WorkItemLink], ado: FakeAzureDevOps
) -> None:
    item, link = linked
    who = people(ado)
    ado.edit(link.ado_id, {"System.Title": "Checkout 502 on card payments"}, by=who["dev3"])
    work_item_transition(
        actor=world["rte"],
        item=item,
        action="triage",
        data={"priority": "minor", "impact": "Some card payments"},
    )
    outbox_deliver_due()
    stale = [r for r in ado.requests if r.method == "PATCH" and r.status == ado.stale_status]
    assert len(stale) == 1
    remote = ado.item(link.ado_id)["fields"]
    assert remote["System.Title"] == "Checkout 502 on card payments"
    assert remote["Microsoft.VSTS.Common.Priority"] == 3
    item.refresh_from_db()
    assert item.title == "Checkout 502 on card payments" and item.priority == "minor"


def test_a_state_change_in_azure_devops_goes_through_the_engine(
    world: factories.World, linked: tuple[WorkItem, WorkItemLink], ado: FakeAzureDevOps
) -> None:
    item, link = linked
    who = people(ado)
    work_item_transition(
        actor=world["rte"],
        item=item,
        action="triage",
        data={"priority": "major", "impact": "All card payments"},
    )
    from casebridge.sprints.services import sprint_create  # noqa: F401 - see below

    item.refresh_from_db()
    item.status = "scheduled"  # the sprint machinery is not under test here
    item.save(update_fields=["status"])
    outbox_deliver_due()
    ado.edit(link.ado_id, {"System.AssignedTo": "dev3@example.com"}, by=who["dev3"])
    ado.edit(link.ado_id, {"System.State": "Active"}, by=who["dev3"])
    result = reconcile(Connection.objects.get())
    item.refresh_from_db()
    assert [u.username for u in item.assignees.all()] == ["dev3"]
    assert item.status == "in_progress"
    assert result.conflicts == 0
    assert not SyncConflict.objects.exists()


def test_a_refused_transition_becomes_a_visible_conflict_and_is_not_forced(
    world: factories.World, linked: tuple[WorkItem, WorkItemLink], ado: FakeAzureDevOps
) -> None:
    item, link = linked
    who = people(ado)
    # A developer cannot triage: the priority change from Azure DevOps is refused.
    ado.edit(link.ado_id, {"Microsoft.VSTS.Common.Priority": 1}, by=who["dev2"])
    result = reconcile(Connection.objects.get())
    assert result.conflicts == 1
    conflict = SyncConflict.objects.get()
    assert conflict.kind == "refused" and conflict.resolved_at is None
    assert conflict.theirs == {"Microsoft.VSTS.Common.Priority": 1}
    assert any("needs the role" in r["message"] for r in conflict.reasons)
    item.refresh_from_db()
    assert item.priority == "" and item.status == "new"
    link.refresh_from_db()
    assert link.state == LinkState.CONFLICT
    # Held: the reconcile job does not write Casebridge's value back over it, nor record it twice.
    reconcile(Connection.objects.get())
    assert ado.item(link.ado_id)["fields"]["Microsoft.VSTS.Common.Priority"] == 1
    assert SyncConflict.objects.count() == 1


def test_comments_cross_once_each_way_marked_with_their_origin(
    world: factories.World, linked: tuple[WorkItem, WorkItemLink], ado: FakeAzureDevOps
) -> None:
    item, link = linked
    case = item.cases.get()
    comment_add(actor=world["l2"], case=case, body="Customer confirms it fails on Visa only")
    outbox_deliver_due()
    outbox_deliver_due()
    posted = ado.store.item(link.ado_id).comments
    assert len(posted) == 1
    assert posted[0]["text"].startswith("**[Casebridge]** l2 on CB-")
    assert "Visa only" in posted[0]["text"]
    ado.comment(link.ado_id, "<p>Found it: the gateway timeout</p>", by=people(ado)["dev3"])
    reconcile(Connection.objects.get())
    reconcile(Connection.objects.get())
    notes = list(case.comments.filter(internal=True).values_list("body", flat=True))
    assert notes == [f"[Azure DevOps #{link.ado_id}] DEV3: Found it: the gateway timeout"]
    assert case.comments.count() == 2
    assert SyncedComment.objects.filter(link=link).count() == 2
    # The copied comment is not sent back.
    outbox_deliver_due()
    assert len(ado.store.item(link.ado_id).comments) == 2


def test_our_own_changes_coming_back_are_ignored(
    world: factories.World, linked: tuple[WorkItem, WorkItemLink], ado: FakeAzureDevOps
) -> None:
    _, link = linked
    with client_for(link.connection) as client:
        remote = client.get(link.ado_id)
    assert inbound.apply_remote(link, remote) == "stale"
    assert not SyncConflict.objects.exists()


def test_the_rte_resolves_a_conflict_by_api_and_page(
    world: factories.World,
    linked: tuple[WorkItem, WorkItemLink],
    ado: FakeAzureDevOps,
    api: Any,
) -> None:
    item, link = linked
    ado.edit(link.ado_id, {"Microsoft.VSTS.Common.Priority": 1}, by=people(ado)["dev2"])
    reconcile(Connection.objects.get())
    conflict = SyncConflict.objects.get()

    listed = api("dev3").get("/azure-devops/conflicts")
    assert listed.status_code == 200
    assert [c["id"] for c in listed.json()] == [conflict.pk]
    assert listed.json()[0]["work_item"] == item.key
    assert api("cust_a").get("/azure-devops/conflicts").status_code == 403
    refused = api("dev3").post(
        f"/azure-devops/conflicts/{conflict.pk}/resolve", {"resolution": "ours"}
    )
    assert refused.status_code == 403
    wrong = api("rte").post(
        f"/azure-devops/conflicts/{conflict.pk}/resolve", {"resolution": "force"}
    )
    assert wrong.status_code == 422 and "resolution" in str(wrong.json())

    page = Client()
    page.force_login(world["rte"])
    on_item = page.get(f"/work-items/{item.key}/").content.decode()
    assert 'data-testid="sync-conflicts"' in on_item and "1 sync conflict" in on_item
    shown = page.get("/settings/azure-devops/conflicts/")
    assert shown.status_code == 200
    assert "Triage needs the role" in shown.content.decode()
    answer = page.post(
        f"/settings/azure-devops/conflicts/{conflict.pk}/resolve/",
        {"resolution": "ours", "note": "Priority is the RTE's call"},
    )
    assert answer.status_code == 302
    conflict.refresh_from_db()
    assert conflict.resolution == "ours" and conflict.resolved_by == world["rte"]
    outbox_deliver_due()
    # Casebridge's value stands (an untriaged item has no priority to push) and the same change
    # is not raised again.
    link.refresh_from_db()
    assert link.state == LinkState.SYNCED
    reconcile(Connection.objects.get())
    assert SyncConflict.objects.count() == 1
    again = api("rte").post(
        f"/azure-devops/conflicts/{conflict.pk}/resolve", {"resolution": "ours"}
    )
    assert again.status_code == 422


def test_retry_applies_their_change_once_what_refused_it_is_fixed(
    world: factories.World, linked: tuple[WorkItem, WorkItemLink], ado: FakeAzureDevOps
) -> None:
    from casebridge.integrations.azure_devops.conflicts import conflict_resolve

    item, link = linked
    # The RTE's e-mail in Azure DevOps is not the one Casebridge knows: an unknown person.
    ado.edit(
        link.ado_id,
        {"Microsoft.VSTS.Common.Priority": 3, "Microsoft.VSTS.Common.Severity": "3 - Medium"},
        by=ado.developer("Rita", "rita.rte@fabrikam.example"),
    )
    reconcile(Connection.objects.get())
    conflict = SyncConflict.objects.get()
    assert conflict.kind == "unknown_person"
    world["rte"].email = "rita.rte@fabrikam.example"
    world["rte"].save(update_fields=["email"])
    conflict_resolve(actor=world["rte"], conflict=conflict, resolution="retry")
    item.refresh_from_db()
    assert (item.status, item.priority) == ("triaged", "minor")
    assert not SyncConflict.objects.filter(resolved_at__isnull=True).exists()


def test_log_files_travel_as_attachments_and_a_second_case_adds_its_link(
    world: factories.World, ado: FakeAzureDevOps, connection: tuple[Connection, str]
) -> None:
    from django.core.files.base import ContentFile

    from casebridge.cases.attachments import attachment_add

    case = case_transition(actor=world["l2"], case=make_case(world), action="take")
    attachment_add(
        actor=world["l2"], case=case, upload=ContentFile(b"ERROR boom\n"), filename="app.log"
    )
    case = case_transition(
        actor=world["l2"], case=case, action="escalate", data={"category": "bug", "docs": BUG_DOCS}
    )
    outbox_deliver_due()
    link = WorkItemLink.objects.get(work_item_id=case.work_item_id)
    relations = ado.item(link.ado_id)["relations"]
    files = [r for r in relations if r["rel"] == "AttachedFile"]
    assert len(files) == 1 and files[0]["attributes"]["comment"] == f"Log from {case.key}"
    assert list(ado.store.attachments.values()) == [("app.log", b"ERROR boom\n")]

    other = case_transition(actor=world["l2"], case=make_case(world), action="take")
    case_transition(
        actor=world["l2"], case=other, action="escalate", data={"work_item": f"AB#{link.ado_id}"}
    )
    outbox_deliver_due()
    outbox_deliver_due()
    links = [r["url"] for r in ado.item(link.ado_id)["relations"] if r["rel"] == "Hyperlink"]
    assert sum(url.endswith(f"/cases/{other.key}/") for url in links) == 1
    assert sum(url.endswith(f"/cases/{case.key}/") for url in links) == 1


def test_an_assignee_azure_devops_does_not_know_is_said_once_not_sent_forever(
    world: factories.World, linked: tuple[WorkItem, WorkItemLink], ado: FakeAzureDevOps
) -> None:
    item, link = linked
    WorkItem.objects.filter(pk=item.pk).update(status="scheduled", priority="major")
    work_item_transition(
        actor=world["rte"], item=item, action="assign", data={"assignees": ["dev4"]}
    )
    outbox_deliver_due()
    link.refresh_from_db()
    assert "does not know dev4@example.com" in link.last_error
    assert "System.AssignedTo" not in ado.item(link.ado_id)["fields"]
    assert sync.push_work_item(WorkItem.objects.get(pk=item.pk)) == 0
    reconcile(Connection.objects.get())
    assert not SyncConflict.objects.exists()
