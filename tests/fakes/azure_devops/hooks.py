"""Service hooks: the fake posts ``workitem.created|updated|commented|deleted`` notifications to the
subscribed URLs with basic authentication, in the documented shape (``subscriptionId``,
``notificationId``, ``id``, ``eventType``, ``publisherId``, ``message``, ``resource``,
``resourceVersion``, ``resourceContainers``, ``createdDate``).

Notifications queue up when a work item changes and are posted by ``flush()`` (or by a background
thread after ``start()``), so a test decides when Casebridge hears of a change. ``drop_next`` and
``duplicate_next`` (or the seeded ``drop_rate`` / ``duplicate_rate``) lose or repeat deliveries, as
a real network sometimes does; a repeated delivery carries the same ``id``.
"""

from __future__ import annotations

import base64
import copy
import itertools
import json
import random
import threading
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx

from tests.fakes.azure_devops.store import Item, Store, stamp

EVENTS = ("workitem.created", "workitem.updated", "workitem.commented", "workitem.deleted")
VERBS = {
    "workitem.created": "created",
    "workitem.updated": "updated",
    "workitem.commented": "commented on",
    "workitem.deleted": "deleted",
}
#: transport(url, headers, body) -> HTTP status; the default posts over HTTP(S) with httpx.
Transport = Callable[[str, dict[str, str], bytes], int]


@dataclass
class Subscription:
    url: str
    events: frozenset[str]
    username: str
    password: str
    id: str = field(default_factory=lambda: str(uuid.uuid4()))
    notifications: Iterable[int] = field(default_factory=lambda: itertools.count(1))


@dataclass
class Delivery:
    subscription: Subscription
    payload: dict[str, Any]
    status: int | None = None
    error: str = ""

    @property
    def event_type(self) -> str:
        return str(self.payload["eventType"])


def http_transport(url: str, headers: dict[str, str], body: bytes) -> int:
    with httpx.Client(timeout=10, verify=False) as client:
        return client.post(url, content=body, headers=headers).status_code


