# ruff: noqa: E501
"""The Azure DevOps service hook door, fed by the fake as Azure DevOps would feed it: each hook
stored before the answer, byte for byte, once per notification id, and nothing else happens yet
(processing is a named seam for later)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from casebridge.integrations.azure_devops.models import Connection
from casebridge.integrations.delivery.models import InboundEvent
from casebridge.integrations.delivery.processing import process_pending
from tests.fakes.azure_devops import FakeAzureDevOps
from tests.integrations.payloads import Sender, service_hook

pytestmark = pytest.mark.django_db


@pytest.fixture
def answers(ado: FakeAzureDevOps, connection: tuple[Connection, str]) -> list[Any]:
    """The fake's hooks post to the door through Django's test client; their answers land here."""
    made, secret = connection
    client, landed = Client(), []

    def transport(url: str, headers: dict[str, str], body: bytes) -> int:
        meta = {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in headers.items()}
        meta.pop("HTTP_CONTENT_TYPE")
        response = client.post(url, body, content_type=headers["Content-Type"], **meta)
        landed.append(response)
        return int(response.status_code)

    ado.hooks.transport = transport
    ado.hooks.subscribe(made.hook_source.door, username="ado", password=secret)
    return landed


def test_every_work_item_hook_is_stored_before_the_202(
    ado: FakeAzureDevOps, answers: list[Any]
) -> None:
    developer = ado.developer("Jamal Hartnett")
    item = ado.create_item("Shop", "Bug", {"System.Title": "Checkout fails"}, by=developer)
    ado.edit(item["id"], {"System.State": "Active"}, by=developer)
    ado.comment(item["id"], "On it", by=developer)
    ado.delete(item["id"], by=developer)
    delivered = ado.hooks.flush()

    assert [a.status_code for a in answers] == [202] * 5
    stored = list(InboundEvent.objects.order_by("id"))
    assert [e.event_type for e in stored] == [d.event_type for d in delivered]
    assert all(e.state == "pending" for e in stored)
    for event, delivery in zip(stored, delivered, strict=True):
        assert json.loads(event.body) == delivery.payload
        assert event.delivery_id == delivery.payload["id"]
        assert event.headers == {
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": "VSServices",
        }
    assert answers[0].json() == {
        "status": "accepted",
        "event": stored[0].pk,
        "event_type": "workitem.created",
    }


def test_a_repeated_notification_is_stored_once_and_a_dropped_one_not_at_all(
    ado: FakeAzureDevOps, answers: list[Any]
) -> None:
    developer = ado.developer("Jamal Hartnett")
    ado.hooks.duplicate_next()
    ado.create_item("Shop", "Bug", {"System.Title": "A"}, by=developer)
    ado.hooks.drop_next()
    ado.create_item("Shop", "Bug", {"System.Title": "B"}, by=developer)
    ado.hooks.flush()
    assert [a.status_code for a in answers] == [202, 200]
    assert answers[1].json()["status"] == "duplicate"
    assert InboundEvent.objects.count() == 1


def test_a_hook_about_an_item_casebridge_does_not_know_is_ignored_with_why(
    ado: FakeAzureDevOps, answers: list[Any]
) -> None:
    ado.create_item("Shop", "Bug", {"System.Title": "A"}, by=ado.developer("Jamal Hartnett"))
    ado.hooks.flush()
    assert process_pending() == 1
    event = InboundEvent.objects.get()
    assert event.state == "ignored" and event.attempts == 1
    assert event.error == "Azure DevOps #1 is not linked to a Casebridge work item."
    assert process_pending() == 0


def test_an_unknown_connection_and_a_wrong_secret_get_the_same_401(
    connection: tuple[Connection, str],
) -> None:
    made, secret = connection
    hook = service_hook("workitem.created", {"id": 1, "rev": 1, "fields": {}})
    wrong = Sender("azure-devops/shop", "cbd_wrong").basic(hook)
    unknown = Sender("azure-devops/nope", secret).basic(hook)
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json()
    assert wrong["WWW-Authenticate"] == 'Basic realm="Casebridge intake"'
    missing = Client().post(
        made.hook_source.door, json.dumps(hook), content_type="application/json"
    )
    assert missing.status_code == 401 and "Authorization" in missing.json()["fields"]
    assert not InboundEvent.objects.exists()


def test_a_hook_of_another_project_is_refused(connection: tuple[Connection, str]) -> None:
    made, secret = connection
    hook = service_hook("workitem.created", {"id": 1, "rev": 1, "fields": {}})
    response = Sender("azure-devops/shop", secret).basic(hook)  # the documentation's project id
    assert response.status_code == 422
    assert "resourceContainers.project.id" in response.json()["fields"]
    hook["resourceContainers"]["project"]["id"] = made.project_id.upper()
    assert Sender("azure-devops/shop", secret).basic(hook).status_code == 202


@pytest.mark.parametrize(
    ("raw", "status", "field"),
    [
        (b"{not json", 400, "body"),
        (b"[1, 2]", 422, "body"),
        (b'{"id": "1", "resource": {}}', 422, "eventType"),
        (json.dumps({"eventType": "workitem.updated", "id": "n-1", "resource": {"rev": 2}}).encode(), 422, "resource.workItemId"),
        (json.dumps({"eventType": "workitem.created", "resource": {"id": 1, "rev": 1}}).encode(), 422, "id"),
        (json.dumps({"eventType": "workitem.created", "id": "n-2", "resource": "x"}).encode(), 422, "resource"),
    ],
)  # fmt: skip
def test_a_malformed_hook_is_refused_naming_the_field_and_not_stored(
    connection: tuple[Connection, str], raw: bytes, status: int, field: str
) -> None:
    response = Sender("azure-devops/shop", connection[1]).basic(None, raw=raw)
    assert response.status_code == status
    assert field in response.json()["fields"], response.json()
    assert not InboundEvent.objects.exists()


def test_an_event_this_door_does_not_use_is_answered_and_not_stored(
    connection: tuple[Connection, str],
) -> None:
    response = Sender("azure-devops/shop", connection[1]).basic(
        service_hook("git.push", {"commits": []})
    )
    assert response.status_code == 200
    assert response.json()["status"] == "ignored" and response.json()["event_type"] == "git.push"
    assert not InboundEvent.objects.exists()
