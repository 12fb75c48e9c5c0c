"""Safe retries of API writes: the ``Idempotency-Key`` header.

A client that lost the answer to ``POST /cases`` cannot tell whether the case exists. Sent with
an ``Idempotency-Key`` (any printable text up to 255 characters, e.g. a UUID), a write runs in
one transaction with the key's row, and the answer is stored there too:

* the same key again with the same request (method, path, body) gets the first answer back,
  marked ``Idempotent-Replayed: true``, and changes nothing;
* the same key with another request is a 422 naming ``Idempotency-Key``;
* two requests with the same key at once: the second waits for the first (the key's unique row)
  and then gets its answer;
* an answer that says nothing happened for good (5xx: everything rolled back; 401, 403, 409, 423,
  429: refused before or instead of the change) keeps no key, so a retry runs again;
* keys are per sender (the bearer token, or the signed-in user) and are forgotten after
  ``CASEBRIDGE_IDEMPOTENCY_KEY_HOURS`` (default 24) by a worker job.

Monitoring, delivery and e-mail intake have their own idempotency (the sender's ids and
``Message-ID``) and are not covered here. The CLI takes ``--idempotency-key`` on the commands that
create or move (``case create``), through :func:`run_once`.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse, JsonResponse

from casebridge.core import clock
from casebridge.core.models import IdempotencyKey
from casebridge.core.retention import delete_in_batches

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 255
WRITE_METHODS = ("POST", "PUT", "PATCH", "DELETE")
#: Doors with their own idempotency (the sender's ids, Message-ID): keys do not apply.
EXEMPT_PREFIXES = ("/api/v1/intake/",)
#: Answers that change nothing for good: a retry with the same key runs again.
NOT_KEPT = frozenset({401, 403, 409, 423, 429})
#: Answers larger than this are not kept (a write's answer is a small JSON document).
MAX_STORED_BYTES = 1024 * 1024


def _refusal(status: int, code: str, message: str, hint: str) -> JsonResponse:
    return JsonResponse(
        {"code": code, "message": message, "fields": {HEADER: hint}},
        status=status,
    )


def key_error(key: str) -> str | None:
    """Why ``key`` is not a usable idempotency key, or ``None``."""
    if not key:
        return "Send a non-empty key, e.g. a UUID."
    if len(key) > MAX_KEY_LENGTH:
        return f"At most {MAX_KEY_LENGTH} characters."
    if not key.isascii() or not key.isprintable():
        return "Printable ASCII characters only."
    return None


def scope_of(request: HttpRequest) -> str | None:
    """Who sent the request: a hash of its bearer credentials, else its signed-in user."""
    authorization = request.headers.get("Authorization", "")
    if authorization:
        return "token:" + hashlib.sha256(authorization.encode()).hexdigest()[:58]
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return f"user:{user.pk}"
    return None


def fingerprint_of(request: HttpRequest) -> str:
    """A hash of what the request asks: method, path, query and body (uploads: their files)."""
    digest = hashlib.sha256()
    digest.update(f"{request.method} {request.get_full_path()}\n".encode())
    if (request.content_type or "").startswith("multipart/"):
        for name, value in sorted(request.POST.items()):
            digest.update(f"field {name}={value}\n".encode())
        for name, uploads in sorted(request.FILES.lists()):
            for upload in uploads:
                digest.update(f"file {name} {upload.name} {upload.size}\n".encode())
                for chunk in upload.chunks():
                    digest.update(chunk)
                upload.seek(0)
    else:
        digest.update(request.body)
    return digest.hexdigest()


def expired_before() -> datetime:
    return clock.now() - timedelta(hours=settings.IDEMPOTENCY_KEY_HOURS)


def replay(stored: IdempotencyKey) -> HttpResponse:
    response = HttpResponse(
        bytes(stored.body), status=stored.status, content_type=stored.content_type or None
    )
    if stored.location:
        response["Location"] = stored.location
    response["Idempotent-Replayed"] = "true"
    return response


def _claim(scope: str, key: str, fingerprint: str) -> IdempotencyKey | HttpResponse:
    """The key's new row, or the answer to give instead (a replay or a refusal).

    Inside the caller's transaction. A concurrent request holding the same key keeps its row
    uncommitted: the insert waits for it, then fails, and the stored answer is read.
    """
    now = clock.now()
    try:
        with transaction.atomic():
            return IdempotencyKey.objects.create(
                scope=scope, key=key, fingerprint=fingerprint, status=0, body=b"", created_at=now
            )
    except IntegrityError:
        pass
    stored = IdempotencyKey.objects.filter(scope=scope, key=key).first()
    if stored is None or stored.created_at < expired_before():
        # forgotten meanwhile, or too old to count: the key starts afresh
        IdempotencyKey.objects.filter(scope=scope, key=key).delete()
        return IdempotencyKey.objects.create(
            scope=scope, key=key, fingerprint=fingerprint, status=0, body=b"", created_at=now
        )
    if stored.fingerprint != fingerprint:
        return _refusal(
            422,
            "idempotency_key_reused",
            "This Idempotency-Key was used for another request; use a new key for a new request",
            "Already used with another method, path or body.",
        )
    return replay(stored)


def _keep(row: IdempotencyKey, response: HttpResponse) -> None:
    """Store the answer with the key, or drop the key when the answer changed nothing for good."""
    body = b"" if response.streaming else response.content
    if response.streaming or response.status_code in NOT_KEPT or len(body) > MAX_STORED_BYTES:
        row.delete()
        return
    row.status = response.status_code
    row.content_type = response.get("Content-Type", "")[:100]
    row.location = response.get("Location", "")[:500]
    row.body = body
    row.save(update_fields=["status", "content_type", "location", "body"])


class IdempotencyMiddleware:
    """Applies ``Idempotency-Key`` to the API's writes (see the module's docstring)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        key = request.headers.get(HEADER)
        if (
            key is None
            or request.method not in WRITE_METHODS
            or not request.path.startswith("/api/")
            or request.path.startswith(EXEMPT_PREFIXES)
        ):
            return self.get_response(request)
        problem = key_error(key)
        if problem is not None:
            return _refusal(400, "bad_request", f"Invalid {HEADER}: {problem}", problem)
        scope = scope_of(request)
        if scope is None:  # no credentials: the API answers 401 and nothing is kept
            return self.get_response(request)
        fingerprint = fingerprint_of(request)
        with transaction.atomic():
            claimed = _claim(scope, key, fingerprint)
            if isinstance(claimed, HttpResponse):
                return claimed
            response = self.get_response(request)
            if response.status_code >= 500:
                transaction.set_rollback(True)  # nothing half-written; the retry runs again
                return response
            _keep(claimed, response)
        return response


