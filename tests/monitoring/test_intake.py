"""The intake door and the worker's fold: stored before 2xx, refused with nothing stored, folded
idempotently into alert groups, each group one case."""

from __future__ import annotations

import json
from typing import Any

import pytest
import time_machine

from casebridge.audit.models import AuditEvent
from casebridge.cases.models import Case
from casebridge.monitoring.models import AlertGroup, Payload
from casebridge.monitoring.worker import intake_drain
from tests import factories
from tests.contract.support import snapshot
from tests.monitoring.helpers import T0, Sender, alert, event, later, make_integration, webhook


@pytest.fixture
def am(world: factories.World) -> Sender:
    integration, secret = make_integration(world, slug="prom-prod")
    return Sender(integration, secret)


def test_a_webhook_is_stored_before_202_and_becomes_one_group_and_one_case(am: Sender) -> None:
    response = am.post(webhook(alert(instance="checkout-1")))
    assert response.status_code == 202, response.content
    body = response.json()
    assert body["status"] == "accepted" and body["alerts"] == 1
    payload = Payload.objects.get(pk=body["payload"])
    assert payload.state == "pending" and json.loads(payload.body)["version"] == "4"
    assert AlertGroup.objects.count() == 0  # nothing processed yet: the door only stores

    intake_drain()
    group = AlertGroup.objects.get()
    assert group.status == "firing" and group.firing_count == 1
    assert group.labels["alertname"] == "HighErrorRate"
    case = group.case
    assert case is not None and case.source == "monitoring"
    assert case.service.slug == "payments" and case.impact == "critical"
    assert "alertname=HighErrorRate" in case.description
    assert "instance=checkout-1" in case.description
    assert Payload.objects.get().state == "done"


def test_the_same_payload_posted_five_times_is_one_group_and_one_case(am: Sender) -> None:
    body = webhook(alert(instance="checkout-1"), alert("DiskFull", instance="db-1"))
    for _ in range(5):
        assert am.post(body).status_code == 202
    intake_drain()
    assert AlertGroup.objects.count() == 2
    assert Case.objects.count() == 2
    assert sorted(AlertGroup.objects.values_list("firing_count", flat=True)) == [5, 5]
    # Posting it again later, and folding again, changes nothing but the counts.
    am.post(body)
    intake_drain()
    intake_drain()
    assert AlertGroup.objects.count() == 2 and Case.objects.count() == 2
    assert sorted(AlertGroup.objects.values_list("firing_count", flat=True)) == [6, 6]


def test_a_resolve_is_recorded_on_the_case_and_resolves_it_when_nobody_worked_on_it(
    am: Sender,
) -> None:
    am.post(webhook(alert()))
    intake_drain()
    am.post(webhook(alert(status="resolved", ends=later(5))))
    intake_drain()
    group = AlertGroup.objects.get()
    assert group.status == "resolved" and group.resolved_at == later(5)
    case = Case.objects.get()
    assert case.state == "resolved" and case.resolution == "no_fault"
    assert "resolved at the source" in case.resolution_note
    recorded = AuditEvent.objects.get(subject_key=case.key, action="alert_resolved")
    assert (recorded.old, recorded.new) == ("firing", "resolved")


def test_a_case_someone_works_on_records_the_resolve_but_stays_open(
    am: Sender, world: factories.World
) -> None:
    from casebridge.cases.services import case_transition

    am.post(webhook(alert()))
    intake_drain()
    case_transition(actor=world["l2"], case=Case.objects.get(), action="take")
    am.post(webhook(alert(status="resolved", ends=later(5))))
    intake_drain()
    case = Case.objects.get()
    assert case.state == "investigating"
    assert AuditEvent.objects.filter(subject_key=case.key, action="alert_resolved").count() == 1


def test_a_resolve_before_its_firing_is_one_group_and_the_late_firing_does_not_reopen_it(
    am: Sender,
) -> None:
    am.post(webhook(alert(status="resolved", ends=later(5))))
    am.post(webhook(alert()))  # the firing notification arrives late
    intake_drain()
    group = AlertGroup.objects.get()
    assert (group.status, group.firing_count, group.resolved_count) == ("resolved", 1, 1)
    assert Case.objects.count() == 1


def test_firing_again_after_a_resolve_opens_a_new_group_on_the_still_open_case(
    am: Sender, world: factories.World
) -> None:
    from casebridge.cases.services import case_transition

    am.post(webhook(alert()))
    intake_drain()
    case_transition(actor=world["l2"], case=Case.objects.get(), action="take")
    am.post(webhook(alert(status="resolved", ends=later(5))))
    am.post(webhook(alert(starts=later(30))))
    intake_drain()
    first, second = AlertGroup.objects.order_by("id")
    assert (first.status, second.status) == ("resolved", "firing")
    assert first.case_id == second.case_id and Case.objects.count() == 1
    assert AuditEvent.objects.filter(action="alert_fired_again").count() == 1


