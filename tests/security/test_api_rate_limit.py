"""API rate limits per token: over the configured number a minute, 429 with Retry-After; other
tokens are not affected; the next minute is open again."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.core.cache import cache
from django.test import Client

from tests import factories

pytestmark = pytest.mark.django_db


def test_a_token_over_its_limit_gets_429_with_retry_after(
    world: factories.World, settings: object
) -> None:
    settings.API_RATE_LIMIT_PER_MINUTE = 5  # type: ignore[attr-defined]
    cache.clear()
    client = Client()
    l2 = {"HTTP_AUTHORIZATION": f"Bearer {world.tokens['l2']}"}
    with time_machine.travel("2026-03-02 09:00:15Z", tick=False) as clock:
        statuses = [client.get("/api/v1/cases", **l2).status_code for _ in range(7)]
        assert statuses == [200] * 5 + [429] * 2
        refused = client.get("/api/v1/cases", **l2)
        assert refused["Retry-After"] == "45"
        assert refused.json()["code"] == "rate_limited"
        assert "5 requests a minute" in refused.json()["message"]
        other = {"HTTP_AUTHORIZATION": f"Bearer {world.tokens['l1']}"}
        assert client.get("/api/v1/cases", **other).status_code == 200
        clock.shift(timedelta(seconds=46))
        assert client.get("/api/v1/cases", **l2).status_code == 200


def test_zero_turns_the_limit_off(world: factories.World, settings: object) -> None:
    settings.API_RATE_LIMIT_PER_MINUTE = 0  # type: ignore[attr-defined]
    client = Client()
    auth = {"HTTP_AUTHORIZATION": f"Bearer {world.tokens['l2']}"}
    assert {client.get("/api/v1/cases", **auth).status_code for _ in range(20)} == {200}
