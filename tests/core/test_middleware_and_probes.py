"""The API body guard, the JSON error shape of the edge, and the health probes."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from tests import factories

CLIENT = Client()


def post(path: str, body: bytes | str, content_type: str, token: str = "", **extra: Any) -> Any:
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
    return CLIENT.generic("POST", path, body, content_type=content_type, **headers, **extra)


def test_the_guard_answers_before_authentication() -> None:
    """A wrong type or size is refused before anything reads the body, even without a token."""
    response = post("/api/v1/cases", "x", "text/plain")
    assert response.status_code == 415
    assert response.json()["code"] == "unsupported_media_type"
    assert response.json()["fields"] == {"Content-Type": "Use application/json."}


def test_the_declared_length_is_enough_to_refuse(settings: Any) -> None:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    response = post("/api/v1/cases", "{}", "application/json", CONTENT_LENGTH="5000")
    assert response.status_code == 413
    assert response.json()["code"] == "too_large"
    assert set(response.json()["fields"]) == {"body"}


@pytest.mark.parametrize("method", ["PUT", "PATCH"])
def test_every_write_method_is_guarded(method: str) -> None:
    response = CLIENT.generic(method, "/api/v1/cases/CB-1", "title=x", content_type="text/plain")
    assert response.status_code == 415


def test_reads_and_empty_bodies_pass_the_guard() -> None:
    assert CLIENT.get("/api/v1/cases", content_type="text/plain").status_code == 401
    assert post("/api/v1/cases", "", "text/plain").status_code == 401


@pytest.mark.django_db
def test_pages_outside_the_api_are_not_guarded() -> None:
    response = post("/login/", "username=a&password=b", "application/x-www-form-urlencoded")
    assert response.status_code != 415


@pytest.mark.django_db
def test_unknown_api_paths_and_methods(world: factories.World) -> None:
    token = world.tokens["l2"]
    response = CLIENT.get("/api/v1/nowhere", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 404
    response = CLIENT.delete("/api/v1/cases", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 405


def test_healthz_touches_no_database() -> None:
    response = CLIENT.get("/healthz")
    assert (response.status_code, response.json()) == (200, {"status": "ok"})
    assert "no-cache" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]


@pytest.mark.django_db
def test_readyz_answers_a_status_and_nothing_else() -> None:
    response = CLIENT.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_every_response_carries_a_request_id() -> None:
    response = CLIENT.get("/healthz", HTTP_X_REQUEST_ID="abc-123")
    assert response["X-Request-Id"] == "abc-123"
    assert len(CLIENT.get("/healthz")["X-Request-Id"]) == 32


@pytest.mark.django_db
def test_openapi_names_every_error_status(world: factories.World) -> None:
    schema = json.loads(CLIENT.get("/api/v1/openapi.json").content)
    escalate = schema["paths"]["/api/v1/cases/{key}/escalate"]["post"]["responses"]
    assert {"200", "401", "403", "404", "409", "413", "415", "422"} <= set(escalate)
    assert schema["components"]["securitySchemes"]
