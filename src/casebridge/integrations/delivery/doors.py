"""The inbound doors of the development side: authenticate the source, bound the body, check it,
store it, answer. Nothing else happens here (see ``processing.py``).

* Azure DevOps service hooks (work items, pipelines, repos): HTTP basic auth, the password being
  the source's secret (the user name is not checked: Azure DevOps lets you type any).
* GitHub: ``X-Hub-Signature-256: sha256=<HMAC-SHA256 of the body>``.
* Generic deployment events: ``X-Casebridge-Signature: sha256=<HMAC-SHA256 of
  "<X-Casebridge-Timestamp>." + body>``, refused when the timestamp is more than the source's
  tolerance away from now (a captured request cannot be replayed later).

An unknown source and a wrong secret get the same 401. The body is stored with the headers that
matter (never ``Authorization`` or a signature) before the 202; a delivery id seen before is
answered 200 ``duplicate`` and not stored again (the database holds one row per source and id).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, connection, transaction

from casebridge.core import clock
from casebridge.core.errors import PayloadTooLarge, ValidationFailed
from casebridge.core.jsonbody import JsonTooDeep, json_loads
from casebridge.core.schemas import bounded_int
from casebridge.integrations.delivery import checks
from casebridge.integrations.delivery.models import DeliverySource, InboundEvent, SourceKind
from casebridge.monitoring.intake import Malformed, RateLimited, Unauthenticated

__all__ = ["Answer", "RateLimited", "door_accept", "sign"]

DEFAULT_MAX_BYTES = 1024 * 1024
SIGNATURE = "X-Casebridge-Signature"
TIMESTAMP = "X-Casebridge-Timestamp"
GITHUB_SIGNATURE = "X-Hub-Signature-256"
KEPT_HEADERS: dict[str, tuple[str, ...]] = {
    SourceKind.GITHUB: (
        "X-GitHub-Event",
        "X-GitHub-Delivery",
        "X-GitHub-Hook-ID",
        "X-GitHub-Hook-Installation-Target-Type",
        "X-GitHub-Hook-Installation-Target-ID",
    ),
    SourceKind.DEPLOYMENTS: (TIMESTAMP, "X-Casebridge-Delivery"),
}
COMMON_HEADERS = ("Content-Type", "User-Agent", "X-Request-Id")
WRONG = "The secret does not open this door (or there is no such source)"
#: Compared against when the source does not exist, so both answers take as long.
_DUMMY = "cbd_" + "0" * 43


@dataclass(frozen=True)
class Answer:
    status: int
    body: dict[str, object]


def sign(secret: str, body: bytes, timestamp: str = "") -> str:
    """Hex HMAC-SHA256 of the body, or of ``"<timestamp>." + body`` for signed events."""
    message = f"{timestamp}.".encode() + body if timestamp else body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def source_for_door(kind: str, slug: str) -> DeliverySource | None:
    return DeliverySource.objects.filter(kind=kind, slug=slug, enabled=True).first()


def _secret(source: DeliverySource | None) -> str:
    return str(source.secret) if source is not None else _DUMMY


def _check_basic(source: DeliverySource | None, headers: Mapping[str, str]) -> None:
    scheme, _, encoded = (headers.get("Authorization") or "").partition(" ")
    if scheme.lower() != "basic" or not encoded.strip():
        raise Unauthenticated(
            "Send the source's secret as the password of HTTP basic authentication",
            fields={"Authorization": "Missing basic authentication."},
        )
    try:
        _, _, password = base64.b64decode(encoded.strip(), validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        password = ""
    if not hmac.compare_digest(password.encode(), _secret(source).encode()) or source is None:
        raise Unauthenticated(WRONG, fields={"Authorization": "Wrong secret."})


def _signature(headers: Mapping[str, str], name: str) -> str:
    given = (headers.get(name) or "").strip()
    if not given.startswith("sha256="):
        raise Unauthenticated(
            f"Sign the body with the source's secret in {name}: sha256=<hex>",
            fields={name: "Missing signature."},
        )
    return given.removeprefix("sha256=").lower()


def _check_github(source: DeliverySource | None, headers: Mapping[str, str], body: bytes) -> None:
    given = _signature(headers, GITHUB_SIGNATURE)
    if not hmac.compare_digest(sign(_secret(source), body), given) or source is None:
        raise Unauthenticated(WRONG, fields={GITHUB_SIGNATURE: "Wrong signature."})


def _check_signed(source: DeliverySource | None, headers: Mapping[str, str], body: bytes) -> str:
    given = _signature(headers, SIGNATURE)
    stamp = (headers.get(TIMESTAMP) or "").strip()
    tolerance = source.tolerance_seconds if source is not None else 300
    now = int(clock.now().timestamp())
    signed_at = bounded_int(stamp, low=0)
    if signed_at is None or abs(now - signed_at) > tolerance:
        raise Unauthenticated(
            f"Send the Unix time of signing in {TIMESTAMP}, within {tolerance} s of now",
            fields={TIMESTAMP: "Missing, or too far from now."},
        )
    if not hmac.compare_digest(sign(_secret(source), body, stamp), given) or source is None:
        raise Unauthenticated(WRONG, fields={SIGNATURE: "Wrong signature."})
    return given


def _too_large(limit: int, size: int | None = None) -> PayloadTooLarge:
    got = f" (got {size} bytes)" if size is not None else ""
    return PayloadTooLarge(
        f"The delivery is larger than this source's limit of {limit} bytes{got}",
        fields={"body": f"At most {limit} bytes."},
    )


def _parse(body: bytes) -> tuple[str, Mapping[str, object]]:
    try:
        text = body.decode("utf-8")
        data = json_loads(text)
    except UnicodeDecodeError as exc:
        raise Malformed("The body is not UTF-8", fields={"body": "Not UTF-8."}) from exc
    except json.JSONDecodeError as exc:
        where = f"line {exc.lineno} column {exc.colno}: {exc.msg}"
        raise Malformed(f"The body is not valid JSON ({where})", fields={"body": where}) from exc
    except JsonTooDeep as exc:
        raise Malformed(f"The body is not valid JSON ({exc})", fields={"body": f"{exc}."}) from exc
    if not isinstance(data, dict):
        raise ValidationFailed("The body must be a JSON object", fields={"body": "Not an object."})
    return text, data


RATE_UPSERT = (
    "INSERT INTO delivery_sourceminute (source_id, minute, count) VALUES (%s, %s, 1) "
    "ON CONFLICT (source_id, minute) DO UPDATE SET count = delivery_sourceminute.count + 1 "
    "RETURNING count"
)


def _store(
    source: DeliverySource, delivery_id: str, event_type: str, headers: dict[str, str], text: str
) -> Answer:
    now = clock.now()
    minute = int(now.timestamp()) // 60
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(RATE_UPSERT, [source.pk, minute])
            row = cursor.fetchone()
        if row is not None and int(row[0]) > source.rate_limit_per_minute:
            retry = 60 - int(now.timestamp()) % 60
            raise RateLimited(
                f"Source '{source.slug}' may deliver {source.rate_limit_per_minute} times a "
                f"minute; retry in {retry} s",
                retry_after=retry,
            )
        try:
            with transaction.atomic():
                event = InboundEvent.objects.create(
                    source=source,
                    delivery_id=delivery_id,
                    event_type=event_type,
                    headers=headers,
                    body=text,
                    received_at=now,
                )
        except IntegrityError:
            seen = InboundEvent.objects.filter(source=source, delivery_id=delivery_id).first()
            return Answer(200, {"status": "duplicate", "event": seen.pk if seen else None})
    return Answer(202, {"status": "accepted", "event": event.pk, "event_type": event_type})


def door_accept(
    *,
    kind: str,
    slug: str,
    headers: Mapping[str, str],
    content_length: int | None,
    read: Callable[[int], bytes],
) -> Answer:
    """Store one delivery durably, or refuse it (4xx) having stored nothing."""
    source = source_for_door(kind, slug)
    basic = kind in (SourceKind.AZURE_DEVOPS, SourceKind.AZURE_PIPELINES, SourceKind.AZURE_REPOS)
    if basic:
        _check_basic(source, headers)
    limit = min(source.max_body_bytes if source else DEFAULT_MAX_BYTES, settings.INTAKE_MAX_BYTES)
    # Before a signature is checked, only the ceiling common to every source applies: a source's
    # own limit would tell a stranger that it exists.
    before_auth = limit if basic else settings.INTAKE_MAX_BYTES
    if content_length is not None and content_length > before_auth:
        raise _too_large(before_auth, content_length)
    body = read(before_auth + 1)
    if len(body) > before_auth:
        raise _too_large(before_auth)
    signature = ""
    if kind == SourceKind.GITHUB:
        _check_github(source, headers, body)
    elif kind == SourceKind.DEPLOYMENTS:
        signature = _check_signed(source, headers, body)
    assert source is not None  # every check above refuses an unknown source
    if len(body) > limit:
        raise _too_large(limit, len(body))
    text, data = _parse(body)
    checked = checks.check(source, headers, data)
    if checked.ignored:
        status = "pong" if checked.ignored == "pong" else "ignored"
        return Answer(
            200, {"status": status, "event_type": checked.event_type, "reason": checked.ignored}
        )
    kept = {
        name: headers[name]
        for name in (*COMMON_HEADERS, *KEPT_HEADERS.get(kind, ()))
        if headers.get(name)
    }
    return _store(source, checked.delivery_id or signature, checked.event_type, kept, text)
