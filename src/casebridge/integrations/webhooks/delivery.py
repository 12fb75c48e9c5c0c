"""The handler of ``webhook.deliver`` messages: one notice posted to one destination.

It runs in the relay's threads. The destination's URL and secret are unsealed once and kept
for a few seconds (``TARGET_TTL``), so a busy destination costs no database read per message;
a destination removed in another process stops receiving within that time (its pending
messages are discarded when it is removed).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

from casebridge.integrations import http
from casebridge.integrations.models import OutboxMessage, WebhookDestination, WebhookKind
from casebridge.integrations.notices import Notice
from casebridge.integrations.outbox import PermanentFailure
from casebridge.integrations.webhooks import formats

TOPIC = "webhook.deliver"
TARGET_TTL = 5.0


@dataclass(frozen=True)
class Target:
    kind: str
    url: str
    secret: str

    def __repr__(self) -> str:  # never show the URL or the secret in logs or tracebacks
        return f"Target({self.kind})"


_targets: dict[int, tuple[float, Target | None]] = {}
_lock = threading.Lock()


def target_of(destination: WebhookDestination) -> Target:
    return Target(destination.kind, str(destination.url), str(destination.signing_secret or ""))


def _target(destination_id: int) -> Target | None:
    now = time.monotonic()
    cached = _targets.get(destination_id)
    if cached is not None and cached[0] > now:
        return cached[1]
    found = WebhookDestination.objects.filter(pk=destination_id).first()
    target = target_of(found) if found is not None else None
    with _lock:
        _targets[destination_id] = (now + TARGET_TTL, target)
    return target


def forget(destination_id: int) -> None:
    """Drop a destination from this process's cache (it was removed)."""
    with _lock:
        _targets.pop(destination_id, None)


def request_of(
    target: Target, message: OutboxMessage, notice: Notice
) -> tuple[bytes, dict[str, str]]:
    """The body and headers of the delivery of ``notice`` to ``target``."""
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        formats.IDEMPOTENCY_HEADER: str(message.idempotency_key),
    }
    if target.kind == WebhookKind.SLACK:
        return formats.encode(formats.slack_body(notice)), headers
    if target.kind == WebhookKind.TEAMS:
        return formats.encode(formats.teams_body(notice)), headers
    body = formats.encode(formats.generic_body(message, notice))
    timestamp = int(time.time())
    headers[formats.EVENT_HEADER] = notice.topic
    headers[formats.TIMESTAMP_HEADER] = str(timestamp)
    headers[formats.SIGNATURE_HEADER] = formats.sign(target.secret, timestamp, body)
    return body, headers


def send(target: Target, message: OutboxMessage, notice: Notice) -> http.Answer:
    """Post and judge: returns the answer if accepted, raises the outcome otherwise."""
    body, headers = request_of(target, message, notice)
    answer = http.post(target.url, body, headers)
    if not 200 <= answer.status < 300:
        http.judge(answer, formats.refusal(target.kind, answer))
    return answer


def webhook_deliver(message: OutboxMessage) -> None:
    target = _target(int(message.payload["destination"]))
    if target is None:
        raise PermanentFailure("The destination was removed")
    send(target, message, Notice.from_payload(message.payload["notice"]))
