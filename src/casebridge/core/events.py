"""Domain events: how one app hears that something changed in another, without importing it.

An event is a frozen dataclass subclassing ``Event``, named in the past tense
(``WorkItemTransitioned``). The one service or workflow effect that makes a change publishes it,
inside the change's transaction::

    events.publish(WorkItemTransitioned(key=item.key, action="validate", ...))

The app that reacts subscribes in its ``AppConfig.ready()``, in one of two ways:

* ``subscribe(Event, handler, IN_TRANSACTION)``: ``handler(event)`` runs at once, inside the
  change's transaction, for state that must agree at commit (linked cases follow their work item,
  sprint entries follow). If it raises, the change rolls back.
* ``subscribe(Event, handler, AFTER_COMMIT)``: publishing writes one outbox row per such
  subscriber (topic ``event.<Name>``, destination ``subscriber:<name>``) in the change's
  transaction; the relay calls ``handler(event)`` after the commit, outside any transaction, at
  least once, with the outbox's retries, backoff and dead letters, one subscriber independent of
  another. Such a handler must be idempotent (``event.event_id`` is stable across retries).

A publisher never imports its subscribers: the registry (``subscriptions()``) is the map of who
hears what, and ``docs/architecture.md`` shows it as a table that a test compares with it.
"""

from __future__ import annotations

import dataclasses
import typing
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import ClassVar

from django.db import transaction

from casebridge.core.actors import Actor
from casebridge.core.jsonbody import JsonValue
from casebridge.integrations.models import OutboxMessage
from casebridge.integrations.outbox import PermanentFailure, outbox_enqueue_many

TOPIC_PREFIX = "event."


class When(StrEnum):
    IN_TRANSACTION = "in transaction"
    AFTER_COMMIT = "after commit"


IN_TRANSACTION = When.IN_TRANSACTION
AFTER_COMMIT = When.AFTER_COMMIT


@dataclass(frozen=True, kw_only=True)
class Event:
    """A fact about a change, published in the change's transaction. Fields hold plain values
    (str, int, float, bool, None, datetime, lists and dicts of them), never model instances,
    so that an after-commit subscriber reads the same event from the outbox."""

    #: Stable across the outbox's retries, for idempotent subscribers.
    event_id: str = field(default_factory=lambda: uuid.uuid4().hex)
    #: The class name, the outbox topic's tail (``event.WorkItemTransitioned``).
    name: ClassVar[str] = ""

    def __init_subclass__(cls, **kwargs: object) -> None:
        super().__init_subclass__(**kwargs)
        cls.name = cls.__name__
        _types[cls.__name__] = cls

    @property
    def subject_key(self) -> str:
        """The key of the object the event is about (``CB-12``), for logs and the outbox."""
        return str(getattr(self, "key", ""))

    def to_payload(self) -> dict[str, JsonValue]:
        return {f.name: _plain(getattr(self, f.name)) for f in dataclasses.fields(self)}

    @classmethod
    def from_payload(cls, payload: Mapping[str, object]) -> Event:
        hints = typing.get_type_hints(cls)
        values: dict[str, object] = {}
        for f in dataclasses.fields(cls):
            if f.name not in payload:
                continue
            value = payload[f.name]
            if isinstance(value, str) and _is_datetime(hints.get(f.name)):
                value = datetime.fromisoformat(value)
            values[f.name] = value
        construct: Callable[..., Event] = cls  # the dataclass checks the fields it is given
        return construct(**values)


#: A subscriber as the registry keeps it; ``subscribe`` checks that it takes its event type.
Handler = Callable[..., object]


@dataclass(frozen=True)
class Subscription:
    event: type[Event]
    handler: Handler
    when: When

    @property
    def subscriber(self) -> str:
        """``casebridge.cases.subscribers.follow_work_item``: where to read the reaction."""
        return f"{self.handler.__module__}.{self.handler.__qualname__}"


