"""What administrators see and do: the API under /api/v1/outbox and /api/v1/webhooks, the pages
under /settings/, and ``casebridge outbox`` / ``casebridge webhook``. Others get 403 (API) and
404 (pages)."""

from __future__ import annotations

import contextlib
import io
import json
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction
from django.test import Client

from casebridge.audit.models import AuditEvent
from casebridge.core import clock
from casebridge.integrations.models import OutboxMessage, OutboxState, WebhookDestination
from casebridge.integrations.notices import Notice
from casebridge.integrations.outbox import outbox_enqueue
from casebridge.integrations.webhooks.services import (
    webhook_destination_create,
    webhooks_fan_out,
)
from tests import factories
from tests.integrations.receivers import Generic, Receiver, Slack

SLACK_URL = "https://hooks.slack.com/services/T0/B0/abcdefghijkl"


@pytest.fixture(autouse=True)
def _loopback(settings: Any) -> None:
    settings.WEBHOOK_ALLOW_LOOPBACK_HTTP = True


def dead_letter(destination: str = "webhook:1", error: str = "HTTP 500: down") -> OutboxMessage:
    with transaction.atomic():
        message = outbox_enqueue(
            topic="webhook.deliver", key="INC-1", payload={}, destination=destination
        )
    OutboxMessage.objects.filter(pk=message.pk).update(
        state=OutboxState.DEAD, attempts=16, last_error=error, finished_at=clock.now()
    )
    return OutboxMessage.objects.get(pk=message.pk)


# --- API ------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_api_adds_a_generic_webhook_and_shows_its_secret_once(api: Any) -> None:
    admin = api("admin")
    created = admin.post(
        "/webhooks", {"kind": "generic", "name": "Ops bus", "url": "https://bus.example.com/in"}
    )
    assert created.status_code == 201, created.content
    body = created.json()
    secret = body["signing_secret"]
    assert secret.startswith("cbw_")
    assert body["slug"] == "ops-bus" and body["url_hint"] == "https://bus.example.com/…m/in"
    assert "url" not in body
    listed = admin.get("/webhooks")
    assert (
        secret not in listed.content.decode()
        and "bus.example.com/in" not in listed.content.decode()
    )
    one = admin.get("/webhooks/ops-bus").json()
    assert one["signed"] is True and one["address"].startswith("webhook:") and one["routes"] == []
    assert secret not in json.dumps(list(AuditEvent.objects.values("data", "new", "old")))


@pytest.mark.django_db
def test_api_routes_tests_and_removes_a_slack_webhook(api: Any) -> None:
    admin = api("admin")
    fake = Slack()
    with Receiver(fake) as receiver:
        assert (
            admin.post(
                "/webhooks", {"kind": "slack", "name": "#incidents", "url": receiver.url()}
            ).status_code
            == 201
        )
        route = admin.post(
            "/webhooks/incidents/routes",
            {"topic": "incident.*", "severities": ["sev2", "sev1"], "services": ["payments"]},
        )
        assert route.status_code == 201
        assert route.json() | {"id": 0} == {
            "id": 0,
            "topic": "incident.*",
            "services": ["payments"],
            "teams": [],
            "severities": ["sev1", "sev2"],
        }
        tested = admin.post("/webhooks/incidents/test")
        assert tested.json() == {"ok": True, "status": 200, "detail": "ok"}
    route_id = route.json()["id"]
    after = admin.post(f"/webhooks/incidents/routes/{route_id}/remove")
    assert after.status_code == 200 and after.json()["routes"] == []
    assert admin.post(f"/webhooks/incidents/routes/{route_id}/remove").status_code == 404
    removed = admin.post("/webhooks/incidents/remove")
    assert removed.json() == {"removed": "incidents", "discarded": 0}
    assert admin.get("/webhooks/incidents").status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"kind": "irc", "name": "x", "url": SLACK_URL}, {"kind"}),
        ({"kind": "slack", "name": "x", "url": "http://hooks.slack.com/x"}, {"url"}),
        ({"kind": "slack", "name": "", "url": SLACK_URL}, {"name"}),
        ({"kind": "slack", "name": "x", "url": SLACK_URL, "channel": "#x"}, {"channel"}),
        ({"kind": "slack", "name": "x"}, {"url"}),
        ({"kind": "slack", "name": "x", "url": SLACK_URL, "slug": "Not A Slug"}, {"slug"}),
    ],
)
def test_api_refuses_bad_destinations_naming_the_field(
    api: Any, body: dict[str, Any], fields: set[str]
) -> None:
    response = api("admin").post("/webhooks", body)
    assert response.status_code == 422, response.content
    assert set(response.json()["fields"]) == fields
    assert not WebhookDestination.objects.exists()


