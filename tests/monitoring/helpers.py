"""Payload builders in the documented shapes, and a client that posts them like a sender does."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from django.test import Client

from casebridge.core import clock
from casebridge.monitoring.intake import sign, timestamp_header
from casebridge.monitoring.services import integration_create
from tests import factories

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
ZERO = "0001-01-01T00:00:00Z"


def stamp(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def alert(
    name: str = "HighErrorRate",
    *,
    status: str = "firing",
    starts: datetime = T0,
    ends: datetime | None = None,
    fingerprint: str | None = None,
    **labels: str,
) -> dict[str, Any]:
    all_labels = {"alertname": name, "service": "payments", "severity": "critical", **labels}
    body: dict[str, Any] = {
        "status": status,
        "labels": all_labels,
        "annotations": {"summary": f"{name} on {all_labels.get('instance', 'checkout-1')}"},
        "startsAt": stamp(starts),
        "endsAt": stamp(ends) if ends else ZERO,
        "generatorURL": "http://prometheus.example:9090/graph?g0.expr=up",
    }
    if fingerprint is not None:
        body["fingerprint"] = fingerprint
    return body


def webhook(*alerts: dict[str, Any], receiver: str = "casebridge") -> dict[str, Any]:
    """Alertmanager's webhook, version 4."""
    firing = any(a["status"] == "firing" for a in alerts)
    common = dict(alerts[0]["labels"]) if alerts else {}
    return {
        "version": "4",
        "groupKey": '{}:{alertname="' + common.get("alertname", "") + '"}',
        "truncatedAlerts": 0,
        "status": "firing" if firing else "resolved",
        "receiver": receiver,
        "groupLabels": {"alertname": common.get("alertname", "")},
        "commonLabels": common,
        "commonAnnotations": {},
        "externalURL": "http://alertmanager.example:9093",
        "alerts": list(alerts),
    }


def event(
    action: str = "trigger", dedup_key: str | None = "disk-full-db1", **payload: Any
) -> dict[str, Any]:
    body: dict[str, Any] = {"event_action": action}
    if dedup_key is not None:
        body["dedup_key"] = dedup_key
    if action == "trigger" or payload:
        body["payload"] = {
            "summary": "Disk 95% full on db-1",
            "source": "db-1.example",
            "severity": "error",
            **payload,
        }
    return body


def make_integration(
    world: factories.World, kind: str = "alertmanager", **options: Any
) -> tuple[Any, str]:
    options.setdefault("name", f"Prod {kind}")
    options.setdefault("service", world.services["payments"])
    return integration_create(actor=None, kind=kind, **options)


class Sender:
    """Posts bodies to one integration's endpoint as the monitoring system would."""

    def __init__(self, integration: Any, secret: str) -> None:
        self.integration = integration
        self.secret = secret
        self.client = Client()

    @property
    def path(self) -> str:
        return f"/api/v1/intake/{self.integration.kind}/{self.integration.slug}"

    def post(
        self, body: Any, *, secret: str | None = None, raw: bytes | None = None, **headers: str
    ) -> Any:
        data = raw if raw is not None else json.dumps(body).encode()
        extra = {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in headers.items()}
        key = self.secret if secret is None else secret
        if self.integration.auth == "hmac":
            name = self.integration.signature_header or (
                "X-Grafana-Alerting-Signature"
                if self.integration.kind == "grafana"
                else "X-Casebridge-Signature"
            )
            stamp_name = timestamp_header(self.integration)
            stamp = extra.setdefault(
                f"HTTP_{stamp_name.upper().replace('-', '_')}",
                str(int(clock.now().timestamp())),
            )
            extra.setdefault(f"HTTP_{name.upper().replace('-', '_')}", sign(key, data, stamp))
        elif key:
            extra.setdefault("HTTP_AUTHORIZATION", f"Bearer {key}")
        return self.client.post(self.path, data, content_type="application/json", **extra)


def later(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)
