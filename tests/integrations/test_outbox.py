"""The outbox as a delivery engine: claims with leases, outcomes, backoff, dead letters,
circuits per destination, idempotent fan-out. Time is moved with time-machine."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.db import connections, transaction

from casebridge.core import clock
from casebridge.integrations import outbox
from casebridge.integrations.claims import outbox_claim, outbox_record
from casebridge.integrations.models import OutboxCircuit, OutboxMessage, OutboxState
from casebridge.integrations.outbox import (
    PermanentFailure,
    RetryLater,
    backoff,
    derived_key,
    outbox_enqueue,
    outbox_enqueue_for,
    register,
)
from casebridge.integrations.relay import Relay, outbox_deliver_due, outcome_of

T0 = "2026-12-01 09:00Z"


@pytest.fixture(autouse=True)
def handlers(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test registers its own subscribers."""
    monkeypatch.setattr(outbox, "_handlers", {})


@pytest.fixture
def clock_at() -> Iterator[time_machine.Traveller]:
    with time_machine.travel(T0, tick=False) as traveller:
        yield traveller


def enqueue(topic: str, n: int = 1, destination: str = "", **payload: Any) -> list[OutboxMessage]:
    with transaction.atomic():
        return [
            outbox_enqueue(topic=topic, key=f"K-{i}", payload=payload, destination=destination)
            for i in range(n)
        ]


def fresh(message: OutboxMessage) -> OutboxMessage:
    return OutboxMessage.objects.get(pk=message.pk)


@pytest.mark.django_db(transaction=True)
def test_enqueue_belongs_inside_the_transaction_of_the_change() -> None:
    with pytest.raises(RuntimeError, match="inside the transaction"):
        outbox_enqueue(topic="case.created", payload={})


@pytest.mark.django_db
def test_a_topic_nobody_listens_to_is_recorded_as_having_no_receiver(clock_at: Any) -> None:
    heard: list[str] = []
    register("case.created", lambda m: heard.append(m.key))
    unheard = enqueue("case.commented", 3)
    enqueue("case.created")
    assert outbox_deliver_due(limit=10) == 4
    assert heard == ["K-0"]
    for message in map(fresh, unheard):
        assert message.state == OutboxState.NO_RECEIVER
        assert message.delivered_at is None and message.finished_at == clock.now()
    delivered = OutboxMessage.objects.get(topic="case.created")
    assert delivered.state == OutboxState.DELIVERED and delivered.delivered_at == clock.now()
    assert delivered.attempts == 1 and delivered.lease_token == ""
    assert outbox_deliver_due(limit=10) == 0


@pytest.mark.django_db(transaction=True)
def test_handlers_run_after_the_commit_outside_any_transaction() -> None:
    seen: list[tuple[bool, bool]] = []

    def handler(message: OutboxMessage) -> None:
        committed = OutboxMessage.objects.filter(pk=message.pk).exists()
        seen.append((transaction.get_connection().in_atomic_block, committed))

    register("case.created", handler)
    enqueue("case.created")
    assert outbox_deliver_due() == 1
    assert seen == [(False, True)]


@pytest.mark.django_db
def test_a_failing_handler_is_retried_with_backoff_then_delivered(clock_at: Any) -> None:
    calls: list[int] = []

    def flaky(message: OutboxMessage) -> None:
        calls.append(message.attempts)
        if len(calls) < 3:
            raise ConnectionError("receiver down")

    register("case.created", flaky)
    [message] = enqueue("case.created")
    outbox_deliver_due()
    message = fresh(message)
    assert message.state == OutboxState.PENDING and message.attempts == 1
    assert message.last_error == "ConnectionError: receiver down"
    wait = (message.available_at - clock.now()).total_seconds()
    assert 1.0 <= wait <= 2.0  # base 2 s, half fixed, half random
    assert outbox_deliver_due() == 0  # not due yet
    clock_at.shift(timedelta(seconds=2))
    outbox_deliver_due()
    wait = (fresh(message).available_at - clock.now()).total_seconds()
    assert 2.0 <= wait <= 4.0  # doubled
    clock_at.shift(timedelta(seconds=4))
    outbox_deliver_due()
    assert calls == [1, 2, 3]
    assert fresh(message).state == OutboxState.DELIVERED


