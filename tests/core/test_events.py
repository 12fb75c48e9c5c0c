"""Domain events: in-transaction subscribers run in the change, after-commit ones through the
outbox, one message per subscriber, never inside the change's transaction."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from django.db import connection, transaction

from casebridge.core import events
from casebridge.integrations.models import OutboxMessage, OutboxState
from casebridge.integrations.relay import outbox_deliver_due


@dataclass(frozen=True, kw_only=True)
class ThingHappened(events.Event):
    key: str
    at: datetime
    tags: list[str]


heard: list[tuple[str, events.Event, bool]] = []


def in_change(event: events.Event) -> None:
    heard.append(("in", event, connection.in_atomic_block))


def after(event: events.Event) -> None:
    heard.append(("after", event, connection.in_atomic_block))


def failing_after(event: events.Event) -> None:
    raise RuntimeError("receiver down")


@pytest.fixture
def subscribed() -> Iterator[None]:
    before = list(events._subscriptions)
    heard.clear()
    events.subscribe(ThingHappened, in_change, events.IN_TRANSACTION)
    events.subscribe(ThingHappened, after, events.AFTER_COMMIT)
    events.subscribe(ThingHappened, failing_after, events.AFTER_COMMIT)
    yield
    events._subscriptions[:] = before


AT = datetime(2026, 12, 6, 9, 30, tzinfo=UTC)


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("subscribed")
def test_subscribers_hear_in_the_change_then_after_the_commit() -> None:
    event = ThingHappened(key="CB-1", at=AT, tags=["a"])
    with events.recorded() as published, transaction.atomic():
        events.publish(event)
        assert [h[0] for h in heard] == ["in"]
    assert published == [event]
    assert heard[0] == ("in", event, True)
    rows = OutboxMessage.objects.filter(topic="event.ThingHappened").order_by("id")
    assert [r.destination for r in rows] == [
        "subscriber:tests.core.test_events.after",
        "subscriber:tests.core.test_events.failing_after",
    ]

    outbox_deliver_due(limit=10)

    (_, again, in_atomic) = heard[1]
    assert again == event and isinstance(again, ThingHappened) and again.at == AT
    assert not in_atomic
    states = dict(rows.values_list("destination", "state"))
    assert states["subscriber:tests.core.test_events.after"] == OutboxState.DELIVERED
    assert states["subscriber:tests.core.test_events.failing_after"] == OutboxState.PENDING


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("subscribed")
def test_a_failing_in_transaction_subscriber_rolls_the_change_back() -> None:
    def refuse(event: events.Event) -> None:
        raise ValueError("no")

    events.subscribe(ThingHappened, refuse, events.IN_TRANSACTION)
    with pytest.raises(ValueError), transaction.atomic():
        events.publish(ThingHappened(key="CB-2", at=AT, tags=[]))
    assert not OutboxMessage.objects.filter(topic="event.ThingHappened").exists()


def test_publishing_outside_a_transaction_is_refused() -> None:
    with pytest.raises(RuntimeError, match="inside the change's transaction"):
        events.publish(ThingHappened(key="CB-3", at=AT, tags=[]))


@pytest.mark.django_db
@pytest.mark.usefixtures("subscribed")
def test_an_in_transaction_subscriber_takes_what_the_change_wrote() -> None:
    """``publish(written=...)`` hands the change's new rows to in-transaction subscribers (the
    case intake's index reads no case back); outside that publish they are not found."""
    found: list[object] = []

    def look(event: events.Event) -> None:
        found.append(events.written_object(OutboxMessage, 1))
        found.append(events.written_object(OutboxMessage, 2))

    events.subscribe(ThingHappened, look, events.IN_TRANSACTION)
    written = OutboxMessage(pk=1, topic="t")
    with transaction.atomic():
        events.publish(ThingHappened(key="CB-4", at=AT, tags=[]), written=[written])
        assert found == [written, None]
        assert events.written_object(OutboxMessage, 1) is None
        events.publish(ThingHappened(key="CB-5", at=AT, tags=[]))
    assert found[2:] == [None, None]
