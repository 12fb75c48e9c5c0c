"""API tokens: stored hashed, read or write scoped, expiring, revocable."""

from __future__ import annotations

import hashlib
import io
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.core.management import call_command
from django.test import Client

from casebridge.accounts.models import ApiToken
from casebridge.accounts.services import token_authenticate, token_create, token_revoke
from casebridge.audit.models import AuditEvent
from casebridge.core.errors import PermissionDenied, ValidationFailed
from tests import factories

T0 = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)
CLIENT = Client()


def status(secret: str, method: str = "GET", path: str = "/api/v1/users/me") -> int:
    headers = {"HTTP_AUTHORIZATION": f"Bearer {secret}"}
    if method == "GET":
        return CLIENT.get(path, **headers).status_code
    body = '{"title": "Search is down", "service": "search", "environment": "production"}'
    return CLIENT.post(path, body, content_type="application/json", **headers).status_code


@pytest.mark.django_db
def test_only_the_hash_is_stored_and_the_secret_appears_nowhere(world: factories.World) -> None:
    token, secret = token_create(actor=world["l2"], user=world["l2"], name="laptop", scope="write")
    assert secret.startswith("cbt_") and len(secret) > 40
    stored = ApiToken.objects.get(pk=token.pk)
    assert stored.token_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert stored.prefix == secret[:12]
    # Nothing in the database holds the secret: not the token row, not the audit log.
    dump = io.StringIO()
    call_command("dumpdata", "accounts", "audit", stdout=dump)
    assert secret not in dump.getvalue()
    assert secret[12:] not in dump.getvalue()
    assert AuditEvent.objects.filter(subject_type="api_token", action="created").exists()


@pytest.mark.django_db
def test_each_token_is_unique(world: factories.World) -> None:
    secrets = {token_create(actor=None, user=world["l2"], name=f"t{n}")[1] for n in range(20)}
    assert len(secrets) == 20


@pytest.mark.django_db
def test_a_token_works_until_it_expires(world: factories.World, settings: Any) -> None:
    settings.API_TOKEN_DEFAULT_DAYS = 30
    with time_machine.travel(T0, tick=False) as clock:
        token, secret = token_create(actor=None, user=world["l2"], name="ci")
        assert token.expires_at == T0 + timedelta(days=30)
        assert status(secret) == 200
        clock.move_to(T0 + timedelta(days=30) - timedelta(seconds=1))
        assert status(secret) == 200
        clock.move_to(T0 + timedelta(days=30))
        assert status(secret) == 401
        assert token_authenticate(secret) is None


@pytest.mark.django_db
def test_an_explicit_lifetime_wins(world: factories.World) -> None:
    with time_machine.travel(T0, tick=False):
        token, _ = token_create(actor=None, user=world["l2"], name="ci", expires_in_days=1)
    assert token.expires_at == T0 + timedelta(days=1)


@pytest.mark.django_db
def test_a_revoked_token_stops_working_at_once(world: factories.World) -> None:
    token, secret = token_create(actor=None, user=world["l2"], name="ci")
    assert status(secret) == 200
    with time_machine.travel(T0, tick=False):
        token_revoke(actor=world["l2"], token=token)
    assert status(secret) == 401
    assert ApiToken.objects.get(pk=token.pk).revoked_at == T0
    # Revoking twice changes nothing and records nothing more.
    token_revoke(actor=world["l2"], token=ApiToken.objects.get(pk=token.pk))
    assert ApiToken.objects.get(pk=token.pk).revoked_at == T0
    assert AuditEvent.objects.filter(subject_key=token.prefix, action="revoked").count() == 1


@pytest.mark.django_db
def test_revoking_through_the_api(world: factories.World) -> None:
    token, secret = token_create(actor=None, user=world["l2"], name="spare", scope="write")
    response = CLIENT.post(
        f"/api/v1/tokens/{token.prefix}/revoke",
        "{}",
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {world.tokens['l2']}",
    )
    assert response.status_code == 200
    assert response.json()["revoked_at"] is not None
    assert status(secret) == 401


