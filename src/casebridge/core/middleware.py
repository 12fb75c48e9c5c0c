from __future__ import annotations

import time
import uuid
from collections.abc import Callable

import structlog
from django.http import HttpRequest, HttpResponse

log = structlog.get_logger("casebridge.request")


class RequestLogMiddleware:
    """One JSON line per request: method, path, status, duration and a request id. No bodies."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request_id = request.headers.get("X-Request-Id") or uuid.uuid4().hex
        structlog.contextvars.bind_contextvars(request_id=request_id)
        started = time.perf_counter()
        try:
            response = self.get_response(request)
        finally:
            structlog.contextvars.unbind_contextvars("request_id")
        response["X-Request-Id"] = request_id
        if request.path not in ("/healthz", "/readyz", "/metrics"):
            log.info(
                "request",
                method=request.method,
                path=request.path,
                status=response.status_code,
                ms=round((time.perf_counter() - started) * 1000, 1),
                request_id=request_id,
            )
        return response


JSON_TYPES = ("application/json",)
UPLOAD_TYPES = ("multipart/form-data",)


class ApiBodyGuardMiddleware:
    """Refuse API bodies of the wrong type (415) or size (413) before anything parses them.

    Upload endpoints (paths ending in ``/attachments``) take multipart bodies up to the attachment
    limit; monitoring intake (``/api/v1/intake/``) takes JSON up to ``INTAKE_MAX_BYTES`` here and
    then up to its integration's own limit; every other API write takes JSON up to
    ``DATA_UPLOAD_MAX_MEMORY_SIZE``.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path.startswith("/api/") and request.method in ("POST", "PUT", "PATCH"):
            refusal = self._refusal(request)
            if refusal is not None:
                return refusal
        return self.get_response(request)

    @staticmethod
    def _refusal(request: HttpRequest) -> HttpResponse | None:
        from django.conf import settings
        from django.http import JsonResponse

        is_upload = request.path.rstrip("/").endswith("/attachments")
        if is_upload:
            limit = settings.ATTACHMENT_MAX_BYTES + 64 * 1024
        elif request.path.startswith("/api/v1/intake/"):
            limit = settings.INTAKE_MAX_BYTES
        else:
            limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > limit:
            mib = limit / (1024 * 1024)
            return JsonResponse(
                {
                    "code": "too_large",
                    "message": f"The request body is larger than the limit of {mib:.1f} MiB",
                    "fields": {"file" if is_upload else "body": f"At most {mib:.1f} MiB."},
                },
                status=413,
            )
        if length == 0:
            return None
        content_type = request.content_type or ""
        allowed = UPLOAD_TYPES if is_upload else JSON_TYPES
        if content_type not in allowed:
            return JsonResponse(
                {
                    "code": "unsupported_media_type",
                    "message": f"Send {allowed[0]}, not '{content_type or 'nothing'}'",
                    "fields": {"Content-Type": f"Use {allowed[0]}."},
                },
                status=415,
            )
        return None
