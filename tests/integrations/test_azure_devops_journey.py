"""The whole bug journey with the development side in the fake Azure DevOps: escalated in
Casebridge, triaged, assigned and resolved in Azure DevOps (service hooks -> the door -> the
worker's processing), peer reviewed by an approving GitHub review, a deployment event to
production, validated by L2 in Casebridge, and the Azure DevOps item closes."""

from __future__ import annotations

import time
from datetime import date, timedelta

import pytest
from django.test import Client

from casebridge.accounts.models import Team
from casebridge.integrations.azure_devops.models import Connection, SyncConflict, WorkItemLink
from casebridge.integrations.delivery.models import EventState, InboundEvent, PullRequestLink
from casebridge.integrations.delivery.processing import process_pending
from casebridge.integrations.delivery.services import delivery_source_create
from casebridge.integrations.relay import outbox_deliver_due
from casebridge.sprints.services import sprint_create
from casebridge.workitems.models import WorkItem
from casebridge.workitems.services import work_item_transition
from tests import factories
from tests.fakes.azure_devops import FakeAzureDevOps
from tests.integrations.payloads import Sender, deployment_event, github_review
from tests.integrations.test_azure_devops_sync import escalate

pytestmark = pytest.mark.django_db


def hooks_to_door(ado: FakeAzureDevOps, connection: Connection, secret: str) -> None:
    client = Client()

    def transport(url: str, headers: dict[str, str], body: bytes) -> int:
        meta = {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in headers.items()}
        meta.pop("HTTP_CONTENT_TYPE")
        return int(client.post(url, body, content_type=headers["Content-Type"], **meta).status_code)

    ado.hooks.transport = transport
    ado.hooks.subscribe(connection.hook_source.door, username="ado", password=secret)


def settle(ado: FakeAzureDevOps) -> None:
    """Hooks reach the door, the worker processes them, the outbox pushes what follows."""
    ado.hooks.flush()
    process_pending()
    outbox_deliver_due()


def test_the_bug_journey_across_casebridge_azure_devops_github_and_a_pipeline(
    world: factories.World, ado: FakeAzureDevOps, connection: tuple[Connection, str]
) -> None:
    made, secret = connection
    hooks_to_door(ado, made, secret)
    rte, dev3 = (
        ado.developer("Rita RTE", "rte@example.com"),
        ado.developer("Dana Three", "dev3@example.com"),
    )

    # Escalated in Casebridge: the outbox creates the Azure DevOps bug.
    case = escalate(world)
    outbox_deliver_due()
    item = WorkItem.objects.get(pk=case.work_item_id)
    link = WorkItemLink.objects.get(work_item=item)
    assert ado.item(link.ado_id)["fields"]["System.State"] == "New"
    settle(ado)  # the echo of our own create is recognised and ignored
    assert InboundEvent.objects.get().state == EventState.DONE

    # Triaged in Azure DevOps by the RTE.
    ado.edit(
        link.ado_id,
        {"Microsoft.VSTS.Common.Priority": 3, "Microsoft.VSTS.Common.Severity": "3 - Medium"},
        by=rte,
    )
    settle(ado)
    item.refresh_from_db()
    assert (item.status, item.priority) == ("triaged", "minor")
    assert item.impact == "Severity 3 - Medium, set in Azure DevOps"

    # Scheduled in Casebridge (the sprint lives here).
    sprint = sprint_create(
        actor=world["rte"],
        team=Team.objects.get(slug="core-team"),
        name="S1",
        start=date.today(),
        end=date.today() + timedelta(days=13),
    )
    work_item_transition(
        actor=world["rte"], item=item, action="schedule", data={"sprint": sprint.pk}
    )
    outbox_deliver_due()

    # Assigned and worked on in Azure DevOps.
    ado.edit(link.ado_id, {"System.AssignedTo": "dev3@example.com"}, by=dev3)
    ado.edit(link.ado_id, {"System.State": "Active"}, by=dev3)
    settle(ado)
    item.refresh_from_db()
    assert item.status == "in_progress"
    assert [u.username for u in item.assignees.all()] == ["dev3"]
    ado.edit(link.ado_id, {"System.State": "Resolved"}, by=dev3)
    settle(ado)
    item.refresh_from_db()
    assert item.status == "in_review"

    # An approving GitHub review by someone who is not an assignee records the peer review.
    github, github_secret = delivery_source_create(
        actor=world["admin"], kind="github", name="Shop repo"
    )
    review = github_review()
    review["pull_request"]["title"] = f"{item.key}: retry the card gateway"
    review["review"]["user"]["login"] = "dev4"
    assert (
        Sender(f"github/{github.slug}", github_secret)
        .github(review, event="pull_request_review")
        .status_code
        == 202
    )
    process_pending()
    item.refresh_from_db()
    assert item.status == "in_testing" and item.reviewed_by == world["dev4"]
    assert PullRequestLink.objects.get(work_item=item).approved_by == "dev4"

    work_item_transition(
        actor=world["qa"],
        item=item,
        action="test_pass",
        data={"evidence": "Card payments pass on staging"},
    )
    outbox_deliver_due()

    # A production deployment event of the release containing the item.
    pipeline, pipeline_secret = delivery_source_create(
        actor=world["admin"], kind="deployments", name="Payments CD"
    )
    event = deployment_event(work_items=[item.key], version="4.3.0")
    answer = Sender(f"deployments/{pipeline.slug}", pipeline_secret).signed(
        event, at=int(time.time()), delivery="d-1"
    )
    assert answer.status_code == 202, answer.json()
    process_pending()
    item.refresh_from_db()
    assert (item.status, item.release_version, item.deployed_environment) == (
        "awaiting_validation",
        "4.3.0",
        "production",
    )
    outbox_deliver_due()
    remote = ado.item(link.ado_id)["fields"]
    assert remote["System.State"] == "Resolved"
    assert remote["Microsoft.VSTS.Build.IntegrationBuild"] == "4.3.0"

    # L2 validates in Casebridge: the Azure DevOps item closes.
    work_item_transition(actor=world["l2"], item=item, action="validate")
    outbox_deliver_due()
    assert ado.item(link.ado_id)["fields"]["System.State"] == "Closed"
    settle(ado)
    assert not SyncConflict.objects.exists()
    assert not InboundEvent.objects.filter(state__in=["pending", "failed"]).exists()
    case.refresh_from_db()
    assert case.state == "resolved"