_types: dict[str, type[Event]] = {}
_subscriptions: list[Subscription] = []
_recording: list[list[Event]] = []
#: The objects the changes being published wrote (``publish(written=...)``), innermost last.
_written: ContextVar[tuple[object, ...]] = ContextVar("events_written", default=())


def actor_id(actor: Actor | None) -> int | None:
    """The id an event records for who acted: a user's pk, None for Casebridge itself."""
    return None if actor is None else actor.pk


def subscribe[E: Event](event: type[E], handler: Callable[[E], object], when: When) -> None:
    """Make ``handler`` hear every ``event`` (call it from ``AppConfig.ready()``)."""
    subscription = Subscription(event, handler, When(when))
    if not any(
        s.event is event and s.subscriber == subscription.subscriber for s in _subscriptions
    ):
        _subscriptions.append(subscription)


def subscriptions(event: type[Event] | None = None) -> list[Subscription]:
    """Every subscription (of ``event``), in registration order."""
    return [s for s in _subscriptions if event is None or s.event is event]


def publish(
    event: Event, *, outbox: Sequence[OutboxMessage] = (), written: Sequence[object] = ()
) -> None:
    """Tell the subscribers of ``event``: in-transaction ones now, after-commit ones through the
    outbox. Call it inside the change's transaction, after the change is written.

    ``outbox``: the change's own messages (``outbox_message``, built before), written in the
    same statement as the after-commit subscribers' rows, ahead of them. ``written``: model
    instances the change has just written, as they are in the database: an in-transaction
    subscriber takes them with ``written_object`` instead of reading them back."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError(f"publish({event.name}) must be called inside the change's transaction")
    for recorder in _recording:
        recorder.append(event)
    later: list[tuple[str, str, Mapping[str, object], str]] = []
    token = _written.set((*_written.get(), *written)) if written else None
    try:
        for s in subscriptions(type(event)):
            if s.when is When.IN_TRANSACTION:
                s.handler(event)
            else:
                later.append(
                    (
                        f"{TOPIC_PREFIX}{event.name}",
                        event.subject_key[:64],
                        event.to_payload(),
                        f"subscriber:{s.subscriber}"[:80],
                    )
                )
    finally:
        if token is not None:
            _written.reset(token)
    if later or outbox:  # one round trip for every after-commit subscriber's row
        outbox_enqueue_many(later, written_with=outbox)


def written_object[T](model: type[T], pk: object) -> T | None:
    """For an in-transaction subscriber: the ``model`` instance with primary key ``pk`` that the
    change being published wrote and passed as ``publish(written=...)``, else None (read it)."""
    for obj in reversed(_written.get()):
        if type(obj) is model and getattr(obj, "pk", None) == pk:
            assert isinstance(obj, model)
            return obj
    return None


def deliver(message: OutboxMessage) -> None:
    """The outbox handler of every ``event.*`` message: call its one after-commit subscriber."""
    name = message.topic.removeprefix(TOPIC_PREFIX)
    event_type = _types.get(name)
    if event_type is None:
        raise PermanentFailure(f"no event type {name!r}")
    target = message.destination.removeprefix("subscriber:")
    for s in subscriptions(event_type):
        if s.when is When.AFTER_COMMIT and s.subscriber[:69] == target:
            s.handler(event_type.from_payload(message.payload))
            return
    raise PermanentFailure(f"no after-commit subscriber {target!r} of {name}")


@contextmanager
def recorded() -> Iterator[list[Event]]:
    """For tests: the events published inside the block, in order."""
    seen: list[Event] = []
    _recording.append(seen)
    try:
        yield seen
    finally:
        _recording.remove(seen)


def _plain(value: object) -> JsonValue:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if value is None or isinstance(value, str | int | float | bool):
        return value
    raise TypeError(f"an event holds plain values, not {type(value).__name__}")


def _is_datetime(hint: object) -> bool:
    return hint is datetime or datetime in typing.get_args(hint)
