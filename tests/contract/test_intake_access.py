"""The intake endpoints' own permission matrix: they are not opened by a user's bearer token but by
the integration's secret. Only the secret of that integration is let in (202); no secret, a user's
token, a made-up one or another integration's are 401, and nothing is stored."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from tests import factories
from tests.contract.monitoring_scene import INTAKE_CALLERS, INTAKE_ROUTES
from tests.contract.support import assert_error_shape, snapshot
from tests.monitoring.helpers import alert, event, make_integration, webhook

BODIES: dict[str, Any] = {
    "alertmanager": webhook(alert()),
    "grafana": webhook(alert()) | {"version": "1", "orgId": 1},
    "events": event("trigger"),
}


@pytest.mark.django_db
@pytest.mark.parametrize("route", sorted(INTAKE_ROUTES), ids=lambda r: r[1])
def test_only_the_integrations_own_secret_opens_its_door(
    world: factories.World, route: tuple[str, str]
) -> None:
    kind = route[1].split("/")[2]
    integration, secret = make_integration(world, kind=kind, slug=f"{kind}-prod")
    _, other = make_integration(world, kind=kind, slug=f"{kind}-other")
    secrets = {
        "none": None,
        "user": world.tokens["admin"],
        "wrong": "cbi_" + "x" * 43,
        "other": other,
        "secret": secret,
    }
    path = "/api/v1" + route[1].replace("{integration}", integration.slug)
    client, mismatches = Client(), []
    for caller, expected in zip(INTAKE_CALLERS, INTAKE_ROUTES[route], strict=True):
        headers = {"HTTP_AUTHORIZATION": f"Bearer {secrets[caller]}"} if secrets[caller] else {}
        before = snapshot()
        response = client.post(
            path, json.dumps(BODIES[kind]), content_type="application/json", **headers
        )
        if response.status_code != expected:
            mismatches.append(f"{caller}: expected {expected}, got {response.status_code}")
        if response.status_code >= 400:
            assert_error_shape(response.json())
            assert snapshot() == before, f"{caller}: a refused delivery stored something"
    assert not mismatches, "\n".join(mismatches)