def test_a_new_firing_after_an_auto_resolved_case_is_a_new_case(am: Sender) -> None:
    am.post(webhook(alert()))
    am.post(webhook(alert(status="resolved", ends=later(5))))
    am.post(webhook(alert(starts=later(30))))
    intake_drain()
    assert AlertGroup.objects.count() == 2
    assert list(Case.objects.order_by("id").values_list("state", flat=True)) == ["resolved", "new"]


# --- refused: 4xx, and nothing stored -----------------------------------------------------------


def _refused(sender: Sender, expected: int, *args: Any, **kwargs: Any) -> dict[str, Any]:
    before = snapshot()
    response = sender.post(*args, **kwargs)
    assert response.status_code == expected, response.content
    assert snapshot() == before, "a refused payload must leave every table untouched"
    body: dict[str, Any] = response.json()
    assert {"code", "message", "fields"} <= set(body)
    return body


def test_a_bad_or_missing_secret_is_401_and_stores_nothing(am: Sender) -> None:
    body = _refused(am, 401, webhook(alert()), secret="cbi_not-the-secret")
    assert body["code"] == "unauthenticated"
    _refused(am, 401, webhook(alert()), secret="")


def test_another_integrations_secret_is_401(am: Sender, world: factories.World) -> None:
    _, other_secret = make_integration(world, name="Staging AM", slug="prom-staging")
    _refused(am, 401, webhook(alert()), secret=other_secret)


def test_a_user_token_is_not_an_integration_secret(am: Sender, world: factories.World) -> None:
    _refused(am, 401, webhook(alert()), secret=world.tokens["admin"])


def test_an_oversized_payload_is_413_naming_the_limit(world: factories.World) -> None:
    integration, secret = make_integration(world, slug="small", max_body_bytes=4096)
    sender = Sender(integration, secret)
    many = webhook(*[alert(instance=f"checkout-{n}") for n in range(40)])
    body = _refused(sender, 413, many)
    assert "4096 bytes" in body["message"] and body["fields"] == {"body": "At most 4096 bytes."}


@pytest.mark.parametrize(
    ("raw", "status", "field"),
    [
        (b'{"version": "4", "alerts": [', 400, "body"),
        (b"\xff\xfe not utf-8", 400, "body"),
        (b"[1, 2, 3]", 422, "body"),
        (json.dumps(webhook(alert()) | {"version": "3"}).encode(), 422, "version"),
        (json.dumps(webhook()).encode(), 422, "alerts"),
        (json.dumps(webhook(alert() | {"labels": {}})).encode(), 422, "alerts.0.labels"),
        (
            json.dumps(webhook(alert() | {"startsAt": "yesterday"})).encode(),
            422,
            "alerts.0.startsAt",
        ),
        (json.dumps(webhook(alert() | {"status": "burning"})).encode(), 422, "alerts.0.status"),
    ],
)
def test_a_malformed_payload_is_refused_naming_the_field(
    am: Sender, raw: bytes, status: int, field: str
) -> None:
    body = _refused(am, status, None, raw=raw)
    assert field in body["fields"], body


def test_an_unknown_integration_is_401_alike_a_wrong_secret(am: Sender) -> None:
    wrong = _refused(am, 401, webhook(alert()), secret="cbi_not-the-secret")
    missing = _refused(am, 401, webhook(alert()), secret="")
    am.integration.slug = "nope"
    unknown = _refused(am, 401, webhook(alert()))
    assert unknown == wrong == missing


def test_an_hmac_signature_covers_a_timestamp_and_a_replay_is_refused(
    world: factories.World,
) -> None:
    from casebridge.monitoring.intake import sign

    integration, secret = make_integration(world, slug="signed", auth="hmac")
    sender = Sender(integration, secret)
    raw = json.dumps(webhook(alert())).encode()
    with time_machine.travel(T0, tick=False):
        stamp = str(int(T0.timestamp()))
        headers = {
            "x_casebridge_timestamp": stamp,
            "x_casebridge_signature": "sha256=" + sign(secret, raw, stamp),
        }
        assert sender.post(None, raw=raw, **headers).status_code == 202
        # the body alone signed, without a timestamp: refused
        _refused(sender, 401, None, raw=raw, x_casebridge_signature=sign(secret, raw))
    with time_machine.travel(later(6), tick=False):  # the same request captured and replayed
        body = _refused(sender, 401, None, raw=raw, **headers)
        assert body["code"] == "unauthenticated"
    assert Payload.objects.filter(integration=integration).count() == 1


def test_json_only(am: Sender) -> None:
    before = snapshot()
    response = am.client.post(
        am.path, "alerts=1", content_type="text/plain", HTTP_AUTHORIZATION=f"Bearer {am.secret}"
    )
    assert response.status_code == 415
    assert snapshot() == before


