"""/api/v1/intake/{kind}/{integration} (the monitoring door, authenticated by the integration's
secret, not a user's token), and the internal reads and writes of monitoring: alert groups,
anomalies, integrations, failed payloads and service health."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

from django.http import HttpRequest, HttpResponseBase, JsonResponse
from ninja import Query, Router, Status

from casebridge.accounts.selectors import user_by_username
from casebridge.catalog.schemas import ServiceRef
from casebridge.catalog.selectors import component_by_slug, service_by_slug, service_get
from casebridge.core.csvexport import CSV_OPENAPI, csv_response
from casebridge.core.http import ApiRequest
from casebridge.core.schemas import ERRORS, WRITE_ERRORS, ErrorOut, Id
from casebridge.incidents.health import service_health_for
from casebridge.monitoring import rules, selectors, services
from casebridge.monitoring.intake import RateLimited, intake_accept
from casebridge.monitoring.schemas import (
    AcceptedOut,
    AlertGroupOut,
    AlertGroupQuery,
    AnomalyIn,
    GroupingIn,
    HealthOut,
    IncidentRefOut,
    IntegrationCreatedOut,
    IntegrationIn,
    IntegrationOut,
    PayloadOut,
    ResponderIn,
)

intake_router = Router(tags=["intake"], auth=None)
router = Router(tags=["monitoring"])
integrations_router = Router(tags=["monitoring"])
health_router = Router(tags=["services"])

INTAKE_ERRORS: dict[int, type[ErrorOut]] = {
    400: ErrorOut,
    401: ErrorOut,
    404: ErrorOut,
    413: ErrorOut,
    415: ErrorOut,
    422: ErrorOut,
    429: ErrorOut,
}
ALERT_BODY = {
    "type": "object",
    "required": ["version", "status", "alerts"],
    "properties": {
        "version": {"type": "string", "enum": ["4"]},
        "groupKey": {"type": "string"},
        "status": {"type": "string", "enum": ["firing", "resolved"]},
        "receiver": {"type": "string"},
        "groupLabels": {"type": "object", "additionalProperties": {"type": "string"}},
        "commonLabels": {"type": "object", "additionalProperties": {"type": "string"}},
        "commonAnnotations": {"type": "object", "additionalProperties": {"type": "string"}},
        "externalURL": {"type": "string"},
        "alerts": {
            "type": "array",
            "minItems": 1,
            "maxItems": 1000,
            "items": {
                "type": "object",
                "required": ["status", "labels", "startsAt"],
                "properties": {
                    "status": {"type": "string", "enum": ["firing", "resolved"]},
                    "labels": {"type": "object", "additionalProperties": {"type": "string"}},
                    "annotations": {"type": "object", "additionalProperties": {"type": "string"}},
                    "startsAt": {"type": "string", "format": "date-time"},
                    "endsAt": {"type": "string", "format": "date-time"},
                    "generatorURL": {"type": "string"},
                    "fingerprint": {"type": "string"},
                },
            },
        },
    },
}
GRAFANA_BODY = {**ALERT_BODY, "required": ["status", "alerts"]}
EVENT_BODY = {
    "type": "object",
    "required": ["event_action"],
    "properties": {
        "event_action": {"type": "string", "enum": ["trigger", "acknowledge", "resolve"]},
        "dedup_key": {"type": "string", "maxLength": 255},
        "payload": {
            "type": "object",
            "required": ["summary", "source", "severity"],
            "properties": {
                "summary": {"type": "string", "maxLength": 1024},
                "source": {"type": "string"},
                "severity": {"type": "string", "enum": ["critical", "error", "warning", "info"]},
                "timestamp": {"type": "string", "format": "date-time"},
                "component": {"type": "string"},
                "group": {"type": "string"},
                "class": {"type": "string"},
                "custom_details": {"type": "object"},
            },
        },
    },
}
AUTH_NOTE = (
    " Authenticate with the integration's secret: `Authorization: Bearer <token>`, or an "
    "HMAC-SHA256 of the body (hex) in the integration's signature header. Answers 202 once the "
    "payload is stored; processing follows in the worker."
)


def _body(schema: Mapping[str, object]) -> dict[str, object]:
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": schema}}}}


def _accept(request: HttpRequest, kind: str, slug: str) -> JsonResponse:
    length = request.META.get("CONTENT_LENGTH")
    try:
        accepted = intake_accept(
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
    body: dict[str, object] = {
        "status": "accepted",
        "payload": accepted.payload_id,
        "alerts": accepted.alerts,
    }
    if kind == "events":
        body["dedup_key"] = accepted.dedup_key or None
    return JsonResponse(body, status=202)


@intake_router.post(
    "/alertmanager/{integration}",
    response={202: AcceptedOut, **INTAKE_ERRORS},
    summary="Alertmanager webhook (version 4)",
    description="Point an Alertmanager `webhook_config` here." + AUTH_NOTE,
    openapi_extra=_body(ALERT_BODY),
)
def alertmanager(request: HttpRequest, integration: str) -> JsonResponse:
    return _accept(request, "alertmanager", integration)


@intake_router.post(
    "/grafana/{integration}",
    response={202: AcceptedOut, **INTAKE_ERRORS},
    summary="Grafana alerting webhook",
    description="A Grafana webhook contact point (HMAC as Grafana signs it)." + AUTH_NOTE,
    openapi_extra=_body(GRAFANA_BODY),
)
def grafana(request: HttpRequest, integration: str) -> JsonResponse:
    return _accept(request, "grafana", integration)


@intake_router.post(
    "/events/{integration}",
    response={202: AcceptedOut, **INTAKE_ERRORS},
    summary="Generic events: trigger, acknowledge, resolve",
    description="One event with a dedup key; a trigger without one is given one." + AUTH_NOTE,
    openapi_extra=_body(EVENT_BODY),
)
def events(request: HttpRequest, integration: str) -> JsonResponse:
    return _accept(request, "events", integration)


# --- alert groups and anomalies -----------------------------------------------------------------


@router.post(
    "/anomalies",
    response={201: AlertGroupOut, **WRITE_ERRORS},
    summary="Report an anomaly no alert caught (routed to an L2+ responder when from L1 staff)",
)
def report_anomaly(request: ApiRequest, body: AnomalyIn) -> Status[AlertGroupOut]:
    service = service_by_slug(body.service)
    group = services.anomaly_report(
        actor=request.auth,
        service=service,
        summary=body.summary,
        details=body.details,
        environment=body.environment,
        component=component_by_slug(service, body.component) if body.component else None,
        responder=user_by_username(body.responder, field="responder") if body.responder else None,
    )
    return Status(201, AlertGroupOut.of(selectors.alert_group_get_for(request.auth, group.key)))


@router.get(
    "",
    response={200: list[AlertGroupOut], **ERRORS},
    summary="List alert groups",
    openapi_extra=CSV_OPENAPI,
)
def list_groups(
    request: ApiRequest, query: Query[AlertGroupQuery]
) -> list[AlertGroupOut] | HttpResponseBase:
    service = service_by_slug(query.service) if query.service else None
    if query.format == "csv":
        rows = selectors.alert_group_csv_rows_for(
            request.auth, status=query.status, service=service
        )
        return csv_response("alert-groups", selectors.CSV_HEADER, rows)
    groups = selectors.alert_group_list_for(
        request.auth, status=query.status, service=service, limit=query.limit
    )
    return [AlertGroupOut.of(g) for g in groups]


@router.get("/{key}", response={200: AlertGroupOut, **ERRORS}, summary="One alert group")
def get_group(request: ApiRequest, key: str) -> AlertGroupOut:
    return AlertGroupOut.of(selectors.alert_group_get_for(request.auth, key))


@router.post(
    "/{key}/responder",
    response={200: AlertGroupOut, **WRITE_ERRORS},
    summary="Name who responds (policy 8 for anomalies reported by L1 staff)",
)
def set_responder(request: ApiRequest, key: str, body: ResponderIn) -> AlertGroupOut:
    group = selectors.alert_group_get_for(request.auth, key)
    responder = user_by_username(body.responder, field="responder")
    services.alert_group_assign(actor=request.auth, group=group, responder=responder)
    return AlertGroupOut.of(selectors.alert_group_get_for(request.auth, key))


# --- integrations and failed payloads (administrators) ------------------------------------------


@integrations_router.get(
    "", response={200: list[IntegrationOut], **ERRORS}, summary="List integrations (admin)"
)
def list_integrations(request: ApiRequest) -> list[IntegrationOut]:
    return [IntegrationOut.of(i) for i in selectors.integration_list_for(request.auth)]


@integrations_router.post(
    "",
    response={201: IntegrationCreatedOut, **WRITE_ERRORS},
    summary="Create an integration; its secret is shown this once (admin)",
)
def create_integration(request: ApiRequest, body: IntegrationIn) -> Status[IntegrationCreatedOut]:
    data = body.dict()
    data["service"] = service_by_slug(body.service)
    integration, secret = services.integration_create(actor=request.auth, **data)
    out = IntegrationOut.of(integration).dict()
    return Status(201, IntegrationCreatedOut(**out, secret=secret))


@integrations_router.patch(
    "/{slug}/grouping",
    response={200: IntegrationOut, **WRITE_ERRORS},
    summary="Change an integration's grouping rules and storm threshold (admin)",
)
def set_grouping(request: ApiRequest, slug: str, body: GroupingIn) -> IntegrationOut:
    integration = selectors.integration_get_for(request.auth, slug)
    rules.integration_grouping_set(actor=request.auth, integration=integration, **body.dict())
    return IntegrationOut.of(selectors.integration_get_for(request.auth, slug))


@integrations_router.get(
    "/payloads",
    response={200: list[PayloadOut], **ERRORS},
    summary="Stored payloads, failed ones by default (admin)",
)
def list_payloads(
    request: ApiRequest, state: Literal["all", "pending", "done", "failed"] = "failed"
) -> list[PayloadOut]:
    return [PayloadOut.of(p) for p in selectors.payload_list_for(request.auth, state=state)]


@integrations_router.post(
    "/payloads/{payload_id}/retry",
    response={200: PayloadOut, **WRITE_ERRORS},
    summary="Queue a failed payload again now (admin)",
)
def retry_payload(request: ApiRequest, payload_id: Id) -> PayloadOut:
    payload = selectors.payload_get_for(request.auth, payload_id)
    return PayloadOut.of(services.payload_retry(actor=request.auth, payload=payload))


# --- service health -----------------------------------------------------------------------------


@health_router.get(
    "/{slug}/health",
    response={200: HealthOut, **ERRORS},
    summary="A service's health: firing alerts, open incidents, recent cases",
)
def service_health(request: ApiRequest, slug: str) -> HealthOut:
    health = service_health_for(request.auth, service_get(slug))
    return HealthOut(
        service=ServiceRef(slug=health.service.slug, name=health.service.name),
        status=health.status,  # type: ignore[arg-type]
        firing_count=health.firing_count,
        firing=[AlertGroupOut.of(g) for g in health.firing],
        incidents=[
            IncidentRefOut(key=i.key, title=i.title, severity=i.severity, state=i.state)
            for i in health.incidents
        ],
        recent_cases=[
            {"key": c.key, "title": c.title, "state": c.state} for c in health.recent_cases
        ],
    )