def test_backoff_doubles_with_jitter_and_stops_at_the_cap(settings: Any) -> None:
    settings.OUTBOX_BACKOFF_BASE_SECONDS = 2.0
    settings.OUTBOX_BACKOFF_CAP_SECONDS = 60.0
    for attempts, low, high in ((1, 1, 2), (2, 2, 4), (5, 16, 32), (6, 30, 60), (30, 30, 60)):
        waits = {backoff(attempts).total_seconds() for _ in range(50)}
        assert all(low <= w <= high for w in waits), (attempts, waits)
        assert len(waits) > 1, "jittered"


@pytest.mark.django_db
def test_retry_later_honours_the_receivers_wait(clock_at: Any) -> None:
    def busy(message: OutboxMessage) -> None:
        raise RetryLater("HTTP 503", after_seconds=120)

    register("case.created", busy)
    [message] = enqueue("case.created")
    outbox_deliver_due()
    assert fresh(message).available_at == clock.now() + timedelta(seconds=120)


@pytest.mark.django_db
def test_a_permanent_failure_is_a_dead_letter_at_once(clock_at: Any) -> None:
    def refuse(message: OutboxMessage) -> None:
        raise PermanentFailure("HTTP 400: invalid_payload")

    register("case.created", refuse)
    [message] = enqueue("case.created")
    outbox_deliver_due()
    message = fresh(message)
    assert message.state == OutboxState.DEAD and message.attempts == 1
    assert message.last_error == "HTTP 400: invalid_payload"
    assert message.finished_at == clock.now()


@pytest.mark.django_db
def test_after_the_last_attempt_a_message_is_a_dead_letter(clock_at: Any, settings: Any) -> None:
    settings.OUTBOX_MAX_ATTEMPTS = 3

    def down(message: OutboxMessage) -> None:
        raise TimeoutError("no answer")

    register("case.created", down)
    [message] = enqueue("case.created")
    for _ in range(3):
        outbox_deliver_due()
        clock_at.shift(timedelta(hours=1))
    message = fresh(message)
    assert message.state == OutboxState.DEAD and message.attempts == 3
    assert message.last_error == "TimeoutError: no answer (gave up after 3 attempts)"
    assert outbox_deliver_due() == 0


@pytest.mark.django_db
def test_a_lease_hides_a_claimed_message_until_it_runs_out(clock_at: Any) -> None:
    [message] = enqueue("case.created")
    [first] = outbox_claim(limit=10, lease_seconds=30)
    assert first.attempts == 1 and first.lease_token
    assert outbox_claim(limit=10, lease_seconds=30) == []  # another relay sees nothing
    clock_at.shift(timedelta(seconds=31))  # the first relay died: its lease ran out
    [second] = outbox_claim(limit=10, lease_seconds=30)
    assert second.pk == message.pk and second.attempts == 2
    assert second.lease_token != first.lease_token
    late = outcome_of(first, None, clock.now())
    assert outbox_record([late]) == 0, "the dead relay's outcome no longer counts"
    assert fresh(message).state == OutboxState.PENDING
    assert outbox_record([outcome_of(second, None, clock.now())]) == 1
    assert fresh(message).state == OutboxState.DELIVERED


@pytest.mark.django_db
def test_a_message_whose_lease_is_nearly_out_is_left_for_the_next_claim(clock_at: Any) -> None:
    delivered: list[int] = []
    register("case.created", lambda m: delivered.append(m.pk))
    enqueue("case.created")
    [claimed] = outbox_claim(limit=1, lease_seconds=0.5)
    from casebridge.integrations.relay import deliver_one

    assert deliver_one(claimed) is None
    assert delivered == []


@pytest.mark.django_db
def test_a_failing_destination_opens_its_circuit_and_holds_back_no_other(
    clock_at: Any, settings: Any
) -> None:
    settings.OUTBOX_CIRCUIT_THRESHOLD = 3
    settings.OUTBOX_CIRCUIT_COOLDOWN_SECONDS = 30
    delivered: list[str] = []

    def deliver(message: OutboxMessage) -> None:
        if message.destination == "webhook:1":
            raise ConnectionRefusedError("down")
        delivered.append(message.key)

    register("webhook.deliver", deliver)
    enqueue("webhook.deliver", 3, destination="webhook:1")
    outbox_deliver_due()
    circuit = OutboxCircuit.objects.get(destination="webhook:1")
    assert circuit.failures == 3 and circuit.open_until == clock.now() + timedelta(seconds=30)
    clock_at.shift(timedelta(seconds=10))  # the failed messages are due again, the circuit open
    enqueue("webhook.deliver", 2, destination="webhook:2")
    assert outbox_deliver_due() == 2  # only webhook:2's
    assert delivered == ["K-0", "K-1"]
    assert OutboxMessage.objects.filter(destination="webhook:1", attempts=1).count() == 3
    clock_at.shift(timedelta(seconds=25))  # cooldown over: tried again, still down
    assert outbox_deliver_due() == 3
    circuit.refresh_from_db()
    assert circuit.failures == 6 and circuit.open_until == clock.now() + timedelta(seconds=60)


