"""Chaos: a receiver that fails 30% of requests (5xx and 429), relays killed with SIGKILL five
times while they deliver; every message is delivered, the receiver applies each idempotency key
once, no dead letter is left once the receiver recovers, and SIGTERM stops a relay cleanly.

The suite delivers ``CB_CHAOS_MESSAGES`` messages (default 2,000) on whichever database it runs
on (SQLite, or PostgreSQL through DATABASE_URL); ``benchmarks/outbox_delivery.py --chaos`` runs
the same scenario and reports its figures.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from django.db.models import Count

from casebridge.integrations.models import OutboxMessage, OutboxState
from tests.integrations.chaos import run_chaos, summary

MESSAGES = int(os.environ.get("CB_CHAOS_MESSAGES", "2000"))


@pytest.mark.django_db(transaction=True)
def test_relays_killed_five_times_lose_and_repeat_nothing(tmp_path: Path, settings: Any) -> None:
    settings.WEBHOOK_ALLOW_LOOPBACK_HTTP = True
    result = run_chaos(messages=MESSAGES, kills=5, fail_rate=0.3, timeout=100, workdir=tmp_path)
    assert result.kills == 5, result.log
    assert result.failed > MESSAGES * 0.15, "the receiver really failed requests"
    assert result.applied == result.keys, result.log
    assert len(result.keys) == MESSAGES
    states = dict(OutboxMessage.objects.values_list("state").annotate(n=Count("id")).order_by())
    assert states == {OutboxState.DELIVERED: MESSAGES}, states
    assert result.sigterm_exits == [0, 0] and result.sigterm_seconds < 10
    print(f"\nchaos: {summary(result)}")
