"""Secrets never reach the logs: a run that creates and uses webhook secrets, integration tokens,
HMAC secrets, API tokens and passwords (right and wrong) at DEBUG level, then greps everything
logged and printed for each of them."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
from django.test import Client

from casebridge.accounts.services import token_create
from casebridge.integrations.webhooks.services import webhook_destination_create
from tests import factories
from tests.monitoring.helpers import Sender, make_integration

pytestmark = pytest.mark.django_db
WRONG_PASSWORD = "hunter2-wrong-passphrase-XYZ"


def test_no_secret_is_logged(
    world: factories.World, caplog: pytest.LogCaptureFixture, capfd: Any, settings: Any
) -> None:
    settings.WEBHOOK_ALLOW_LOOPBACK_HTTP = True
    caplog.set_level(logging.DEBUG)
    secrets: list[str] = []
    client = Client()

    hook_url = "https://hooks.example.com/services/T000/B000/webhookpathsecret42"
    _, signing = webhook_destination_create(
        actor=world["admin"], kind="generic", name="Ops hook", url=hook_url
    )
    secrets += [signing, "webhookpathsecret42"]

    bearer, bearer_secret = make_integration(world, slug="prom")
    signed, hmac_secret = make_integration(world, slug="signed", auth="hmac")
    secrets += [bearer_secret, hmac_secret]
    alert = {"version": "4", "status": "firing", "alerts": [], "groupKey": "g", "receiver": "r"}
    Sender(bearer, bearer_secret).post(alert)
    Sender(bearer, bearer_secret).post(alert, secret=bearer_secret + "-wrong")
    Sender(signed, hmac_secret).post(alert)

    _, api_secret = token_create(actor=None, user=world["l2"], name="ci", scope="read")
    secrets.append(api_secret)
    client.get("/api/v1/cases", HTTP_AUTHORIZATION=f"Bearer {api_secret}")
    client.get("/api/v1/cases", HTTP_AUTHORIZATION=f"Bearer {api_secret}x")

    client.post("/login/", {"username": "l2", "password": WRONG_PASSWORD})
    client.post("/login/", {"username": "l2", "password": "correct-horse-battery"})
    secrets += [WRONG_PASSWORD, "correct-horse-battery"]

    out, err = capfd.readouterr()
    logged = "\n".join(
        [caplog.text, out, err, *(json.dumps(r.__dict__, default=str) for r in caplog.records)]
    )
    assert "security.signed_in" in logged  # the run was logged at all
    for secret in secrets:
        assert secret not in logged, f"a secret reached the logs: {secret[:6]}..."
