"""``casebridge integration create|list|payloads|retry|process`` as the server's operator."""

from __future__ import annotations

import contextlib
import io
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from casebridge.monitoring.models import Integration
from tests import factories

pytestmark = pytest.mark.django_db


def cli(*args: str) -> str:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        call_command(*args, stdout=out)
    return out.getvalue()


def test_create_list_and_payloads(world: factories.World) -> None:
    made = json.loads(
        cli(
            "integration",
            "create",
            "--kind",
            "alertmanager",
            "--name",
            "Prod alerts",
            "--service",
            "payments",
            "--auth",
            "hmac",
            "--max-bytes",
            "2048",
            "--rate-limit",
            "60",
            "--json",
        )
    )
    assert made["url"] == "/api/v1/intake/alertmanager/prod-alerts" and made["secret"]
    integration = Integration.objects.get(slug="prod-alerts")
    assert (integration.max_body_bytes, integration.rate_limit_per_minute) == (2048, 60)
    listing = cli("integration", "list")
    assert "prod-alerts" in listing and "60/min" in listing and "2048 B" in listing
    assert json.loads(cli("integration", "payloads", "--state", "all", "--json")) == []
    assert "processed 0" in cli("integration", "process")


def test_retrying_an_unknown_payload_is_a_message(world: factories.World) -> None:
    with pytest.raises(CommandError, match="no payload 999") as refused:
        cli("integration", "retry", "999")
    assert refused.value.returncode == 2
