"""Stored deliveries acted on: deployments move items to awaiting validation through the engine
(Azure Pipelines, GitHub ``deployment_status``, generic events; production and success only),
pull requests are linked on the items they name, an approving review records the peer review
(policy 5: never an assignee's), and a merge moves an item in progress on to review."""

from __future__ import annotations

import time
from typing import Any

import pytest

from casebridge.audit.models import AuditEvent
from casebridge.integrations.delivery.models import EventState, InboundEvent, PullRequestLink
from casebridge.integrations.delivery.processing import process_pending
from casebridge.integrations.delivery.references import references_in
from casebridge.integrations.delivery.services import delivery_source_create
from casebridge.workitems.models import WorkItem
from casebridge.workitems.services import work_item_create
from tests import factories
from tests.integrations.payloads import (
    Sender,
    deployment_completed,
    deployment_event,
    github_deployment_status,
    github_review,
    pull_request,
)

pytestmark = pytest.mark.django_db


def bug_at(world: factories.World, status: str, **fields: Any) -> WorkItem:
    item = work_item_create(actor=world["l2"], category="bug", title="Card 502", docs={})
    WorkItem.objects.filter(pk=item.pk).update(status=status, priority="major", **fields)
    item.refresh_from_db()
    item.assignees.set([world["dev3"]])
    return item


def door(world: factories.World, kind: str) -> Sender:
    source, secret = delivery_source_create(actor=world["admin"], kind=kind, name=f"{kind} door")
    return Sender(f"{kind}/{source.slug}", secret)


def last_event() -> InboundEvent:
    return InboundEvent.objects.order_by("-id").first()  # type: ignore[return-value]


def test_references_are_found_in_titles_branches_and_texts() -> None:
    assert references_in("Fix bug-7 and AB#123", "fix/BUG-7-retry", "FR-03, IMP-2x") == [
        "BUG-7",
        "AB#123",
        "FR-3",
    ]
    assert references_in("DEBUG-7 XAB#1 BUG-") == []


def test_a_generic_production_deployment_moves_the_release_to_validation(
    world: factories.World,
) -> None:
    item = bug_at(world, "in_release")
    sender = door(world, "deployments")
    event = deployment_event(work_items=[item.key, "BUG-999"], version="4.3.0")
    assert sender.signed(event, at=int(time.time()), delivery="d-1").status_code == 202
    assert process_pending() == 1
    item.refresh_from_db()
    assert (item.status, item.release_version, item.deployed_environment) == (
        "awaiting_validation",
        "4.3.0",
        "production",
    )
    assert last_event().state == EventState.DONE
    assert last_event().error == f"{item.key}: awaiting validation"
    deploy = AuditEvent.objects.get(subject_key=item.key, action="deploy", field="status")
    assert "Deployed to production (4.3.0) by payments deployment" in deploy.reason
    # The same delivery again is answered duplicate and never stored twice.
    assert sender.signed(event, at=int(time.time()), delivery="d-1").json()["status"] == "duplicate"


def test_staging_failed_and_unreferenced_deployments_are_ignored_with_why(
    world: factories.World,
) -> None:
    item = bug_at(world, "in_release")
    sender = door(world, "deployments")
    now = int(time.time())
    sender.signed(deployment_event(work_items=[item.key], environment="staging"), at=now)
    sender.signed(deployment_event(work_items=[item.key], status="failed"), at=now)
    sender.signed(deployment_event(work_items=["BUG-999"]), at=now)
    assert process_pending() == 3
    notes = list(InboundEvent.objects.order_by("id").values_list("state", "error"))
    assert notes == [
        ("ignored", "A deployment to 'staging', not production."),
        ("ignored", "A deployment that is 'failed', not successful."),
        ("ignored", "The deployment names no known work item."),
    ]
    item.refresh_from_db()
    assert item.status == "in_release"


def test_github_and_azure_pipelines_deployments(world: factories.World) -> None:
    first, second = bug_at(world, "in_release"), bug_at(world, "in_testing")
    status = github_deployment_status()
    status["deployment"]["description"] = f"Ships {first.key} and {second.key}"
    assert door(world, "github").github(status, event="deployment_status").status_code == 202
    process_pending()
    first.refresh_from_db()
    assert (first.status, first.release_version) == ("awaiting_validation", "a10867b")
    assert last_event().error == (
        f"{first.key}: awaiting validation; {second.key}: not in release (in testing)"
    )

    third = bug_at(world, "in_release", release_version="Release-41")
    release = deployment_completed()
    release["resource"]["environment"]["release"]["description"] = f"Contains {third.key}"
    assert door(world, "azure-pipelines").basic(release).status_code == 202
    process_pending()
    third.refresh_from_db()
    assert third.status == "awaiting_validation"


def test_an_approving_review_records_the_peer_review_but_never_an_assignees(
    world: factories.World,
) -> None:
    item = bug_at(world, "in_review")
    github = door(world, "github")
    review = github_review()
    review["pull_request"]["title"] = f"{item.key}: retry the card gateway"
    review["review"]["user"]["login"] = "dev3"  # an assignee
    github.github(review, event="pull_request_review")
    process_pending()
    item.refresh_from_db()
    assert item.status == "in_review" and item.reviewed_by is None
    assert "review not recorded" in last_event().error
    assert "cannot review" in last_event().error.lower() or "assignee" in last_event().error

    review["review"]["user"]["login"] = "dev4"
    github.github(review, event="pull_request_review")
    process_pending()
    item.refresh_from_db()
    assert item.status == "in_testing" and item.reviewed_by == world["dev4"]
    pr = PullRequestLink.objects.get(work_item=item)
    assert (pr.repository, pr.number, pr.approved_by) == ("fabrikam/shop", 12, "dev4")


def test_an_azure_repos_merge_links_the_pr_and_moves_an_item_in_progress_to_review(
    world: factories.World,
) -> None:
    item = bug_at(world, "in_progress")
    merged = pull_request(title=f"Fix {item.key}")
    merged["resource"]["createdBy"] = {"uniqueName": "dev3@example.com"}
    merged["resource"]["_links"] = {"web": {"href": "javascript:alert(1)"}}
    assert door(world, "azure-repos").basic(merged).status_code == 202
    process_pending()
    item.refresh_from_db()
    assert item.status == "in_review"
    pr = PullRequestLink.objects.get(work_item=item)
    assert (pr.state, pr.url, pr.author) == ("merged", "", "dev3@example.com")
    assert AuditEvent.objects.filter(subject_key=item.key, action="pull_request_linked").exists()