@pytest.mark.django_db
def test_api_refuses_bad_routes_and_malformed_json(api: Any) -> None:
    admin = api("admin")
    admin.post("/webhooks", {"kind": "slack", "name": "ops", "url": SLACK_URL})
    bad = admin.post("/webhooks/ops/routes", {"topic": "not a topic", "teams": ["ghosts"]})
    assert bad.status_code == 422
    assert set(bad.json()["fields"]) == {"topic", "teams"}
    malformed = admin.client.post(
        "/api/v1/webhooks/ops/routes", "{", content_type="application/json", **admin._headers()
    )
    assert malformed.status_code == 400 and malformed.json()["code"] == "malformed_json"


@pytest.mark.django_db
def test_api_lists_retries_and_discards_dead_letters(api: Any) -> None:
    admin = api("admin")
    hook, _ = webhook_destination_create(actor=None, kind="slack", name="#ops", url=SLACK_URL)
    first, second, third = (dead_letter(hook.address) for _ in range(3))
    listed = admin.get("/outbox").json()
    assert [m["id"] for m in listed] == [third.pk, second.pk, first.pk]
    assert listed[0]["destination_name"] == "#ops" and listed[0]["last_error"] == "HTTP 500: down"
    assert admin.get("/outbox", destination="ops").json()[0]["id"] == third.pk
    summary = admin.get("/outbox/summary").json()
    assert summary["counts"]["dead"] == 3 and summary["counts"]["pending"] == 0
    retried = admin.post(f"/outbox/{first.pk}/retry").json()
    assert (retried["state"], retried["attempts"]) == ("pending", 0)
    again = admin.post(f"/outbox/{first.pk}/retry")
    assert again.status_code == 409 and again.json()["fields"] == {"state": "pending"}
    assert admin.post(f"/outbox/{second.pk}/discard").json()["state"] == "discarded"
    assert admin.post("/outbox/retry-dead", {"destination": "ops"}).json() == {"retried": 1}
    assert admin.get("/outbox/999999").status_code == 404
    assert admin.get("/outbox", state="bogus").status_code == 422
    assert AuditEvent.objects.filter(subject_key=f"outbox:{first.pk}", action="retried").exists()


@pytest.mark.django_db
def test_the_openapi_document_describes_the_outbox_and_webhooks() -> None:
    paths = Client().get("/api/v1/openapi.json").json()["paths"]
    for path in (
        "/api/v1/outbox",
        "/api/v1/outbox/{message_id}/retry",
        "/api/v1/webhooks",
        "/api/v1/webhooks/{slug}/routes",
        "/api/v1/webhooks/{slug}/test",
    ):
        assert path in paths


# --- pages ----------------------------------------------------------------------------------------


@pytest.fixture
def browser(world: factories.World) -> Any:
    def signed_in(username: str) -> Client:
        client = Client()
        client.force_login(world[username])
        return client

    return signed_in


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/settings/outbox/", "/settings/webhooks/"])
def test_settings_pages_do_not_exist_for_anyone_but_admins(browser: Any, path: str) -> None:
    for username in ("l2", "dev3", "rte", "cust_a", "partner"):
        assert browser(username).get(path).status_code == 404, username
    assert browser(username="l2").post(
        path.replace("/settings/outbox/", "/settings/outbox/retry-dead/")
    ).status_code in (404, 405)
    anonymous = Client().get(path)
    assert anonymous.status_code == 302 and "/login/" in anonymous["Location"]
    assert browser("admin").get(path).status_code == 200


@pytest.mark.django_db
def test_the_outbox_page_shows_dead_letters_and_retries_one_in_place(browser: Any) -> None:
    hook, _ = webhook_destination_create(actor=None, kind="slack", name="#ops", url=SLACK_URL)
    message = dead_letter(hook.address, error="HTTP 404: channel_not_found")
    admin = browser("admin")
    page = admin.get("/settings/outbox/").content.decode()
    assert f'id="message-{message.pk}"' in page and "channel_not_found" in page and "#ops" in page
    row = admin.post(f"/settings/outbox/{message.pk}/retry/", HTTP_HX_REQUEST="true")
    assert row.status_code == 200
    assert 'data-state="pending"' in row.content.decode()
    gone = admin.post(f"/settings/outbox/{message.pk}/discard/", follow=True)
    assert "discarded" in gone.content.decode()
    assert OutboxMessage.objects.get(pk=message.pk).state == OutboxState.DISCARDED


@pytest.mark.django_db
def test_the_webhooks_page_adds_routes_and_shows_a_secret_once(browser: Any) -> None:
    admin = browser("admin")
    refused = admin.post(
        "/settings/webhooks/", {"kind": "slack", "name": "ops", "url": "http://x.example/"}
    )
    assert refused.status_code == 422
    assert "Use an https:// URL." in refused.content.decode()
    added = admin.post(
        "/settings/webhooks/", {"kind": "slack", "name": "#incidents", "url": SLACK_URL}
    )
    assert added.status_code == 302
    created = admin.post(
        "/settings/webhooks/",
        {"kind": "generic", "name": "Bus", "url": "https://bus.example.com/in"},
    )
    assert created.status_code == 201
    secret = WebhookDestination.objects.get(slug="bus").signing_secret
    assert secret in created.content.decode()
    route = admin.post(
        "/settings/webhooks/incidents/routes/",
        {"incidents-topic": "incident.*", "incidents-severities": ["sev1", "sev2"]},
    )
    assert route.status_code == 302
    bad_route = admin.post("/settings/webhooks/incidents/routes/", {"incidents-topic": "?!"})
    assert bad_route.status_code == 422 and "a family (incident.*)" in bad_route.content.decode()
    page = admin.get("/settings/webhooks/").content.decode()
    assert "https://hooks.slack.com/…ijkl" in page and "sev1, sev2" in page
    assert secret not in page and SLACK_URL not in page


