"""Shared fixtures: real database (SQLite or PostgreSQL per DATABASE_URL), real services."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from tests import factories

# Real servers on loopback (SMTP, IMAP, OpenID provider, PostgreSQL replica): tests/servers/.
pytest_plugins = ["tests.servers.fixtures"]


@pytest.fixture(autouse=True)
def _fast_settings(settings: Any, tmp_path: Path) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}
    from django.core.cache import cache

    cache.clear()  # rate-limit windows (core.ratelimit) start empty in every test
    from casebridge.monitoring.ahead import ahead_forget

    ahead_forget()  # the worker's look ahead (its catalogue, keys found open) starts empty too


@pytest.fixture
def world(db: None) -> factories.World:
    """Services, organisations A and B, and one user per role, each with a write token."""
    return factories.build_world()


class Api:
    """A tiny JSON client for /api/v1 with a bearer token."""

    def __init__(self, token: str | None) -> None:
        self.client = Client()
        self.token = token

    def _headers(self) -> dict[str, str]:
        return {"HTTP_AUTHORIZATION": f"Bearer {self.token}"} if self.token else {}

    def get(self, path: str, **params: Any) -> Any:
        return self.client.get(f"/api/v1{path}", params, **self._headers())

    def post(self, path: str, body: Any = None, **kwargs: Any) -> Any:
        data = json.dumps(body if body is not None else {})
        return self.client.post(
            f"/api/v1{path}", data, content_type="application/json", **self._headers(), **kwargs
        )

    def patch(self, path: str, body: Any) -> Any:
        return self.client.patch(
            f"/api/v1{path}", json.dumps(body), content_type="application/json", **self._headers()
        )

    def upload(self, path: str, name: str, content: bytes, **fields: Any) -> Any:
        from django.core.files.uploadedfile import SimpleUploadedFile

        upload = SimpleUploadedFile(name, content)
        return self.client.post(f"/api/v1{path}", {"file": upload, **fields}, **self._headers())


@pytest.fixture
def api(world: factories.World) -> Iterator[Any]:
    def make(username: str | None) -> Api:
        return Api(world.tokens.get(username) if username else None)

    yield make
