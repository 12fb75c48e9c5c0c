from __future__ import annotations

import time
import uuid
from collections.abc import Callable

import structlog
from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse

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


#: The machine code of an API error whose response was not made by the API's own handlers.
STATUS_CODES = {
    400: "bad_request",
    401: "unauthenticated",
    403: "permission_denied",
    404: "not_found",
    405: "method_not_allowed",
    413: "too_large",
    415: "unsupported_media_type",
    429: "rate_limited",
    500: "server_error",
}


class ApiJsonErrorsMiddleware:
    """Every error under ``/api/`` is ``{"code", "message", "fields"}``, whoever made it.

    The API's handlers answer their own errors as JSON; this catches the rest, which Django or
    ninja answer as HTML or plain text: an unknown path (404), a method the path does not take
    (405, ``Allow`` kept), a request Django refuses before any view (400, 413) and an
    unexpected exception (500, logged as usual, answered with the request id to quote).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if (
            response.status_code >= 400
            and request.path.startswith("/api/")
            and not (response.get("Content-Type") or "").startswith("application/json")
        ):
            return self._as_json(request, response)
        return response

    @staticmethod
    def _as_json(request: HttpRequest, response: HttpResponse) -> HttpResponse:
        status = response.status_code
        fields: dict[str, str] = {}
        if status == 404:
            message = f"No API endpoint at {request.path}; see /api/v1/docs"
        elif status == 405:
            allowed = response.get("Allow", "")
            message = f"{request.method} is not allowed on {request.path}; use {allowed}"
            fields = {"method": f"Use {allowed}."}
        elif status >= 500:
            request_id = structlog.contextvars.get_contextvars().get("request_id", "")
            message = f"Internal error; it is logged with request id {request_id}"
        else:
            reason = response.reason_phrase or "Error"
            message = f"{reason}: the request was refused before it reached the API"
        body = {"code": STATUS_CODES.get(status, "error"), "message": message, "fields": fields}
        answer = JsonResponse(body, status=status)
        for header in ("Allow", "Retry-After", "WWW-Authenticate"):
            if header in response:
                answer[header] = response[header]
        return answer


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