# --- CLI ------------------------------------------------------------------------------------------


def cli(*args: str) -> str:
    """Run a verb; what it prints (``--json`` goes to the process's standard output)."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        call_command(*args, stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_cli_manages_webhooks(world: factories.World, monkeypatch: pytest.MonkeyPatch) -> None:
    fake = Generic()
    with Receiver(fake) as receiver:
        monkeypatch.setattr("sys.stdin", io.StringIO(receiver.url() + "\n"))
        added = json.loads(
            cli(
                "webhook",
                "add",
                "--kind",
                "generic",
                "--name",
                "Bus",
                "--url-stdin",
                "--json",
                "--as",
                "admin",
            )
        )
        fake.secret = added["signing_secret"]
        route = json.loads(
            cli(
                "webhook",
                "route",
                "bus",
                "--topic",
                "incident.*",
                "--severity",
                "sev1",
                "--json",
                "--as",
                "admin",
            )
        )
        assert route["severities"] == ["sev1"]
        assert "delivered: " in cli("webhook", "test", "bus", "--as", "admin")
    listing = cli("webhook", "list", "--as", "admin")
    assert "bus" in listing and f"route {route['id']}" in listing and "severities=sev1" in listing
    with pytest.raises(CommandError, match="the test to bus failed"):
        cli("webhook", "test", "bus", "--as", "admin")  # the receiver is gone
    cli("webhook", "unroute", "bus", str(route["id"]), "--as", "admin")
    assert "removed bus" in cli("webhook", "remove", "bus", "--as", "admin")
    with pytest.raises(CommandError, match="Only an administrator"):
        cli("webhook", "list", "--as", "l2")
    with pytest.raises(CommandError, match="url"):
        cli(
            "webhook",
            "add",
            "--kind",
            "slack",
            "--name",
            "x",
            "--url",
            "http://example.com/x",
            "--as",
            "admin",
        )


@pytest.mark.django_db
def test_cli_lists_retries_and_discards_dead_letters(world: factories.World) -> None:
    first, second, third = (dead_letter() for _ in range(3))
    listed = json.loads(cli("outbox", "list", "--json", "--as", "admin"))
    assert [m["id"] for m in listed] == [third.pk, second.pk, first.pk]
    assert "HTTP 500: down" in cli("outbox", "list", "--as", "admin")
    assert json.loads(cli("outbox", "retry", str(first.pk), "--json", "--as", "admin")) == {
        "retried": [first.pk]
    }
    assert f"discarded: {second.pk}" in cli("outbox", "discard", str(second.pk), "--as", "admin")
    assert "1 dead letters queued again" in cli("outbox", "retry", "--all-dead", "--as", "admin")
    assert cli("outbox", "list", "--as", "admin").strip() == "no dead messages"
    with pytest.raises(CommandError, match="only dead, discarded or unheard"):
        cli("outbox", "retry", str(first.pk), "--as", "admin")
    with pytest.raises(CommandError, match="Only an administrator"):
        cli("outbox", "list", "--as", "dev3")


@pytest.mark.django_db(transaction=True)
def test_fan_out_through_the_api_made_destination_reaches_the_receiver(api: Any) -> None:
    """The whole path: destination and route made through the API, a notice fanned out in a
    change's transaction, the worker's relay delivering it."""
    fake = Slack()
    with Receiver(fake) as receiver:
        admin = api("admin")
        admin.post("/webhooks", {"kind": "slack", "name": "#bugs", "url": receiver.url()})
        admin.post(
            "/webhooks/bugs/routes",
            {"topic": "work_item.triaged", "teams": ["core-team"], "severities": ["critical"]},
        )
        with transaction.atomic():
            webhooks_fan_out(
                Notice(
                    topic="work_item.triaged",
                    title="BUG-7 triaged critical",
                    severity="critical",
                    team="core-team",
                )
            )
            webhooks_fan_out(
                Notice(
                    topic="work_item.triaged",
                    title="BUG-8 triaged minor",
                    severity="minor",
                    team="core-team",
                )
            )
        call_command("worker", "--once")
    assert [p["blocks"][0]["text"]["text"] for p in fake.posted] == ["BUG-7 triaged critical"]
    hook = WebhookDestination.objects.get(slug="bugs")
    assert OutboxMessage.objects.get(destination=hook.address).state == OutboxState.DELIVERED