@pytest.mark.django_db
def test_a_success_closes_the_circuit(clock_at: Any, settings: Any) -> None:
    settings.OUTBOX_CIRCUIT_THRESHOLD = 2
    OutboxCircuit.objects.create(
        destination="webhook:1", failures=5, open_until=clock.now(), updated_at=clock.now()
    )
    register("webhook.deliver", lambda m: None)
    enqueue("webhook.deliver", destination="webhook:1")
    assert outbox_deliver_due() == 1
    circuit = OutboxCircuit.objects.get(destination="webhook:1")
    assert circuit.failures == 0 and circuit.open_until is None


@pytest.mark.django_db
def test_a_receiver_that_asks_to_slow_down_pauses_its_destination(clock_at: Any) -> None:
    calls: list[str] = []

    def throttled(message: OutboxMessage) -> None:
        calls.append(message.key)
        if message.key == "K-0":
            raise RetryLater("HTTP 429: rate_limited", after_seconds=5, throttled=True)

    register("webhook.deliver", throttled)
    first = enqueue("webhook.deliver", 1, destination="webhook:7")
    outbox_deliver_due()
    circuit = OutboxCircuit.objects.get(destination="webhook:7")
    assert circuit.open_until == clock.now() + timedelta(seconds=5)
    assert circuit.failures == 0, "a throttle is not a failure"
    enqueue("webhook.deliver", 1, destination="webhook:7")
    assert outbox_deliver_due() == 0, "paused"
    clock_at.shift(timedelta(seconds=5))
    assert outbox_deliver_due() == 2
    assert fresh(first[0]).attempts == 2


@pytest.mark.django_db
def test_fanning_out_twice_adds_each_delivery_once() -> None:
    def fan_out(message: OutboxMessage) -> None:
        with transaction.atomic():
            for destination in ("webhook:1", "webhook:2"):
                outbox_enqueue_for(
                    cause=message,
                    destination=destination,
                    topic="webhook.deliver",
                    key="CB-1",
                    payload={"n": 1},
                )

    register("case.created", fan_out)
    [cause] = enqueue("case.created")
    outbox_deliver_due()
    cause = fresh(cause)
    fan_out(cause)  # the relay died after fanning out: the handler runs again
    children = OutboxMessage.objects.filter(topic="webhook.deliver").order_by("destination")
    assert [c.destination for c in children] == ["webhook:1", "webhook:2"]
    assert [c.idempotency_key for c in children] == [
        derived_key(cause, "webhook:1"),
        derived_key(cause, "webhook:2"),
    ]


@pytest.mark.django_db(transaction=True)
def test_two_relays_with_threads_deliver_each_message_once() -> None:
    counts: Counter[int] = Counter()
    lock = threading.Lock()

    def count(message: OutboxMessage) -> None:
        with lock:
            counts[message.pk] += 1

    register("case.created", count)
    messages = enqueue("case.created", 300)
    relays = [Relay(concurrency=3, batch=40) for _ in range(2)]
    stop = threading.Event()

    def run(relay: Relay) -> None:
        try:
            relay.run(stop)
        finally:
            connections.close_all()

    runners = [threading.Thread(target=run, args=(r,)) for r in relays]
    for runner in runners:
        runner.start()
    try:
        for _ in range(200):
            if not OutboxMessage.objects.filter(state=OutboxState.PENDING).exists():
                break
            stop.wait(0.05)
    finally:
        stop.set()
        for runner in runners:
            runner.join(timeout=30)
        for relay in relays:
            relay.close()
    assert sorted(counts) == [m.pk for m in messages]
    assert set(counts.values()) == {1}
    assert OutboxMessage.objects.filter(state=OutboxState.DELIVERED).count() == 300
