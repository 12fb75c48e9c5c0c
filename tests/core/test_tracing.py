"""Outbox messages name the audit event of their change (``core.tracing``), and work items have
their history in the API (issue 17)."""

from __future__ import annotations

import pytest
from django.db import transaction

from casebridge.audit.models import AuditEvent
from casebridge.audit.services import audit_record
from casebridge.integrations.models import OutboxMessage
from casebridge.integrations.outbox import outbox_enqueue
from tests import factories
from tests.sprints.helpers import bug


@pytest.mark.django_db
def test_a_message_names_the_last_audit_event_of_its_transaction(world):
    case = factories.make_case(world)
    with transaction.atomic():
        first = audit_record(actor=None, subject=case, action="noted", reason="one")
        second = audit_record(actor=None, subject=case, action="noted", reason="two")
        message = outbox_enqueue(topic="test.traced", payload={"x": 1})
    assert second.pk > first.pk
    assert OutboxMessage.objects.get(pk=message.pk).payload == {"x": 1, "audit_event": second.pk}


@pytest.mark.django_db(transaction=True)
def test_an_event_rolled_back_or_committed_earlier_is_not_named():
    case = factories.make_case(factories.build_world())  # real commits: no test transaction
    with transaction.atomic():
        try:
            with transaction.atomic():
                audit_record(actor=None, subject=case, action="noted")
                raise RuntimeError("undo")
        except RuntimeError:
            pass
        rolled_back = outbox_enqueue(topic="test.traced", payload={})
    with transaction.atomic():
        audit_record(actor=None, subject=case, action="noted")
    with transaction.atomic():
        later = outbox_enqueue(topic="test.traced", payload={})
    assert OutboxMessage.objects.get(pk=rolled_back.pk).payload == {}
    assert OutboxMessage.objects.get(pk=later.pk).payload == {}


@pytest.mark.django_db
def test_a_work_item_history_is_in_the_api_and_its_outbox_rows_point_into_it(world, api):
    item = bug(world, "Checkout fails with 502")  # created, then triaged by the RTE
    answer = api("dev3").get(f"/work-items/{item.key}/timeline")
    assert answer.status_code == 200, answer.json()
    history = answer.json()
    ids = [e["id"] for e in history]
    assert (
        ids == sorted(ids)
        and len(ids)
        == AuditEvent.objects.filter(subject_type="work_item", subject_key=item.key).count()
    )
    assert "triage" in [e["action"] for e in history]
    row = OutboxMessage.objects.filter(topic="work_item.transitioned", key=item.key).last()
    assert row is not None and row.payload["audit_event"] in ids
    newer = api("dev3").get(f"/work-items/{item.key}/timeline", after=ids[-2]).json()
    assert [e["id"] for e in newer] == ids[-1:]
    # customers never see work items
    assert api("cust_a").get(f"/work-items/{item.key}/timeline").status_code == 404
