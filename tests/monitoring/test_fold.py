"""The worker's fold written with prepared statements (``core.prepared``), and read ahead of
SQLite's write lock: the same groups as before, and still nothing counted twice."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection

from casebridge.core import clock
from casebridge.monitoring import worker
from casebridge.monitoring.models import Alert, AlertGroup, Payload
from casebridge.monitoring.worker import intake_drain, payloads_fold
from tests import factories
from tests.monitoring.helpers import Sender, alert, later, make_integration, webhook


@pytest.fixture
def am(world: factories.World) -> Sender:
    integration, secret = make_integration(world, slug="prom-fold")
    return Sender(integration, secret)


def test_an_open_group_resolved_and_fired_again_in_one_payload_is_two_groups(am: Sender) -> None:
    am.post(webhook(alert(instance="db-1")))
    payloads_fold()
    # The resolve frees the fingerprint before the new firing's group is written.
    resolve = alert(status="resolved", ends=later(5), instance="db-1")
    am.post(webhook(resolve, alert(starts=later(30), instance="db-1")))
    payloads_fold()
    assert Payload.objects.filter(state="done").count() == 2
    first, second = AlertGroup.objects.order_by("id")
    assert (first.status, first.firing_count, first.resolved_count) == ("resolved", 1, 1)
    assert first.resolved_at == later(5)
    assert (second.status, second.firing_count, second.last_payload_id) == (
        "firing",
        1,
        Payload.objects.latest("id").pk,
    )
    assert second.labels == first.labels and second.annotations["summary"]


def test_changed_groups_keep_every_field_the_fold_writes(am: Sender) -> None:
    am.post(webhook(alert(instance="db-1")))
    payloads_fold()
    changed = alert(instance="db-1")
    changed["annotations"] = {"summary": "still failing", "runbook": "https://runbooks/x"}
    am.post(webhook(changed))
    payloads_fold()
    group = AlertGroup.objects.get()
    assert group.firing_count == 2
    assert group.annotations == {"summary": "still failing", "runbook": "https://runbooks/x"}
    assert group.last_payload_id == Payload.objects.latest("id").pk and group.sync_pending


def test_a_payload_folded_by_another_worker_meanwhile_is_not_counted_twice(
    am: Sender, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On SQLite the batch is read before the write lock; whatever another worker folded in
    between is dropped once the lock is held. (With row locks the claim itself excludes it.)"""
    am.post(webhook(alert(instance="db-1"), alert("DiskFull", instance="db-2")))
    parse = worker.Batch.parse
    raced: list[int] = []
    racing: list[bool] = []

    def parse_then_race(payloads: list[Payload]) -> Any:
        batch = parse(payloads)
        if connection.vendor == "sqlite" and not racing:
            racing.append(True)
            raced.append(payloads_fold())  # another worker, between the read and the lock
        return batch

    monkeypatch.setattr(worker.Batch, "parse", staticmethod(parse_then_race))
    folded = payloads_fold()
    if connection.vendor == "sqlite":
        assert raced == [2] and folded == 0
    assert sorted(AlertGroup.objects.values_list("firing_count", flat=True)) == [1, 1]
    assert Payload.objects.get().state == "done"


def test_an_unreadable_payload_read_ahead_is_failed_and_the_rest_folded(am: Sender) -> None:
    am.post(webhook(alert(instance="db-1")))
    broken = Payload.objects.create(
        integration=am.integration,
        received_at=clock.now(),
        body="{not json",
        alerts=1,
        available_at=clock.now(),
    )
    am.post(webhook(alert(instance="db-3")))
    intake_drain()
    broken.refresh_from_db()
    assert broken.state == "failed" and broken.attempts == 1
    assert broken.error.startswith("unreadable:")
    assert Alert.objects.count() == 2
    assert AlertGroup.objects.count() == 1  # the same rule on the same service: one group
