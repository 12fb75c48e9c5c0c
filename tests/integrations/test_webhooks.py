"""Slack, Teams and generic webhooks end to end: notice -> routes -> outbox -> relay -> a real
HTTP receiver on loopback that answers as the documented service does."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.db import connection, transaction

from casebridge.core import clock
from casebridge.core.errors import PermissionDenied, ValidationFailed
from casebridge.integrations.models import OutboxCircuit, OutboxMessage, OutboxState
from casebridge.integrations.notices import Notice
from casebridge.integrations.outbox import derived_key, outbox_enqueue, register
from casebridge.integrations.relay import outbox_deliver_due
from casebridge.integrations.webhooks import formats
from casebridge.integrations.webhooks.services import (
    webhook_destination_create,
    webhook_destination_remove,
    webhook_route_add,
    webhook_test,
    webhooks_fan_out,
)
from tests import factories
from tests.integrations.receivers import Generic, Receiver, Reply, Slack, Teams

SEV1 = Notice(
    topic="incident.declared",
    title="INC-4: Card payments fail for everyone",
    text="Error rate 38% on checkout since 10:02 <b>&</b>",
    url="/incidents/INC-4/",
    fields=(("Lead", "Dana Lee"), ("State", "active")),
    severity="sev1",
    service="payments",
    key="INC-4",
)


@pytest.fixture(autouse=True)
def _loopback(settings: Any) -> None:
    settings.WEBHOOK_ALLOW_LOOPBACK_HTTP = True
    settings.BASE_URL = "https://casebridge.example.com"


@pytest.fixture
def admin(world: factories.World) -> Any:
    return world["admin"]


def fan_out(notice: Notice) -> int:
    with transaction.atomic():
        return webhooks_fan_out(notice)


def deliveries() -> list[OutboxMessage]:
    return list(OutboxMessage.objects.filter(topic="webhook.deliver").order_by("id"))


@pytest.fixture
def slack() -> Iterator[tuple[Receiver, Slack]]:
    fake = Slack()
    with Receiver(fake) as receiver:
        yield receiver, fake


@pytest.mark.django_db
def test_slack_gets_block_kit_for_the_routes_that_match(admin: Any, slack: Any) -> None:
    receiver, fake = slack
    incidents, _ = webhook_destination_create(
        actor=admin, kind="slack", name="#incidents", url=receiver.url("/services/T1/B1/abcd")
    )
    webhook_route_add(
        actor=admin, destination=incidents, topic="incident.*", severities=["sev1", "sev2"]
    )
    assert fan_out(SEV1) == 1
    assert fan_out(Notice(topic="incident.declared", title="Minor", severity="sev3")) == 0
    assert fan_out(Notice(topic="work_item.triaged", title="Bug", severity="sev1")) == 0
    assert outbox_deliver_due() == 1
    [message] = deliveries()
    assert message.state == OutboxState.DELIVERED and message.destination == incidents.address
    [body] = fake.posted
    assert body["text"] == (
        "INC-4: Card payments fail for everyone: Error rate 38% on checkout since 10:02 "
        "&lt;b&gt;&amp;&lt;/b&gt;"
    )
    header, section, fields, actions, context = body["blocks"]
    assert header == {
        "type": "header",
        "text": {"type": "plain_text", "text": "INC-4: Card payments fail for everyone"},
    }
    assert section["text"]["type"] == "mrkdwn"
    assert [f["text"] for f in fields["fields"]] == [
        "*Severity*\nsev1",
        "*Lead*\nDana Lee",
        "*State*\nactive",
    ]
    [button] = actions["elements"]
    assert button["url"] == "https://casebridge.example.com/incidents/INC-4/"
    assert context["elements"][0]["text"] == "INC-4 · payments · incident.declared"
    [request] = receiver.requests
    assert request.path == "/services/T1/B1/abcd"
    assert request.headers["idempotency-key"] == str(message.idempotency_key)
    assert request.headers["content-type"].startswith("application/json")


@pytest.mark.django_db
def test_routes_filter_by_topic_service_team_and_severity(admin: Any, slack: Any) -> None:
    receiver, _ = slack
    url = receiver.url()
    everything, _ = webhook_destination_create(actor=admin, kind="slack", name="all", url=url)
    team, _ = webhook_destination_create(actor=admin, kind="slack", name="core", url=url)
    search, _ = webhook_destination_create(actor=admin, kind="slack", name="search", url=url)
    webhook_route_add(actor=admin, destination=everything, topic="*")
    webhook_route_add(
        actor=admin,
        destination=team,
        topic="work_item.triaged",
        teams=["core-team"],
        severities=["critical"],
    )
    webhook_route_add(actor=admin, destination=search, topic="incident.*", services=["search"])
    webhook_route_add(actor=admin, destination=search, topic="case.created", services=["search"])
    critical = Notice(topic="work_item.triaged", title="Bug", severity="critical", team="core-team")
    assert fan_out(critical) == 2
    assert (
        fan_out(Notice(topic="work_item.triaged", title="Bug", severity="major", team="core-team"))
        == 1
    )
    assert fan_out(Notice(topic="incident.resolved", title="I", service="search")) == 2
    assert fan_out(Notice(topic="case.created", title="C", service="search")) == 2  # once each
    addresses = [m.destination for m in deliveries()]
    assert addresses.count(team.address) == 1 and addresses.count(search.address) == 2


@pytest.mark.django_db
def test_slack_429_with_retry_after_pauses_the_destination_then_delivers(
    admin: Any, settings: Any
) -> None:
    fake = Slack(script=[Reply(429, b'{"ok":false,"error":"rate_limited"}', {"Retry-After": "30"})])
    with Receiver(fake) as receiver, time_machine.travel("2026-12-01 09:00Z", tick=False) as t:
        hook, _ = webhook_destination_create(
            actor=admin, kind="slack", name="#ops", url=receiver.url()
        )
        webhook_route_add(actor=admin, destination=hook, topic="incident.*")
        fan_out(SEV1)
        outbox_deliver_due()
        [message] = deliveries()
        assert message.state == OutboxState.PENDING
        assert message.last_error == 'HTTP 429: {"ok":false,"error":"rate_limited"}'
        assert message.available_at == clock.now() + timedelta(seconds=30)
        circuit = OutboxCircuit.objects.get(destination=hook.address)
        assert circuit.open_until == clock.now() + timedelta(seconds=30)
        fan_out(SEV1)
        assert outbox_deliver_due() == 0, "the destination is paused"
        t.shift(timedelta(seconds=30))
        assert outbox_deliver_due() == 2
    assert [m.state for m in deliveries()] == ["delivered", "delivered"]
    assert len(fake.posted) == 2


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("body", "code"),
    [
        (b"text=not json", "invalid_payload"),
        (b'{"username": "casebridge"}', "no_text"),
        (b'{"text": "x", "blocks": [{"text": "no type"}]}', "invalid_blocks"),
    ],
)
def test_a_payload_slack_refuses_is_a_dead_letter(
    admin: Any, slack: Any, monkeypatch: pytest.MonkeyPatch, body: bytes, code: str
) -> None:
    receiver, fake = slack
    hook, _ = webhook_destination_create(actor=admin, kind="slack", name="#ops", url=receiver.url())
    webhook_route_add(actor=admin, destination=hook, topic="*")
    fan_out(SEV1)
    monkeypatch.setattr(formats, "encode", lambda data: body)
    outbox_deliver_due()
    [message] = deliveries()
    assert message.state == OutboxState.DEAD and message.attempts == 1
    assert message.last_error == f"HTTP 400: {code}"
    assert fake.posted == []


@pytest.mark.django_db
def test_slack_answers_that_end_a_delivery(admin: Any) -> None:
    script = [
        Reply(404, b"channel_not_found"),
        Reply(410, b"channel_is_archived"),
        Reply(403, b"action_prohibited"),
        Reply(500, b"rollup_error"),
    ]
    with Receiver(Slack(script=script)) as receiver:
        hook, _ = webhook_destination_create(
            actor=admin, kind="slack", name="x", url=receiver.url()
        )
        webhook_route_add(actor=admin, destination=hook, topic="*")
        for _ in script:
            fan_out(SEV1)
        outbox_deliver_due()
    states = [(m.state, m.last_error) for m in deliveries()]
    assert states == [
        ("dead", "HTTP 404: channel_not_found"),
        ("dead", "HTTP 410: channel_is_archived"),
        ("dead", "HTTP 403: action_prohibited"),
        ("pending", "HTTP 500: rollup_error"),
    ]


@pytest.mark.django_db
def test_teams_gets_an_adaptive_card(admin: Any) -> None:
    fake = Teams()
    with Receiver(fake) as receiver:
        url = receiver.url("/workflows/abc/triggers/manual/paths/invoke?api-version=1&sig=S3CRET")
        hook, _ = webhook_destination_create(actor=admin, kind="teams", name="Ops", url=url)
        webhook_route_add(actor=admin, destination=hook, topic="incident.declared")
        fan_out(SEV1)
        outbox_deliver_due()
    [message] = deliveries()
    assert message.state == OutboxState.DELIVERED
    [body] = fake.posted
    assert body["type"] == "message"
    [attachment] = body["attachments"]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    card = attachment["content"]
    assert (card["type"], card["version"]) == ("AdaptiveCard", "1.4")
    title, text, facts, context = card["body"]
    assert title["text"] == SEV1.title and title["color"] == "Attention"
    assert text["text"] == SEV1.text
    assert facts["facts"][0] == {"title": "Severity", "value": "sev1"}
    assert context["text"] == "INC-4 · payments · incident.declared"
    assert card["actions"] == [
        {
            "type": "Action.OpenUrl",
            "title": "Open in Casebridge",
            "url": "https://casebridge.example.com/incidents/INC-4/",
        }
    ]


@pytest.mark.django_db
def test_a_card_teams_refuses_is_a_dead_letter_with_its_error_code(
    admin: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    with Receiver(Teams()) as receiver:
        hook, _ = webhook_destination_create(
            actor=admin, kind="teams", name="Ops", url=receiver.url()
        )
        webhook_route_add(actor=admin, destination=hook, topic="*")
        fan_out(SEV1)
        monkeypatch.setattr(formats, "teams_body", lambda notice: {"type": "message"})
        outbox_deliver_due()
    [message] = deliveries()
    assert message.state == OutboxState.DEAD
    assert message.last_error == (
        "HTTP 400: TriggerInputSchemaMismatch: The request body must be a message with an "
        "'attachments' array."
    )


@pytest.mark.django_db
def test_a_generic_webhook_is_signed_and_carries_its_idempotency_key(admin: Any) -> None:
    fake = Generic()
    with Receiver(fake) as receiver:
        hook, secret = webhook_destination_create(
            actor=admin, kind="generic", name="Ops bus", url=receiver.url()
        )
        assert secret.startswith("cbw_") and len(secret) > 40
        fake.secret = secret
        webhook_route_add(actor=admin, destination=hook, topic="incident.*")
        fan_out(SEV1)
        outbox_deliver_due()
        [message] = deliveries()
        assert message.state == OutboxState.DELIVERED
        [request] = receiver.requests
        assert request.headers["x-casebridge-event"] == "incident.declared"
        assert request.json() == {
            "id": str(message.idempotency_key),
            "topic": "incident.declared",
            "occurred_at": message.created_at.isoformat(),
            "notice": {
                **SEV1.as_payload(),
                "url": "https://casebridge.example.com/incidents/INC-4/",
                "fields": [["Lead", "Dana Lee"], ["State", "active"]],
            },
        }
        assert list(fake.applied) == [str(message.idempotency_key)]
        fake.secret = "cbw_rotated-on-the-other-side"
        fan_out(SEV1)
        outbox_deliver_due()
    assert deliveries()[1].state == OutboxState.DEAD
    assert deliveries()[1].last_error == 'HTTP 401: {"error": "bad signature"}'


@pytest.mark.django_db
def test_a_handler_fans_out_once_even_when_it_runs_twice(
    admin: Any, slack: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from casebridge.integrations import outbox

    receiver, _ = slack
    hook, _ = webhook_destination_create(actor=admin, kind="slack", name="#ops", url=receiver.url())
    webhook_route_add(actor=admin, destination=hook, topic="incident.*")
    monkeypatch.setattr(outbox, "_handlers", {})

    def on_declared(message: OutboxMessage) -> None:
        webhooks_fan_out(SEV1, cause=message)

    register("incident.declared", on_declared)
    with transaction.atomic():
        cause = outbox_enqueue(topic="incident.declared", key="INC-4", payload={})
    on_declared(cause)  # a first run whose outcome was never recorded (the relay died)
    outbox_deliver_due()
    [child] = deliveries()
    assert child.idempotency_key == derived_key(cause, hook.address)


@pytest.mark.django_db
def test_network_failures_are_retried_and_never_show_the_url(admin: Any) -> None:
    with Receiver(Slack()) as receiver:
        url = receiver.url("/services/T1/B1/TOKEN-IN-PATH")
    hook, _ = webhook_destination_create(actor=admin, kind="slack", name="#gone", url=url)
    webhook_route_add(actor=admin, destination=hook, topic="*")
    fan_out(SEV1)
    outbox_deliver_due()
    [message] = deliveries()
    assert message.state == OutboxState.PENDING
    assert message.last_error == "127.0.0.1: cannot connect"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("url", "loopback_http", "problem"),
    [
        ("https://hooks.slack.com/services/T/B/x", False, None),
        ("http://hooks.slack.com/services/T/B/x", False, "Use an https:// URL."),
        ("http://127.0.0.1:9/hook", False, "Use an https:// URL."),
        ("http://127.0.0.1:9/hook", True, None),
        ("http://10.0.0.8/hook", True, "Use an https:// URL."),
        ("ftp://example.com/x", True, "Use an https:// URL."),
        ("https://user:pw@example.com/x", False, "Put no user name or password in the URL."),
        (
            "hooks.slack.com/services",
            False,
            "Give a full URL, e.g. https://hooks.slack.com/services/...",
        ),
        ("https://example.com:99999/x", False, "This is not a URL."),
    ],
)
def test_urls_are_checked_for_their_scheme_when_stored(
    admin: Any, settings: Any, url: str, loopback_http: bool, problem: str | None
) -> None:
    settings.WEBHOOK_ALLOW_LOOPBACK_HTTP = loopback_http
    if problem is None:
        webhook_destination_create(actor=admin, kind="slack", name="ok", url=url)
        return
    with pytest.raises(ValidationFailed) as refused:
        webhook_destination_create(actor=admin, kind="slack", name="ok", url=url)
    assert refused.value.fields == {"url": problem}


@pytest.mark.django_db
def test_urls_and_secrets_are_sealed_at_rest(admin: Any) -> None:
    url = "https://hooks.slack.com/services/T000/B000/XXXXsecretXXXX9z"
    hook, _ = webhook_destination_create(actor=admin, kind="slack", name="#ops", url=url)
    generic, secret = webhook_destination_create(
        actor=admin, kind="generic", name="bus", url="https://bus.example.com/in"
    )
    with connection.cursor() as cursor:
        cursor.execute("SELECT url, signing_secret FROM integrations_webhookdestination")
        stored = cursor.fetchall()
    assert all(u.startswith("sealed:v1:") for u, _ in stored)
    assert "XXXXsecret" not in json.dumps(stored) and secret not in json.dumps(stored)
    assert hook.url_hint == "https://hooks.slack.com/…XX9z"
    assert repr(type(hook).objects.get(pk=generic.pk).signing_secret) == "Sealed('***')"


@pytest.mark.django_db
def test_only_admins_manage_webhooks(world: factories.World) -> None:
    for username in ("l2", "dev3", "rte", "cust_a"):
        with pytest.raises(PermissionDenied):
            webhook_destination_create(
                actor=world[username], kind="slack", name="x", url="https://hooks.slack.com/x"
            )


@pytest.mark.django_db
def test_bad_destinations_and_routes_name_every_field(admin: Any) -> None:
    with pytest.raises(ValidationFailed) as refused:
        webhook_destination_create(
            actor=admin, kind="irc", name=" ", url="http://x", slug="Bad Slug"
        )
    assert set(refused.value.fields) == {"kind", "name", "slug", "url"}
    hook, _ = webhook_destination_create(
        actor=admin, kind="slack", name="ok", url="https://hooks.slack.com/x"
    )
    with pytest.raises(ValidationFailed) as refused:
        webhook_route_add(
            actor=admin,
            destination=hook,
            topic="Incident!",
            services=["nope"],
            teams=["ghost"],
            severities=["sev9"],
        )
    assert set(refused.value.fields) == {"topic", "services", "teams", "severities"}
    assert not hook.routes.exists()


@pytest.mark.django_db
def test_removing_a_destination_discards_what_waits_for_it(admin: Any) -> None:
    hook, _ = webhook_destination_create(
        actor=admin, kind="slack", name="#old", url="https://hooks.slack.com/x"
    )
    webhook_route_add(actor=admin, destination=hook, topic="*")
    fan_out(SEV1)
    assert webhook_destination_remove(actor=admin, destination=hook) == 1
    [message] = deliveries()
    assert message.state == OutboxState.DISCARDED
    assert fan_out(SEV1) == 0


@pytest.mark.django_db
def test_the_test_button_reports_what_the_receiver_said(admin: Any) -> None:
    fake = Slack(script=[Reply(404, b"no_service")])
    with Receiver(fake) as receiver:
        hook, _ = webhook_destination_create(
            actor=admin, kind="slack", name="#x", url=receiver.url()
        )
        failed = webhook_test(actor=admin, destination=hook)
        worked = webhook_test(actor=admin, destination=hook)
    assert (failed.ok, failed.status, failed.detail) == (False, 404, "HTTP 404: no_service")
    assert (worked.ok, worked.status, worked.detail) == (True, 200, "ok")
    assert fake.posted[0]["blocks"][0]["text"]["text"] == "Test from Casebridge to #x"
    assert not OutboxMessage.objects.exists(), "a test is not queued"