def run_once(
    scope: str, key: str | None, request: object, work: Callable[[], dict[str, object]]
) -> tuple[dict[str, object], bool]:
    """``work()`` once per ``(scope, key)``: the CLI's ``--idempotency-key``.

    ``request`` is what was asked (any JSON-able value): the same key with another request raises
    ``ValueError``. Returns the result (stored as JSON with the key, in the same transaction as the
    work) and whether it was replayed.
    """
    if key is None:
        return work(), False
    problem = key_error(key)
    if problem is not None:
        raise ValueError(f"--idempotency-key: {problem}")
    fingerprint = hashlib.sha256(
        json.dumps(request, sort_keys=True, default=str).encode()
    ).hexdigest()
    with transaction.atomic():
        claimed = _claim(scope, key, fingerprint)
        if isinstance(claimed, HttpResponse):
            if claimed.status_code == 422:
                raise ValueError(
                    "--idempotency-key: already used with other arguments; use a new key"
                )
            stored: dict[str, object] = json.loads(claimed.content)
            return stored, True
        result = work()
        claimed.status = 200
        claimed.content_type = "application/json"
        claimed.body = json.dumps(result, default=str).encode()
        claimed.save(update_fields=["status", "content_type", "body"])
    return result, False


def forget_expired() -> int:
    """The worker's job: delete keys older than the retention, in batches. Returns how many."""
    return delete_in_batches(IdempotencyKey.objects.filter(created_at__lt=expired_before()))
