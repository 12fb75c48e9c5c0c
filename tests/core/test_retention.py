"""Growth: what the retention lets go is removed in batches by the worker's jobs (issue 17)."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine

from casebridge.core import clock
from casebridge.integrations.delivery.models import EventState, InboundEvent
from casebridge.integrations.delivery.processing import events_prune
from casebridge.integrations.delivery.services import delivery_source_create
from casebridge.integrations.mailin.models import InboundMail, MailState
from casebridge.integrations.mailin.store import mail_prune
from casebridge.integrations.models import OutboxMessage, OutboxState
from casebridge.integrations.outbox import outbox_prune
from casebridge.monitoring.models import Payload, PayloadState
from casebridge.monitoring.services import integration_create
from casebridge.monitoring.worker import payloads_prune

NOW = "2026-12-10 09:00Z"


@pytest.fixture
def rows(world):
    """For each kind: processed 31 days ago (goes), processed 29 days ago (stays), failed 31
    days ago (stays: an operator's)."""
    integration, _ = integration_create(
        actor=None, kind="alertmanager", name="Probe", service=world.services["payments"]
    )
    source, _ = delivery_source_create(actor=None, kind="deployments", name="Deploys")
    with time_machine.travel(NOW, tick=False):
        now = clock.now()
        for n, (days, ok) in enumerate([(31, True), (29, True), (31, False)]):
            at = now - timedelta(days=days)
            Payload.objects.create(
                integration=integration,
                received_at=at,
                body="{}",
                alerts=1,
                state=PayloadState.DONE if ok else PayloadState.FAILED,
                available_at=at,
                processed_at=at,
            )
            InboundEvent.objects.create(
                source=source,
                delivery_id=f"d{n}",
                event_type="deployment",
                body="{}",
                received_at=at,
                state=EventState.DONE if ok else EventState.FAILED,
                processed_at=at,
            )
            InboundMail.objects.create(
                message_key=f"k{n}",
                raw=b"From: a@example.com\r\n\r\nhello",
                size=29,
                via="pipe",
                received_at=at,
                state=MailState.DONE if ok else MailState.FAILED,
                available_at=at,
                processed_at=at,
            )
            OutboxMessage.objects.create(
                topic="test.kept",
                payload={},
                created_at=at,
                available_at=at,
                state=OutboxState.DELIVERED if ok else OutboxState.DEAD,
                delivered_at=at if ok else None,
            )


@pytest.mark.django_db
def test_the_jobs_remove_what_the_retention_lets_go_and_nothing_else(rows, settings):
    settings.RETENTION_DAYS = 30
    with time_machine.travel(NOW, tick=False):
        assert payloads_prune() == 1
        assert events_prune() == 1
        assert mail_prune() == 1
        assert outbox_prune() == 1
        # a second pass has nothing left to do
        assert (payloads_prune(), events_prune(), mail_prune(), outbox_prune()) == (0, 0, 0, 0)
    assert Payload.objects.count() == InboundEvent.objects.count() == 2
    assert OutboxMessage.objects.filter(topic="test.kept").count() == 2
    mails = {m.message_key: m for m in InboundMail.objects.all()}
    assert set(mails) == {"k0", "k1", "k2"}  # rows stay: their Message-ID keeps duplicates out
    assert (bytes(mails["k0"].raw), mails["k0"].size) == (b"", 0)
    assert mails["k1"].size == mails["k2"].size == 29


@pytest.mark.django_db
def test_a_retention_of_zero_keeps_everything(rows, settings):
    settings.RETENTION_DAYS = 0
    with time_machine.travel("2030-01-01 00:00Z", tick=False):
        assert (payloads_prune(), events_prune(), mail_prune(), outbox_prune()) == (0, 0, 0, 0)
    assert Payload.objects.count() == 3


@pytest.mark.django_db
def test_deletion_goes_in_batches(rows, settings, monkeypatch):
    settings.RETENTION_DAYS = 1
    monkeypatch.setattr("casebridge.core.retention.BATCH", 1)
    with time_machine.travel(NOW, tick=False):
        assert payloads_prune() == 2  # two batches of one
