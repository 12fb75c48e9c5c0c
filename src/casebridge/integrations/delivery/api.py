"""/api/v1/intake/{azure-devops,azure-pipelines,azure-repos,github,deployments}/{source}: the doors
of the development side, opened by the source's own secret (not a user's token)."""

from __future__ import annotations

from typing import Literal

from django.http import HttpRequest, JsonResponse
from ninja import Router, Schema
from pydantic import Field

from casebridge.core.errors import DomainError
from casebridge.core.schemas import ErrorOut
from casebridge.integrations.delivery.doors import RateLimited, door_accept
from casebridge.integrations.delivery.models import SourceKind

router = Router(tags=["intake"], auth=None)


class DeliveryOut(Schema):
    status: Literal["accepted", "duplicate", "ignored", "pong"]
    event: int | None = Field(default=None, description="The stored delivery's id")
    event_type: str = ""
    reason: str = ""


ANSWERS: dict[int, type[Schema]] = {
    200: DeliveryOut,
    202: DeliveryOut,
    400: ErrorOut,
    401: ErrorOut,
    413: ErrorOut,
    415: ErrorOut,
    422: ErrorOut,
    429: ErrorOut,
}
STORED = (
    " Answers 202 once the delivery is stored (processing follows later), 200 `duplicate` for a "
    "delivery id already stored, 200 `ignored` for an event this door does not use; 401 alike "
    "for an unknown source and a wrong secret."
)
BASIC = " Authenticate with HTTP basic auth, the source's secret as the password."


def _body(description: str) -> dict[str, object]:
    schema = {"type": "object", "description": description}
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": schema}}}}


def _door(request: HttpRequest, kind: str, slug: str) -> JsonResponse:
    length = request.META.get("CONTENT_LENGTH")
    try:
        answer = door_accept(
            kind=kind,
            slug=slug,
            headers=request.headers,
            content_length=int(length) if length and length.isdigit() else None,
            read=request.read,
        )
    except RateLimited as exc:
        response = JsonResponse(exc.as_dict(), status=429)
        response["Retry-After"] = str(exc.retry_after)
        return response
    except DomainError as exc:
        response = JsonResponse(exc.as_dict(), status=exc.status)
        if exc.status == 401 and kind.startswith("azure-"):
            response["WWW-Authenticate"] = 'Basic realm="Casebridge intake"'
        return response
    return JsonResponse(answer.body, status=answer.status)


@router.post(
    "/azure-devops/{connection}",
    response=ANSWERS,
    summary="Azure DevOps work item service hooks (workitem.created|updated|commented|deleted)",
    description="The service hook subscriptions of an Azure DevOps connection." + BASIC + STORED,
    openapi_extra=_body("An Azure DevOps service hook notification (resourceVersion 1.0)"),
)
def azure_devops(request: HttpRequest, connection: str) -> JsonResponse:
    return _door(request, SourceKind.AZURE_DEVOPS, connection)


@router.post(
    "/azure-pipelines/{source}",
    response=ANSWERS,
    summary="Azure Pipelines: release deployment completed, pipeline run state changed",
    description="Service hooks `ms.vss-release.deployment-completed-event`, "
    "`ms.vss-pipelines.run-state-changed-event` and `ms.vss-pipelines.stage-state-changed-event`."
    + BASIC
    + STORED,
    openapi_extra=_body("An Azure DevOps service hook notification"),
)
def azure_pipelines(request: HttpRequest, source: str) -> JsonResponse:
    return _door(request, SourceKind.AZURE_PIPELINES, source)


@router.post(
    "/azure-repos/{source}",
    response=ANSWERS,
    summary="Azure Repos pull requests (git.pullrequest.created|updated|merged)",
    description="Service hooks of pull requests." + BASIC + STORED,
    openapi_extra=_body("An Azure DevOps service hook notification"),
)
def azure_repos(request: HttpRequest, source: str) -> JsonResponse:
    return _door(request, SourceKind.AZURE_REPOS, source)


@router.post(
    "/github/{source}",
    response=ANSWERS,
    summary="GitHub webhooks: deployment_status, pull_request, pull_request_review",
    description="A GitHub webhook (content type application/json) signed with the source's "
    "secret (`X-Hub-Signature-256`); `X-GitHub-Delivery` is the delivery id. `ping` answers "
    "`pong`." + STORED,
    openapi_extra=_body("A GitHub webhook payload"),
)
def github(request: HttpRequest, source: str) -> JsonResponse:
    return _door(request, SourceKind.GITHUB, source)


@router.post(
    "/deployments/{source}",
    response=ANSWERS,
    summary="Generic deployment events",
    description='`{"service", "environment", "version", "status", "work_items"}` signed with '
    "the source's secret: `X-Casebridge-Signature: sha256=<HMAC-SHA256 of "
    '"<X-Casebridge-Timestamp>." + body>`, the timestamp (Unix seconds) within the source\'s '
    "tolerance of now. `X-Casebridge-Delivery` names the delivery (else the signature does)."
    + STORED,
    openapi_extra=_body("A deployment event"),
)
def deployments(request: HttpRequest, source: str) -> JsonResponse:
    return _door(request, SourceKind.DEPLOYMENTS, source)
