# ruff: noqa: E501
"""The doors of the delivery pipeline and code review: Azure Pipelines and Azure Repos service
hooks (basic auth), GitHub webhooks (X-Hub-Signature-256) and signed generic deployment events.
Each source has its own secret, size and rate limits and replay protection; what it accepts is
stored before the answer, and nothing else happens yet."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from casebridge.audit.models import AuditEvent
from casebridge.core.errors import PermissionDenied, ValidationFailed
from casebridge.integrations.delivery.models import DeliverySource, InboundEvent
from casebridge.integrations.delivery.services import (
    delivery_source_create,
    delivery_source_rotate,
)
from tests import factories
from tests.integrations import payloads
from tests.integrations.payloads import Sender

pytestmark = pytest.mark.django_db
T0 = datetime(2026, 11, 23, 9, 0, 30, tzinfo=UTC)


def door(kind: str, **limits: int) -> tuple[DeliverySource, Sender]:
    source, secret = delivery_source_create(actor=None, kind=kind, name=f"Shop {kind}", **limits)
    return source, Sender(f"{kind}/{source.slug}", secret)


# --- Azure Pipelines and Azure Repos ------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "payload", "event_type"),
    [
        (
            "azure-pipelines",
            payloads.deployment_completed(),
            "ms.vss-release.deployment-completed-event",
        ),
        (
            "azure-pipelines",
            payloads.run_state_changed(),
            "ms.vss-pipelines.run-state-changed-event",
        ),
        (
            "azure-repos",
            payloads.pull_request("git.pullrequest.created"),
            "git.pullrequest.created",
        ),
        (
            "azure-repos",
            payloads.pull_request("git.pullrequest.updated"),
            "git.pullrequest.updated",
        ),
        ("azure-repos", payloads.pull_request("git.pullrequest.merged"), "git.pullrequest.merged"),
    ],
)
def test_azure_service_hooks_are_stored_with_basic_auth(
    kind: str, payload: dict[str, object], event_type: str
) -> None:
    source, sender = door(kind)
    response = sender.basic(payload)
    assert response.status_code == 202, response.content
    event = InboundEvent.objects.get()
    assert (event.source, event.event_type, event.delivery_id) == (
        source,
        event_type,
        payload["id"],
    )
    assert json.loads(event.body) == payload and event.state == "pending"
    assert "Authorization" not in event.headers
    again = sender.basic(payload)
    assert again.status_code == 200 and again.json() == {"status": "duplicate", "event": event.pk}
    assert InboundEvent.objects.count() == 1


def test_the_same_delivery_id_at_two_sources_is_two_deliveries() -> None:
    _, first = door("azure-repos")
    _, second = door("azure-pipelines")
    payload = payloads.pull_request()
    assert first.basic(payload).status_code == 202
    deployment = payloads.deployment_completed() | {"id": payload["id"]}
    assert second.basic(deployment).status_code == 202
    assert InboundEvent.objects.count() == 2


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        (payloads.deployment_completed() | {"resource": {"project": {}}}, "resource.environment"),
        (
            payloads.service_hook(
                "ms.vss-release.deployment-completed-event", {"environment": {"name": "Prod"}}
            ),
            "resource.environment.status",
        ),
        (
            payloads.service_hook(
                "ms.vss-pipelines.run-state-changed-event", {"run": {}, "pipeline": {}}
            ),
            "resource.run.state",
        ),
    ],
)
def test_a_pipeline_hook_without_what_it_needs_is_refused(
    payload: dict[str, object], field: str
) -> None:
    _, sender = door("azure-pipelines")
    response = sender.basic(payload)
    assert response.status_code == 422 and field in response.json()["fields"]
    assert not InboundEvent.objects.exists()


def test_a_pull_request_hook_needs_its_id_status_and_repository() -> None:
    _, sender = door("azure-repos")
    payload = payloads.service_hook("git.pullrequest.merged", {"pullRequestId": "1"})
    response = sender.basic(payload)
    assert response.status_code == 422
    assert set(response.json()["fields"]) == {
        "resource.pullRequestId",
        "resource.status",
        "resource.repository",
    }


def test_an_unknown_source_and_a_wrong_secret_are_the_same_401() -> None:
    source, sender = door("azure-pipelines")
    wrong = sender.basic(payloads.deployment_completed(), password="cbd_" + "x" * 43)
    unknown = Sender("azure-pipelines/nope", sender.secret).basic(payloads.deployment_completed())
    other_kind = Sender(f"azure-repos/{source.slug}", sender.secret).basic(payloads.pull_request())
    assert wrong.status_code == unknown.status_code == other_kind.status_code == 401
    assert wrong.json() == unknown.json() == other_kind.json()
    assert not InboundEvent.objects.exists()


# --- GitHub -------------------------------------------------------------------------------------------


def test_github_pull_requests_reviews_and_deployments_are_stored_signed() -> None:
    _, sender = door("github")
    cases = [
        ("pull_request", payloads.github_pull_request("opened"), "pull_request.opened"),
        ("pull_request", payloads.github_pull_request("closed"), "pull_request.closed"),
        (
            "pull_request_review",
            payloads.github_review("approved"),
            "pull_request_review.submitted",
        ),
        ("deployment_status", payloads.github_deployment_status(), "deployment_status.created"),
    ]
    for event, payload, event_type in cases:
        response = sender.github(payload, event=event)
        assert response.status_code == 202, response.content
        assert response.json()["event_type"] == event_type
    stored = InboundEvent.objects.order_by("id")
    assert [e.event_type for e in stored] == [c[2] for c in cases]
    headers = stored[0].headers
    assert headers["X-GitHub-Event"] == "pull_request"
    assert headers["X-GitHub-Delivery"] == stored[0].delivery_id
    assert headers["User-Agent"].startswith("GitHub-Hookshot")
    assert "X-Hub-Signature-256" not in headers


def test_a_github_redelivery_is_stored_once() -> None:
    _, sender = door("github")
    payload = payloads.github_pull_request()
    delivery = "72d3162e-cc78-11e3-81ab-4c9367dc0958"
    assert sender.github(payload, delivery=delivery).status_code == 202
    again = sender.github(payload, delivery=delivery)
    assert again.status_code == 200 and again.json()["status"] == "duplicate"
    assert InboundEvent.objects.count() == 1


def test_github_signatures_are_checked() -> None:
    _, sender = door("github")
    payload = payloads.github_pull_request()
    assert sender.github(payload, secret="not-the-secret").status_code == 401
    unsigned = sender.client.post(
        sender.path,
        json.dumps(payload),
        content_type="application/json",
        HTTP_X_GITHUB_EVENT="pull_request",
        HTTP_X_GITHUB_DELIVERY="d-1",
    )
    assert unsigned.status_code == 401 and "X-Hub-Signature-256" in unsigned.json()["fields"]
    assert not InboundEvent.objects.exists()


def test_github_ping_and_unused_events_are_answered_not_stored() -> None:
    _, sender = door("github")
    ping = sender.github({"zen": "Design for failure.", "hook_id": 1}, event="ping")
    assert ping.status_code == 200 and ping.json()["status"] == "pong"
    push = sender.github({"ref": "refs/heads/main"}, event="push")
    assert push.status_code == 200 and push.json()["status"] == "ignored"
    assert not InboundEvent.objects.exists()


def test_a_github_payload_without_its_pull_request_is_refused() -> None:
    _, sender = door("github")
    review = payloads.github_review()
    del review["review"]
    review["pull_request"] = {"title": "no number"}
    response = sender.github(review, event="pull_request_review")
    assert response.status_code == 422
    assert set(response.json()["fields"]) == {"review", "pull_request.number"}


# --- generic deployment events -----------------------------------------------------------------------


@time_machine.travel(T0, tick=False)
def test_a_signed_deployment_event_is_stored() -> None:
    _, sender = door("deployments")
    response = sender.signed(payloads.deployment_event(), at=int(T0.timestamp()), delivery="rel-41")
    assert response.status_code == 202, response.content
    event = InboundEvent.objects.get()
    assert (event.event_type, event.delivery_id) == ("deployment.succeeded", "rel-41")
    assert event.headers["X-Casebridge-Timestamp"] == str(int(T0.timestamp()))


@time_machine.travel(T0, tick=False)
def test_a_deployment_event_outside_the_tolerance_is_refused_and_a_replay_within_is_stored_once() -> (
    None
):
    _, sender = door("deployments", tolerance_seconds=300)
    event = payloads.deployment_event()
    now = int(T0.timestamp())
    stale = sender.signed(event, at=now - 301)
    early = sender.signed(event, at=now + 301)
    assert stale.status_code == early.status_code == 401
    assert "X-Casebridge-Timestamp" in stale.json()["fields"]
    first = sender.signed(event, at=now - 10)
    replay = sender.signed(event, at=now - 10)  # the same signed request again, no delivery id
    assert (first.status_code, replay.status_code) == (202, 200)
    assert replay.json()["status"] == "duplicate"
    with time_machine.travel(T0 + timedelta(minutes=10), tick=False):
        assert sender.signed(event, at=now - 10).status_code == 401  # captured, replayed later
    assert InboundEvent.objects.count() == 1


@time_machine.travel(T0, tick=False)
def test_a_deployment_event_with_a_wrong_signature_or_shape_is_refused() -> None:
    _, sender = door("deployments")
    now = int(T0.timestamp())
    assert sender.signed(payloads.deployment_event(), at=now, secret="cbd_wrong").status_code == 401
    response = sender.signed(
        payloads.deployment_event(
            status="done", work_items=["BUG-7", "bug 8", 9], environment="", url="javascript:x"
        ),
        at=now,
    )
    assert response.status_code == 422
    assert set(response.json()["fields"]) == {
        "status",
        "work_items.1",
        "work_items.2",
        "environment",
        "url",
    }
    assert not InboundEvent.objects.exists()


# --- limits ----------------------------------------------------------------------------------------


def test_a_delivery_over_the_source_s_size_limit_is_413() -> None:
    _, sender = door("azure-repos", max_body_bytes=2048)
    big = payloads.pull_request() | {"detailedMessage": {"text": "x" * 4000}}
    response = sender.basic(big)
    assert response.status_code == 413 and "2048 bytes" in response.json()["message"]
    assert not InboundEvent.objects.exists()


def test_a_source_over_its_rate_gets_429_with_retry_after() -> None:
    _, sender = door("azure-repos", rate_limit_per_minute=2)
    with time_machine.travel(T0, tick=False):
        statuses = [sender.basic(payloads.pull_request()).status_code for _ in range(3)]
        refused = sender.basic(payloads.pull_request())
    assert statuses == [202, 202, 429]
    assert refused["Retry-After"] == "30"
    assert InboundEvent.objects.count() == 2
    with time_machine.travel(T0 + timedelta(minutes=1), tick=False):
        assert sender.basic(payloads.pull_request()).status_code == 202


# --- sources ---------------------------------------------------------------------------------------


def test_a_rotated_secret_closes_the_door_to_the_old_one(world: factories.World) -> None:
    source, sender = door("azure-pipelines")
    new = delivery_source_rotate(actor=world["admin"], source=source)
    assert sender.basic(payloads.deployment_completed()).status_code == 401
    assert (
        Sender(f"azure-pipelines/{source.slug}", new)
        .basic(payloads.deployment_completed())
        .status_code
        == 202
    )
    rotated = AuditEvent.objects.get(subject_key=source.key, action="secret_rotated")
    assert sender.secret not in str(rotated.__dict__) and new not in str(rotated.__dict__)
    assert rotated.new == source.__class__.objects.get(pk=source.pk).secret_hint


def test_sources_are_for_administrators_and_work_item_hooks_come_with_a_connection(
    world: factories.World,
) -> None:
    with pytest.raises(PermissionDenied):
        delivery_source_create(actor=world["devops"], kind="github", name="GitHub")
    with pytest.raises(ValidationFailed) as refused:
        delivery_source_create(actor=world["admin"], kind="azure-devops", name="Hooks")
    assert "connection" in refused.value.fields["kind"]
    with pytest.raises(ValidationFailed) as refused:
        delivery_source_create(
            actor=world["admin"], kind="github", name="", max_body_bytes=10, rate_limit_per_minute=0
        )
    assert set(refused.value.fields) == {"name", "slug", "max_body_bytes", "rate_limit_per_minute"}
    made, secret = delivery_source_create(actor=world["admin"], kind="github", name="GitHub org")
    assert (
        made.slug == "github-org"
        and secret.startswith("cbd_")
        and made.secret_hint == "…" + secret[-4:]
    )
    assert AuditEvent.objects.filter(subject_key="github/github-org", action="created").exists()