def test_the_rate_limit_is_per_integration_and_minute_with_a_clear_429(
    world: factories.World,
) -> None:
    integration, secret = make_integration(world, slug="chatty", rate_limit_per_minute=3)
    sender = Sender(integration, secret)
    other_integration, other_secret = make_integration(world, slug="quiet")
    other = Sender(other_integration, other_secret)
    with time_machine.travel(T0, tick=False):
        for _ in range(3):
            assert sender.post(webhook(alert())).status_code == 202
        before = snapshot()
        response = sender.post(webhook(alert()))
        assert response.status_code == 429
        assert response.json()["code"] == "rate_limited"
        assert "3 payloads a minute" in response.json()["message"]
        assert response["Retry-After"] == "60"
        assert snapshot() == before
        assert other.post(webhook(alert())).status_code == 202  # its own budget
    with time_machine.travel(later(1), tick=False):
        assert sender.post(webhook(alert())).status_code == 202
    assert Payload.objects.filter(integration=integration).count() == 4


# --- Grafana and generic events ----------------------------------------------------------------


def test_grafana_with_an_hmac_signature_and_timestamp(world: factories.World) -> None:
    integration, secret = make_integration(
        world,
        kind="grafana",
        slug="grafana",
        auth="hmac",
        timestamp_header="X-Grafana-Alerting-Timestamp",
    )
    sender = Sender(integration, secret)
    body = webhook(alert("HighLatency")) | {"version": "1", "orgId": 1, "title": "[FIRING:1]"}
    raw = json.dumps(body).encode()
    import time

    from casebridge.monitoring.intake import sign

    now = str(int(time.time()))
    ok = sender.post(
        None,
        raw=raw,
        x_grafana_alerting_timestamp=now,
        x_grafana_alerting_signature=sign(secret, raw, now),
    )
    assert ok.status_code == 202, ok.content
    _refused(
        sender,
        401,
        None,
        raw=raw,
        x_grafana_alerting_timestamp=now,
        x_grafana_alerting_signature=sign("wrong", raw, now),
    )
    _refused(
        sender,
        401,
        None,
        raw=raw,
        x_grafana_alerting_timestamp=str(int(now) - 3600),
        x_grafana_alerting_signature=sign(secret, raw, str(int(now) - 3600)),
    )
    intake_drain()
    assert AlertGroup.objects.get().title.startswith("HighLatency")


def test_generic_events_trigger_acknowledge_resolve(world: factories.World) -> None:
    integration, secret = make_integration(world, kind="events", slug="uptime")
    sender = Sender(integration, secret)
    assert sender.post(event("trigger")).status_code == 202
    assert sender.post(event("trigger")).status_code == 202
    intake_drain()
    group = AlertGroup.objects.get()
    assert (group.fingerprint, group.firing_count, group.status) == ("disk-full-db1", 2, "firing")
    assert group.labels["source"] == "db-1.example"
    sender.post(event("acknowledge"))
    intake_drain()
    assert AlertGroup.objects.get().status == "acknowledged"
    sender.post(event("resolve"))
    intake_drain()
    group = AlertGroup.objects.get()
    assert group.status == "resolved"
    assert group.case is not None and group.case.state == "resolved"


def test_an_event_without_dedup_key_is_given_one(world: factories.World) -> None:
    integration, secret = make_integration(world, kind="events", slug="uptime")
    sender = Sender(integration, secret)
    response = sender.post(event("trigger", dedup_key=None))
    assert response.status_code == 202
    key = response.json()["dedup_key"]
    assert key
    sender.post(event("resolve", dedup_key=key))
    intake_drain()
    assert AlertGroup.objects.get().fingerprint == key


def test_an_event_with_a_dedup_key_is_answered_with_it(world: factories.World) -> None:
    integration, secret = make_integration(world, kind="events", slug="uptime")
    sender = Sender(integration, secret)
    for action in ("trigger", "acknowledge", "resolve"):
        response = sender.post(event(action, dedup_key="disk-full-db1"))
        assert response.status_code == 202
        assert response.json()["dedup_key"] == "disk-full-db1"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"event_action": "explode"}, "event_action"),
        ({"event_action": "resolve"}, "dedup_key"),
        (
            {
                "event_action": "trigger",
                "payload": {"summary": "x", "source": "y", "severity": "bad"},
            },
            "payload.severity",
        ),
        ({"event_action": "trigger"}, "payload"),
    ],
)
def test_bad_events_name_the_field(
    world: factories.World, body: dict[str, Any], field: str
) -> None:
    integration, secret = make_integration(world, kind="events", slug="uptime")
    assert field in _refused(Sender(integration, secret), 422, body)["fields"]
