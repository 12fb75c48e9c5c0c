"""The REST API under /api/v1/: mounts each app's router and maps errors to one JSON shape.

Every error is ``{"code": ..., "message": ..., "fields": {...}}`` with a 4xx status.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse
from django.http.multipartparser import MultiPartParserError
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.openapi.schema import OpenAPISchema
from ninja.parser import Parser
from ninja.security import HttpBearer

from casebridge.accounts.api import organisations_router, teams_router, tokens_router
from casebridge.accounts.api import router as accounts_router
from casebridge.accounts.models import User
from casebridge.accounts.services import token_authenticate
from casebridge.cases.api import router as cases_router
from casebridge.catalog.api import router as catalog_router
from casebridge.core import idempotency, ratelimit
from casebridge.core.errors import DomainError, PermissionDenied, TooManyRequests
from casebridge.core.jsonbody import JsonTooDeep, json_loads
from casebridge.incidents.api import router as incidents_router
from casebridge.integrations.api import outbox_router, webhooks_router
from casebridge.integrations.azure_devops.api import router as azure_devops_router
from casebridge.integrations.delivery.api import router as delivery_intake_router
from casebridge.integrations.mailin.api import domains_router, mail_router, mailboxes_router
from casebridge.integrations.notification_api import (
    invitations_router,
    notifications_router,
    watches_router,
)
from casebridge.knowledge.api import router as knowledge_router
from casebridge.monitoring.api import health_router, intake_router, integrations_router
from casebridge.monitoring.api import router as alert_groups_router
from casebridge.occurrences.api import router as signatures_router
from casebridge.reporting.api import router as reports_router
from casebridge.sla.api import calendars_router, item_targets_router, policies_router
from casebridge.sprints.api import backlog_router, increments_router
from casebridge.sprints.api import router as sprints_router
from casebridge.web.api import router as search_router
from casebridge.workitems.api import router as workitems_router

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


class BearerAuth(HttpBearer):
    """``Authorization: Bearer <token>``; read-scoped tokens may only read."""

    def authenticate(self, request: HttpRequest, token: str) -> User | None:
        found = token_authenticate(token)
        if found is None:
            return None
        user, api_token = found
        wait = ratelimit.hit(f"token:{api_token.pk}", settings.API_RATE_LIMIT_PER_MINUTE)
        if wait is not None:
            raise TooManyRequests(
                f"This token may make {settings.API_RATE_LIMIT_PER_MINUTE} requests a minute; "
                f"retry in {wait} s",
                retry_after=wait,
            )
        if request.method not in SAFE_METHODS and api_token.scope != "write":
            raise PermissionDenied("This token is read-only; create a write token to change data")
        request.user = user
        return user


class BoundedJsonParser(Parser):
    """Bodies are parsed by ``core.jsonbody.json_loads``: too deep is a 400, never a 500."""

    def parse_body(self, request: HttpRequest) -> Any:  # ninja says a dict; JSON may be a list
        return json_loads(request.body)


class CasebridgeAPI(NinjaAPI):
    """The API; its OpenAPI document names the ``Idempotency-Key`` header on every write."""

    def get_openapi_schema(
        self, *, path_prefix: str | None = None, path_params: dict[str, object] | None = None
    ) -> OpenAPISchema:
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        for path, operations in schema["paths"].items():
            if path.startswith(idempotency.EXEMPT_PREFIXES):
                continue
            for method, operation in operations.items():
                if method.upper() in idempotency.WRITE_METHODS:
                    operation.setdefault("parameters", []).append(IDEMPOTENCY_PARAMETER)
        return schema


IDEMPOTENCY_PARAMETER = {
    "name": idempotency.HEADER,
    "in": "header",
    "required": False,
    "schema": {"type": "string", "minLength": 1, "maxLength": idempotency.MAX_KEY_LENGTH},
    "description": (
        "Retry safely: the same key with the same request returns the first answer "
        "(`Idempotent-Replayed: true`) and changes nothing; the same key with another request is "
        "a 422. Keys are per token and kept CASEBRIDGE_IDEMPOTENCY_KEY_HOURS hours (24)."
    ),
}

api = CasebridgeAPI(
    title="Casebridge API",
    version="1.0",
    description=(
        "Cases from intake to escalation, work items, known resolutions. Authenticate with "
        "`Authorization: Bearer <token>` (create one with `casebridge user create ... --token`). "
        'Errors are `{"code", "message", "fields"}`.'
    ),
    urls_namespace="api",
    auth=BearerAuth(),
    docs_url="/docs",
    openapi_url="/openapi.json",
    parser=BoundedJsonParser(),
)


def error(
    request: HttpRequest, status: int, code: str, message: str, fields: dict[str, str] | None = None
) -> HttpResponse:
    body = {"code": code, "message": message, "fields": fields or {}}
    return api.create_response(request, body, status=status)


@api.exception_handler(DomainError)
def on_domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
    response = api.create_response(request, exc.as_dict(), status=exc.status)
    if isinstance(exc, TooManyRequests):
        response["Retry-After"] = str(exc.retry_after)
    return response


#: Where ninja found a parameter: the first part of a validation error's location.
SOURCES = ("body", "query", "path", "form", "file", "header", "cookie")


def field_name(location: Sequence[object]) -> str:
    """The input field an error concerns: ``("body", "body", "roles", 0)`` is ``roles.0``.

    The location starts with the source; a JSON body then names the view's parameter, which is
    not a field the client sent. Uploads are ``("file", "file")``: the multipart field ``file``.
    """
    parts = [str(part) for part in location]
    if parts and parts[0] in SOURCES:
        source = parts.pop(0)
        if source == "body" and len(parts) > 1:
            parts.pop(0)
    return ".".join(parts) or "body"


@api.exception_handler(ValidationError)
def on_validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    fields: dict[str, str] = {}
    for item in exc.errors:
        name = field_name(item.get("loc", ()))
        fields.setdefault(name, str(item.get("msg", "Invalid value")))
    names = ", ".join(fields)
    return error(request, 422, "validation_error", f"Invalid input: {names}", fields)


@api.exception_handler(MultiPartParserError)
def on_multipart_error(request: HttpRequest, exc: MultiPartParserError) -> HttpResponse:
    """An upload Django cannot read, e.g. a part whose headers (file name) pass 1 KiB."""
    return error(
        request,
        400,
        "bad_request",
        f"The upload could not be read ({exc}); a file name of at most 255 characters works",
        {"file": "Unreadable upload: shorten the file name."},
    )


@api.exception_handler(AuthenticationError)
def on_authentication_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    response = error(
        request,
        401,
        "unauthenticated",
        "Send a valid, unexpired, unrevoked token as 'Authorization: Bearer <token>'",
        {"Authorization": "Missing or invalid bearer token."},
    )
    response["WWW-Authenticate"] = "Bearer"
    return response


@api.exception_handler(HttpError)
def on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    cause = exc.__cause__
    if isinstance(cause, RequestDataTooBig):
        return error(
            request, 413, "too_large", "The request body is too large", {"body": "Too large."}
        )
    if isinstance(cause, json.JSONDecodeError | UnicodeDecodeError | JsonTooDeep):
        detail = (
            f"line {cause.lineno} column {cause.colno}: {cause.msg}"
            if isinstance(cause, json.JSONDecodeError)
            else str(cause)
            if isinstance(cause, JsonTooDeep)
            else "not UTF-8"
        )
        return error(
            request,
            400,
            "malformed_json",
            f"The body is not valid JSON ({detail})",
            {"body": f"Malformed JSON at {detail}."},
        )
    code = {400: "bad_request", 404: "not_found", 405: "method_not_allowed", 429: "rate_limited"}
    return error(request, exc.status_code, code.get(exc.status_code, "error"), str(exc))


def _mount() -> None:
    # The monitoring door first: it is the hottest path, and URLs resolve in this order.
    api.add_router("/intake", intake_router)
    api.add_router("/intake", delivery_intake_router)
    api.add_router("/cases", cases_router)
    api.add_router("/work-items", workitems_router)
    api.add_router("/sprints", sprints_router)
    api.add_router("/backlog", backlog_router)
    api.add_router("/program-increments", increments_router)
    api.add_router("/reports", reports_router)
    api.add_router("/search", search_router)
    api.add_router("/known-resolutions", knowledge_router)
    api.add_router("/signatures", signatures_router)
    api.add_router("/services", catalog_router)
    api.add_router("/services", health_router)
    api.add_router("/incidents", incidents_router)
    api.add_router("/notifications", notifications_router)
    api.add_router("/watches", watches_router)
    api.add_router("/alert-groups", alert_groups_router)
    api.add_router("/integrations", integrations_router)
    api.add_router("/azure-devops", azure_devops_router)
    api.add_router("/users", accounts_router)
    api.add_router("/teams", teams_router)
    api.add_router("/users", invitations_router)
    api.add_router("/organisations", organisations_router)
    api.add_router("/tokens", tokens_router)
    api.add_router("/outbox", outbox_router)
    api.add_router("/webhooks", webhooks_router)
    api.add_router("/mailboxes", mailboxes_router)
    api.add_router("/mail-domains", domains_router)
    api.add_router("/mail-in", mail_router)
    api.add_router("/sla-calendars", calendars_router)
    api.add_router("/sla-policies", policies_router)
    api.add_router("/sla-item-targets", item_targets_router)


_mount()