@pytest.mark.django_db
def test_a_deactivated_user_cannot_use_a_token(world: factories.World) -> None:
    from casebridge.accounts.models import User

    _, secret = token_create(actor=None, user=world["l2"], name="ci")
    User.objects.filter(pk=world["l2"].pk).update(is_active=False)
    assert status(secret) == 401


@pytest.mark.django_db
def test_read_tokens_read_and_write_tokens_write(world: factories.World) -> None:
    _, reader = token_create(actor=None, user=world["l1"], name="dashboards", scope="read")
    _, writer = token_create(actor=None, user=world["l1"], name="intake", scope="write")
    assert status(reader) == 200
    assert status(reader, "GET", "/api/v1/cases") == 200
    assert status(reader, "POST", "/api/v1/cases") == 403
    assert status(writer, "POST", "/api/v1/cases") == 201


@pytest.mark.parametrize(
    "secret",
    ["", "cbt_", "cbt_not-a-real-token", "Basic abc", "x" * 300, "cbt_" + "x" * 300, "nonsense"],
)
@pytest.mark.django_db
def test_malformed_or_unknown_bearers_are_401(world: factories.World, secret: str) -> None:
    response = CLIENT.get("/api/v1/users/me", HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Bearer"
    assert response.json()["code"] == "unauthenticated"


@pytest.mark.django_db
def test_other_schemes_are_401(world: factories.World) -> None:
    for header in (f"Token {world.tokens['l2']}", world.tokens["l2"], "Basic bDI6cGFzcw=="):
        assert CLIENT.get("/api/v1/users/me", HTTP_AUTHORIZATION=header).status_code == 401


@pytest.mark.django_db
def test_use_is_recorded_at_most_every_five_minutes(world: factories.World) -> None:
    token, secret = token_create(actor=None, user=world["l2"], name="ci")
    with time_machine.travel(T0, tick=False) as clock:
        assert token_authenticate(secret) is not None
        assert ApiToken.objects.get(pk=token.pk).last_used_at == T0
        clock.shift(timedelta(minutes=4))
        token_authenticate(secret)
        assert ApiToken.objects.get(pk=token.pk).last_used_at == T0
        clock.shift(timedelta(minutes=2))
        token_authenticate(secret)
        assert ApiToken.objects.get(pk=token.pk).last_used_at == T0 + timedelta(minutes=6)


@pytest.mark.django_db
def test_people_manage_their_own_tokens_and_admins_anyones(world: factories.World) -> None:
    with pytest.raises(PermissionDenied):
        token_create(actor=world["l1"], user=world["l2"], name="sneaky")
    token, _ = token_create(actor=world["admin"], user=world["l2"], name="for l2")
    with pytest.raises(PermissionDenied):
        token_revoke(actor=world["l1"], token=token)
    token_revoke(actor=world["admin"], token=token)
    assert ApiToken.objects.get(pk=token.pk).revoked_at is not None


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"scope": "admin"}, "scope"),
        ({"expires_in_days": 0}, "expires_in_days"),
        ({"expires_in_days": 367}, "expires_in_days"),
        ({"name": "   "}, "name"),
        ({"name": "n" * 121}, "name"),
    ],
)
def test_bad_token_requests_are_refused(
    world: factories.World, kwargs: dict[str, Any], field: str
) -> None:
    before = ApiToken.objects.count()
    arguments: dict[str, Any] = {"name": "ci", **kwargs}
    with pytest.raises(ValidationFailed) as refused:
        token_create(actor=None, user=world["l2"], **arguments)
    assert set(refused.value.fields) == {field}
    assert ApiToken.objects.count() == before


@pytest.mark.django_db
def test_the_token_list_never_shows_secrets(world: factories.World) -> None:
    response = CLIENT.get("/api/v1/tokens", HTTP_AUTHORIZATION=f"Bearer {world.tokens['l2']}")
    assert response.status_code == 200
    assert [t["name"] for t in response.json()] == ["tests"]
    assert world.tokens["l2"] not in response.content.decode()
    assert "token" not in response.json()[0]
    created = CLIENT.post(
        "/api/v1/tokens",
        '{"name": "ci", "scope": "write", "expires_in_days": 7}',
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {world.tokens['l2']}",
    ).json()
    assert created["token"].startswith(created["prefix"])
    assert status(created["token"], "POST", "/api/v1/cases") == 201
