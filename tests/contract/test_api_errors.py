"""Requests that used to be 500s or HTML: each is now a 4xx (or a JSON 500) with the error shape,
names the field, and writes nothing."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
import time_machine
from django.test import Client

from casebridge.api import api
from casebridge.core.jsonbody import MAX_JSON_DEPTH
from casebridge.core.schemas import MAX_ID
from tests import factories
from tests.contract.support import assert_error_shape, snapshot
from tests.monitoring.helpers import Sender, alert, event, make_integration, webhook

pytestmark = pytest.mark.django_db

HUGE = "99999999999999999999"
DEEP = "[" * 100_000 + "]" * 100_000


def client_of(world: factories.World, who: str = "l2") -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {world.tokens[who]}", raise_request_exception=False)


def refused(
    response: Any, status: int, code: str, fields: set[str] | None = None
) -> dict[str, Any]:
    assert response.status_code == status, (response.status_code, response.content[:300])
    assert response["Content-Type"].startswith("application/json"), response["Content-Type"]
    body: dict[str, Any] = response.json()
    assert_error_shape(body)
    assert body["code"] == code, body
    if fields is not None:
        assert set(body["fields"]) == fields, body
    return body


# --- deep JSON ------------------------------------------------------------------------------------


def test_deep_json_to_the_api_is_malformed_json_naming_the_limit(world: factories.World) -> None:
    before = snapshot()
    response = client_of(world).post("/api/v1/cases", DEEP, content_type="application/json")
    body = refused(response, 400, "malformed_json", {"body"})
    assert f"{MAX_JSON_DEPTH} levels" in body["message"]
    assert snapshot() == before


@pytest.mark.parametrize("kind", ["alertmanager", "grafana", "events"])
def test_deep_json_to_an_intake_door_is_malformed_json(world: factories.World, kind: str) -> None:
    integration, secret = make_integration(world, kind=kind, slug=f"deep-{kind}")
    sender = Sender(integration, secret)
    before = snapshot()
    for raw in (DEEP, '{"alerts": ' + DEEP + "}"):
        body = refused(sender.post(None, raw=raw.encode()), 400, "malformed_json", {"body"})
        assert f"{MAX_JSON_DEPTH} levels" in body["message"]
    assert snapshot() == before
    ok = event() if kind == "events" else webhook(alert())
    assert sender.post(ok).status_code == 202


# --- errors that never reached the API's handlers -------------------------------------------------


def test_an_unknown_api_path_is_a_json_404(world: factories.World) -> None:
    body = refused(client_of(world).get("/api/v1/nothing-here"), 404, "not_found", set())
    assert "/api/v1/nothing-here" in body["message"]


def test_a_method_the_path_does_not_take_is_a_json_405(world: factories.World) -> None:
    response = client_of(world).delete("/api/v1/cases")
    body = refused(response, 405, "method_not_allowed", {"method"})
    assert "GET" in response["Allow"] and "GET" in body["message"]


def test_an_upload_with_a_thousand_character_file_name_is_a_json_400(
    world: factories.World,
) -> None:
    case = factories.make_case(world)
    name = "a" * 1000 + ".log"
    raw = (
        f'--XyZ\r\nContent-Disposition: form-data; name="file"; filename="{name}"\r\n'
        "Content-Type: text/plain\r\n\r\nERROR x\r\n--XyZ--\r\n"
    ).encode()
    before = snapshot()
    response = client_of(world).post(
        f"/api/v1/cases/{case.key}/attachments",
        raw,
        content_type="multipart/form-data; boundary=XyZ",
    )
    refused(response, 400, "bad_request", {"file"})
    assert snapshot() == before


def test_a_declared_length_over_the_limit_is_a_json_413(
    world: factories.World, settings: Any
) -> None:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    response = client_of(world).post(
        "/api/v1/cases", "{}", content_type="application/json", CONTENT_LENGTH="5000"
    )
    refused(response, 413, "too_large", {"body"})


def test_an_unexpected_exception_is_a_json_500_with_the_request_id(
    world: factories.World, monkeypatch: pytest.MonkeyPatch
) -> None:
    from casebridge.cases import selectors

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("boom")

    monkeypatch.setattr(selectors, "case_list_for", broken)
    response = client_of(world).get("/api/v1/cases", HTTP_X_REQUEST_ID="req-42")
    body = refused(response, 500, "server_error", set())
    assert "req-42" in body["message"] and "boom" not in body["message"]


# --- bounded integers ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "field"),
    [
        (f"/api/v1/cases?offset={HUGE}", "offset"),
        (f"/api/v1/work-items?offset={HUGE}", "offset"),
        (f"/api/v1/signatures?offset={HUGE}", "offset"),
        (f"/api/v1/work-items?sprint={HUGE}", "sprint"),
        (f"/api/v1/sprints/{HUGE}", "sprint_id"),
        (f"/api/v1/incidents/INC-1/timeline?after={HUGE}", "after"),
        (f"/api/v1/known-resolutions?limit={HUGE}", "limit"),
        (f"/api/v1/cases/CB-1/similar?k={HUGE}", "k"),
    ],
)
def test_integers_out_of_range_are_a_422_naming_the_field(
    world: factories.World, path: str, field: str
) -> None:
    refused(client_of(world).get(path), 422, "validation_error", {field})


def test_integers_out_of_range_in_bodies_are_a_422_naming_the_field(
    world: factories.World,
) -> None:
    before = snapshot()
    response = client_of(world, "admin").post(
        "/api/v1/integrations",
        json.dumps({"kind": "events", "name": "x", "service": "payments", "max_body_bytes": 2**70}),
        content_type="application/json",
    )
    refused(response, 422, "validation_error", {"max_body_bytes"})
    assert snapshot() == before


def test_the_work_item_list_page_takes_a_sprint_it_cannot_hold(world: factories.World) -> None:
    client = Client()
    client.force_login(world["dev3"])
    for value in (HUGE, "²", "9" * 5000):
        assert client.get("/work-items/", {"sprint": value}).status_code == 200


def test_every_integer_parameter_and_field_of_the_api_is_bounded() -> None:
    """An unbounded integer reaches the database and overflows there: every one has both ends."""
    schema = api.get_openapi_schema(path_prefix="/api/v1")
    unbounded: list[str] = []

    def check(where: str, node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") == "integer" and not ("minimum" in node and "maximum" in node):
                unbounded.append(where)
            if node.get("type") == "integer" and node.get("maximum", 0) > MAX_ID:
                unbounded.append(where)
            for key, value in node.items():
                check(f"{where}.{key}", value)
        elif isinstance(node, list):
            for n, value in enumerate(node):
                check(f"{where}.{n}", value)

    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            for parameter in operation.get("parameters", []):
                check(f"{method} {path} {parameter['name']}", parameter["schema"])
    for name, component in schema["components"]["schemas"].items():
        if name.endswith(("In", "Patch", "Data", "Query")):
            check(name, component)
    assert unbounded == []


# --- times --------------------------------------------------------------------------------------


@time_machine.travel(datetime(2026, 11, 20, 12, 0, tzinfo=UTC), tick=False)
def test_a_date_without_a_zone_is_read_in_the_servers_zone(
    world: factories.World, settings: Any
) -> None:
    settings.TIME_ZONE = "Europe/Paris"
    response = client_of(world).get("/api/v1/reports/flow", {"start": "2026-11-01"})
    assert response.status_code == 200, response.content
    assert response.json()["start"] == "2026-11-01T00:00:00+01:00"
    response = client_of(world).get("/api/v1/reports/flow", {"start": "2026-11-01T08:30:00"})
    assert response.json()["start"] == "2026-11-01T08:30:00+01:00"


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"end": "0001-01-01T00:01:01Z"}, "end"),
        ({"start": "9999-12-31T23:59:59Z"}, "start"),
        ({"start": "1969-12-31"}, "start"),
        ({"end": "next tuesday"}, "end"),
    ],
)
def test_times_out_of_range_are_a_422_naming_the_field(
    world: factories.World, query: dict[str, str], field: str
) -> None:
    body = refused(
        client_of(world).get("/api/v1/reports/flow", query), 422, "validation_error", {field}
    )
    assert body["fields"][field]


# --- the delivery doors (Azure Pipelines, Azure Repos, deployments) -------------------------------


def test_deep_json_to_a_delivery_door_is_malformed_json() -> None:
    from casebridge.integrations.delivery.models import InboundEvent
    from casebridge.integrations.delivery.services import delivery_source_create
    from tests.integrations.payloads import Sender as DeliverySender

    source, secret = delivery_source_create(actor=None, kind="azure-repos", name="Shop repos")
    sender = DeliverySender(f"azure-repos/{source.slug}", secret)
    body = refused(sender.basic(None, raw=DEEP.encode()), 400, "malformed_json", {"body"})
    assert f"{MAX_JSON_DEPTH} levels" in body["message"]
    assert not InboundEvent.objects.exists()


@pytest.mark.parametrize(
    "url", ["javascript:alert(1)", "http://\tjavascript:alert(1)", "https:///no-host", "data:,x"]
)
def test_a_deployment_link_must_be_http_with_a_host(url: str) -> None:
    from casebridge.integrations.delivery.models import InboundEvent
    from casebridge.integrations.delivery.services import delivery_source_create
    from tests.integrations import payloads

    source, secret = delivery_source_create(actor=None, kind="deployments", name="Shop deploys")
    sender = payloads.Sender(f"deployments/{source.slug}", secret)
    now = int(datetime.now(tz=UTC).timestamp())
    response = sender.signed(payloads.deployment_event(url=url), at=now)
    refused(response, 422, "validation_error", {"url"})
    assert not InboundEvent.objects.exists()
    stamp = "9" * 5000  # a timestamp no int() should be asked to read
    response = sender.signed(payloads.deployment_event(), at=0)
    assert response.status_code == 401
    raw = sender._post(b"{}", {"X-Casebridge-Timestamp": stamp, "X-Casebridge-Signature": "x"})
    refused(raw, 401, "unauthenticated")


def test_every_date_query_parameter_refuses_extremes_and_garbage(world: factories.World) -> None:
    """Walk the OpenAPI: every date or date-time query parameter of an operation without path
    parameters, given a date out of range or not a date, answers a 4xx naming it, never a 500."""
    schema = api.get_openapi_schema(path_prefix="/api/v1")
    client = client_of(world, "admin")
    checked: list[str] = []
    for path, operations in schema["paths"].items():
        if "{" in path or "get" not in operations:
            continue
        for parameter in operations["get"].get("parameters", []):
            node = parameter.get("schema", {})
            formats = {node.get("format")} | {n.get("format") for n in node.get("anyOf", [])}
            if parameter["in"] != "query" or not formats & {"date", "date-time"}:
                continue
            for value in ("0001-01-01T00:00:00Z", "9999-12-31", "1969-12-31", "not a date"):
                response = client.get(path, {parameter["name"]: value})
                assert 400 <= response.status_code < 500, (path, parameter["name"], value)
                assert parameter["name"] in json.dumps(response.json()), (path, value)
            checked.append(f"{path}?{parameter['name']}")
    assert checked, "no date parameter found: the walk is broken"