class HookPoster:
    def __init__(self, store: Store, *, seed: int = 0) -> None:
        self.store = store
        self.subscriptions: list[Subscription] = []
        self.queue: list[Delivery] = []
        self.delivered: list[Delivery] = []
        self.dropped: list[Delivery] = []
        self.transport: Transport = http_transport
        self.rng = random.Random(seed)
        self.drop_rate = 0.0
        self.duplicate_rate = 0.0
        self._drop_next = 0
        self._duplicate_next = 0
        self._lock = threading.Condition()
        self._thread: threading.Thread | None = None
        self._running = False
        store.listeners.append(self._on_change)

    # --- configuration ---------------------------------------------------------------------------

    def subscribe(
        self,
        url: str,
        *,
        events: Iterable[str] = EVENTS,
        username: str = "",
        password: str = "",
    ) -> Subscription:
        subscription = Subscription(url, frozenset(events), username, password)
        self.subscriptions.append(subscription)
        return subscription

    def drop_next(self, count: int = 1) -> None:
        with self._lock:
            self._drop_next += count

    def duplicate_next(self, count: int = 1) -> None:
        with self._lock:
            self._duplicate_next += count

    # --- delivery --------------------------------------------------------------------------------

    def flush(self) -> list[Delivery]:
        """Post every queued notification now, in this thread; returns them."""
        with self._lock:
            batch, self.queue = self.queue, []
        for delivery in batch:
            self._post(delivery)
        return batch

    def start(self) -> None:
        """Post notifications from a background thread as they queue up (benchmarks)."""
        self._running = True
        self._thread = threading.Thread(target=self._loop, name="fake-ado-hooks", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        with self._lock:
            self._running = False
            self._lock.notify_all()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def _loop(self) -> None:
        while True:
            with self._lock:
                while self._running and not self.queue:
                    self._lock.wait(timeout=0.5)
                if not self._running:
                    return
            self.flush()

    def _post(self, delivery: Delivery) -> None:
        subscription = delivery.subscription
        body = json.dumps(delivery.payload).encode()
        headers = {"Content-Type": "application/json; charset=utf-8", "User-Agent": "VSServices"}
        if subscription.username or subscription.password:
            pair = f"{subscription.username}:{subscription.password}".encode()
            headers["Authorization"] = "Basic " + base64.b64encode(pair).decode()
        try:
            delivery.status = self.transport(subscription.url, headers, body)
        except Exception as exc:  # noqa: BLE001 - a failed delivery is recorded, as ADO does
            delivery.error = f"{type(exc).__name__}: {exc}"
        self.delivered.append(delivery)

    # --- building notifications ------------------------------------------------------------------

    def _on_change(
        self,
        event: str,
        item: Item,
        update: dict[str, Any] | None,
        comment: dict[str, Any] | None,
    ) -> None:
        resource = self._resource(event, item, update, comment)
        for subscription in self.subscriptions:
            if event not in subscription.events:
                continue
            payload = self._envelope(subscription, event, item, resource, comment)
            delivery = Delivery(subscription, payload)
            with self._lock:
                if self._drop_next or self.rng.random() < self.drop_rate:
                    self._drop_next = max(0, self._drop_next - 1)
                    self.dropped.append(delivery)
                    continue
                copies = 1
                if self._duplicate_next or self.rng.random() < self.duplicate_rate:
                    self._duplicate_next = max(0, self._duplicate_next - 1)
                    copies = 2
                for _ in range(copies):
                    self.queue.append(Delivery(subscription, copy.deepcopy(payload)))
                self._lock.notify_all()

    def _resource(
        self,
        event: str,
        item: Item,
        update: dict[str, Any] | None,
        comment: dict[str, Any] | None,
    ) -> dict[str, Any]:
        with self.store.lock:
            url = self.store.url(item)
            if event == "workitem.deleted":
                recycled = url.replace("/workItems/", "/recyclebin/")
                return {
                    "id": item.id,
                    "rev": item.rev,
                    "fields": copy.deepcopy(item.fields),
                    "_links": {"self": {"href": recycled}},
                    "url": recycled,
                }
            assert update is not None
            revision = copy.deepcopy(item.revisions[update["rev"] - 1])
        links = {
            "self": {"href": url},
            "workItemUpdates": {"href": f"{url}/updates"},
            "workItemRevisions": {"href": f"{url}/revisions"},
        }
        if event == "workitem.updated":
            return {
                "id": update["id"],
                "workItemId": item.id,
                "rev": update["rev"],
                "revisedBy": update["revisedBy"],
                "revisedDate": update["revisedDate"],
                "fields": copy.deepcopy(update["fields"]),
                **({"relations": update["relations"]} if "relations" in update else {}),
                "_links": {
                    "self": {"href": update["url"]},
                    "parent": {"href": url},
                    "workItemUpdates": {"href": f"{url}/updates"},
                },
                "url": update["url"],
                "revision": revision,
            }
        resource = {key: revision[key] for key in ("id", "rev", "fields")}
        if "relations" in revision:
            resource["relations"] = revision["relations"]
        if event == "workitem.commented" and comment is not None:
            resource["fields"]["System.History"] = comment["text"]
        return resource | {"_links": links, "url": url}

    def _envelope(
        self,
        subscription: Subscription,
        event: str,
        item: Item,
        resource: dict[str, Any],
        comment: dict[str, Any] | None,
    ) -> dict[str, Any]:
        fields = item.fields
        who = fields.get("System.ChangedBy") or {}
        name = who.get("displayName", "") if isinstance(who, dict) else str(who)
        text = f"{item.type} #{item.id} ({fields.get('System.Title', '')}) {VERBS[event]} by {name}"
        if comment is not None:
            text += f"\r\n{comment['text']}"
        base = self.store.base_url()
        return {
            "subscriptionId": subscription.id,
            "notificationId": next(iter(subscription.notifications)),
            "id": str(uuid.uuid4()),
            "eventType": event,
            "publisherId": "tfs",
            "message": {"text": text, "html": text, "markdown": text},
            "detailedMessage": {"text": text, "html": text, "markdown": text},
            "resource": resource,
            "resourceVersion": "1.0",
            "resourceContainers": {
                "collection": {"id": "c12d0eb8-e382-443b-9f9c-c52cba5014c2", "baseUrl": base},
                "account": {"id": "f844ec47-a9db-4511-8281-8b63f4eaf94e", "baseUrl": base},
                "project": {"id": item.project.id, "baseUrl": base},
            },
            "createdDate": stamp(datetime.now(UTC)),
        }
