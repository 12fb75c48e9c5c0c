"""The intake door: authenticate the integration, bound the body, check it, store it, answer.

This is the hot path of monitoring, so it does the least that keeps the promise "nothing
accepted is lost, nothing malformed is stored":

1. one indexed SELECT for the integration (only the columns the door needs);
2. the size limit from ``Content-Length`` before reading, and again while reading;
3. the secret: a bearer token (compared by SHA-256) or an HMAC-SHA256 of the body;
4. the JSON and its shape (``formats.check_*``), every bad field named;
5. one short transaction: the per-minute counter of the integration (an upsert shared by every
   process) and the INSERT of the raw body. Over the limit, it rolls back and answers 429.

Everything else (dedup into groups, cases, incidents) happens in the worker.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from datetime import datetime

from django.conf import settings
from django.db import connection, transaction

from casebridge.core import clock
from casebridge.core.errors import DomainError, PayloadTooLarge, ValidationFailed
from casebridge.core.jsonbody import JsonTooDeep, json_loads
from casebridge.core.logs import get_logger
from casebridge.core.schemas import bounded_int
from casebridge.monitoring import formats
from casebridge.monitoring.models import AuthScheme, Integration, IntegrationKind

log = get_logger(__name__)

#: The signature header each kind sends unless the integration names another.
SIGNATURE_HEADERS = {
    IntegrationKind.ALERTMANAGER: "X-Casebridge-Signature",
    IntegrationKind.GRAFANA: "X-Grafana-Alerting-Signature",
    IntegrationKind.EVENTS: "X-Casebridge-Signature",
}
#: The timestamp header an HMAC integration's sender signs with, unless the integration names
#: another (Grafana: set the contact point's "Timestamp header" to this name).
TIMESTAMP_HEADERS = {
    IntegrationKind.ALERTMANAGER: "X-Casebridge-Timestamp",
    IntegrationKind.GRAFANA: "X-Grafana-Alerting-Timestamp",
    IntegrationKind.EVENTS: "X-Casebridge-Timestamp",
}
TIMESTAMP_SKEW_SECONDS = 300


class Unauthenticated(DomainError):
    code = "unauthenticated"
    status = 401


class RateLimited(DomainError):
    code = "rate_limited"
    status = 429

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message, fields={"rate": message})
        self.retry_after = retry_after


@dataclass(frozen=True)
class Accepted:
    payload_id: int
    alerts: int
    dedup_key: str


def token_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class DoorIntegration:
    """The columns of an integration the door reads: building a model instance from them would
    cost more than the query."""

    id: int
    slug: str
    kind: str
    auth: str
    token_hash: str
    hmac_secret: str
    signature_header: str
    timestamp_header: str
    max_body_bytes: int
    rate_limit_per_minute: int

    @property
    def pk(self) -> int:
        return self.id


DOOR_FIELDS = tuple(f.name for f in fields(DoorIntegration))

#: The door's two statements, written out: the ORM would compile them on every request, which
#: costs more than running them (see docs/performance.md, issue 6).
DOOR_SELECT = (
    f"SELECT {', '.join(DOOR_FIELDS)} FROM monitoring_integration "  # noqa: S608 - constant names
    "WHERE slug = %s AND kind = %s AND enabled"
)
PAYLOAD_INSERT = (
    "INSERT INTO monitoring_payload (integration_id, received_at, body, alerts, dedup_key, state, "
    "attempts, available_at, processed_at, error) "
    "VALUES (%s, %s, %s, %s, %s, 'pending', 0, %s, NULL, '') RETURNING id"
)


def integration_for_door(kind: str, slug: str) -> DoorIntegration:
    """The enabled integration, or the same 401 as a wrong secret: whether an integration exists
    is not for someone without its secret to learn."""
    with connection.cursor() as cursor:
        cursor.execute(DOOR_SELECT, [slug, kind])
        row = cursor.fetchone()
    if row is None:
        hmac.compare_digest(token_hash(_DUMMY), token_hash(_DUMMY))  # as long as a real check
        raise _refused("no enabled integration", kind=kind, slug=slug)
    return DoorIntegration(*row)


#: Every refusal for want of a valid secret, whatever the reason, answers this one message: the
#: reason (missing, wrong, stale, unknown integration) is logged for the operator only.
REFUSED = (
    "The credentials do not open this door (or there is no such integration). Send the "
    "integration's token as 'Authorization: Bearer <token>', or sign the body and a timestamp "
    "with its secret (docs/integrations.md)"
)
_DUMMY = "cbi_" + "0" * 43


def _refused(reason: str, *, kind: str, slug: str) -> Unauthenticated:
    log.info("intake.refused", kind=kind, integration=slug[:64], reason=reason)
    return Unauthenticated(REFUSED, fields={"credentials": "Missing, wrong or stale."})


def too_large(integration: DoorIntegration, size: int | None = None) -> PayloadTooLarge:
    limit = integration.max_body_bytes
    got = f" (got {size} bytes)" if size is not None else ""
    return PayloadTooLarge(
        f"The payload is larger than the limit of {limit} bytes ({limit / 1048576:g} MiB) "
        f"of integration '{integration.slug}'{got}",
        fields={"body": f"At most {limit} bytes."},
    )


def _check_bearer(integration: DoorIntegration, headers: Mapping[str, str]) -> None:
    scheme, _, secret = (headers.get("Authorization") or "").partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        raise _refused("missing bearer token", kind=integration.kind, slug=integration.slug)
    if not hmac.compare_digest(token_hash(secret.strip()), integration.token_hash):
        raise _refused("wrong bearer token", kind=integration.kind, slug=integration.slug)


def signature_header(integration: Integration | DoorIntegration) -> str:
    return integration.signature_header or SIGNATURE_HEADERS[IntegrationKind(integration.kind)]


def sign(secret: str, body: bytes, timestamp: str = "") -> str:
    """HMAC-SHA256 as hex, of ``timestamp:body`` (Grafana's scheme); of the body alone without
    a timestamp (only for senders' tests: the door requires one)."""
    message = f"{timestamp}:".encode() + body if timestamp else body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def timestamp_header(integration: Integration | DoorIntegration) -> str:
    return integration.timestamp_header or TIMESTAMP_HEADERS[IntegrationKind(integration.kind)]


def _check_hmac(integration: DoorIntegration, headers: Mapping[str, str], body: bytes) -> None:
    """The signature covers ``<timestamp>:<body>``; a timestamp more than
    ``TIMESTAMP_SKEW_SECONDS`` from now is refused, so a captured request cannot be replayed
    later (and the fold's dedup key catches a replay within the window)."""
    kind, slug = integration.kind, integration.slug
    given = (headers.get(signature_header(integration)) or "").strip().removeprefix("sha256=")
    if not given:
        raise _refused("missing signature", kind=kind, slug=slug)
    stamp = (headers.get(timestamp_header(integration)) or "").strip()
    signed_at = bounded_int(stamp, low=0)
    now = clock.now().timestamp()
    if signed_at is None or abs(now - signed_at) > TIMESTAMP_SKEW_SECONDS:
        raise _refused("missing or stale timestamp", kind=kind, slug=slug)
    if not hmac.compare_digest(sign(integration.hmac_secret, body, stamp), given.lower()):
        raise _refused("wrong signature", kind=kind, slug=slug)


def _parse(kind: str, body: bytes) -> tuple[str, formats.Checked]:
    try:
        text = body.decode("utf-8")
        data = json_loads(text)
    except UnicodeDecodeError as exc:
        raise _malformed("the body is not UTF-8") from exc
    except json.JSONDecodeError as exc:
        raise _malformed(f"line {exc.lineno} column {exc.colno}: {exc.msg}") from exc
    except JsonTooDeep as exc:
        raise _malformed(str(exc)) from exc
    if kind == IntegrationKind.ALERTMANAGER:
        return text, formats.check_alertmanager(data)
    if kind == IntegrationKind.GRAFANA:
        return text, formats.check_grafana(data)
    return text, formats.check_event(data, new_key=uuid.uuid4().hex)


class Malformed(ValidationFailed):
    code = "malformed_json"
    status = 400


def _malformed(detail: str) -> Malformed:
    return Malformed(f"The body is not valid JSON ({detail})", fields={"body": f"{detail}."})


RATE_UPSERT = (
    "INSERT INTO monitoring_ratewindow (integration_id, minute, count) VALUES (%s, %s, 1) "
    "ON CONFLICT (integration_id, minute) DO UPDATE SET count = monitoring_ratewindow.count + 1 "
    "RETURNING count"
)


#: PostgreSQL: the minute's count and the payload in one statement, its own transaction (one
#: round trip and one commit, not four): the count goes up only while under the limit, and the
#: payload is written only if it did; no row back means refused, nothing written.
STORE_IF_UNDER_LIMIT = (
    "WITH rate AS (INSERT INTO monitoring_ratewindow AS w (integration_id, minute, count) "
    "VALUES (%s, %s, 1) ON CONFLICT (integration_id, minute) DO UPDATE SET count = w.count + 1 "
    "WHERE w.count < %s RETURNING count) "
    "INSERT INTO monitoring_payload (integration_id, received_at, body, alerts, dedup_key, state, "
    "attempts, available_at, processed_at, error) "
    "SELECT %s, %s, %s, %s, %s, 'pending', 0, %s, NULL, '' FROM rate RETURNING id"
)


def _store(integration: DoorIntegration, text: str, checked: formats.Checked) -> int:
    now = clock.now()
    minute = int(now.timestamp()) // 60
    at = connection.ops.adapt_datetimefield_value(now)
    values = [integration.pk, at, text, checked.alerts, checked.dedup_key, at]
    limit = integration.rate_limit_per_minute
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(STORE_IF_UNDER_LIMIT, [integration.pk, minute, limit, *values])
            inserted = cursor.fetchone()
    else:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(RATE_UPSERT, [integration.pk, minute])
            row = cursor.fetchone()
            if row is not None and int(row[0]) > limit:
                raise _rate_limited(integration, now)
            cursor.execute(PAYLOAD_INSERT, values)
            inserted = cursor.fetchone()
    if inserted is None:
        raise _rate_limited(integration, now)
    return int(inserted[0])


def _rate_limited(integration: DoorIntegration, now: datetime) -> RateLimited:
    retry = 60 - int(now.timestamp()) % 60
    return RateLimited(
        f"Integration '{integration.slug}' may post {integration.rate_limit_per_minute} "
        f"payloads a minute; retry in {retry} s",
        retry_after=retry,
    )


def intake_accept(
    *,
    kind: str,
    slug: str,
    headers: Mapping[str, str],
    content_length: int | None,
    read: Callable[[int], bytes],
) -> Accepted:
    """Store one delivery durably, or refuse it (4xx) having stored nothing."""
    ceiling = settings.INTAKE_MAX_BYTES
    if content_length is not None and content_length > ceiling:  # the same for any slug
        raise PayloadTooLarge(
            f"The payload is larger than the intake limit of {ceiling} bytes",
            fields={"body": f"At most {ceiling} bytes."},
        )
    integration = integration_for_door(kind, slug)
    limit = min(integration.max_body_bytes, ceiling)
    if integration.auth == AuthScheme.BEARER:
        _check_bearer(integration, headers)
        if content_length is not None and content_length > limit:
            raise too_large(integration, content_length)
    body = read(limit + 1)
    if len(body) > limit:
        raise too_large(integration)
    if integration.auth == AuthScheme.HMAC:
        _check_hmac(integration, headers, body)
    text, checked = _parse(kind, body)
    payload_id = _store(integration, text, checked)
    return Accepted(payload_id=payload_id, alerts=checked.alerts, dedup_key=checked.event_key)
