"""Users, roles, developer levels, organisations and teams."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from casebridge.accounts.models import Role, User
from casebridge.accounts.services import organisation_create, team_create, user_create
from casebridge.audit.models import AuditEvent
from casebridge.core.errors import PermissionDenied, ValidationFailed
from tests import factories

CLIENT = Client()


def make(actor: Any = None, **kwargs: Any) -> User:
    arguments: dict[str, Any] = {
        "username": "newcomer",
        "email": "newcomer@example.com",
        "roles": ["l1_agent"],
        **kwargs,
    }
    return user_create(actor=actor, **arguments)


@pytest.mark.django_db
def test_a_user_holds_several_roles_and_a_level(world: factories.World) -> None:
    user = make(world["admin"], roles=["developer", "qa", "developer"], level="L3")
    fresh = User.objects.prefetch_related("role_grants").get(pk=user.pk)
    assert fresh.roles == {"developer", "qa"}
    assert (fresh.level, fresh.level_rank, fresh.is_external) == ("L3", 3, False)
    assert not fresh.has_usable_password()
    event = AuditEvent.objects.get(subject_type="user", subject_key="newcomer")
    assert event.actor == world["admin"]
    assert event.data["roles"] == ["developer", "qa"]


@pytest.mark.django_db
def test_admins_are_django_staff(world: factories.World) -> None:
    user = make(roles=["admin"])
    assert (user.is_staff, user.is_superuser) == (True, True)
    assert (world["l2"].is_staff, world["l2"].is_superuser) == (False, False)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("roles", "external"),
    [
        (["reporter"], True),
        (["partner"], True),
        (["reporter", "partner"], True),
        (["reporter", "l1_agent"], False),
        (["l1_agent"], False),
        (["admin"], False),
    ],
)
def test_customers_and_partners_are_external(
    world: factories.World, roles: list[str], external: bool
) -> None:
    user = make(roles=roles, organisation=world.orgs["a"])
    fresh = User.objects.prefetch_related("role_grants").get(pk=user.pk)
    assert fresh.is_external is external


@pytest.mark.django_db
def test_only_admins_create_users(world: factories.World) -> None:
    for actor in ("l2", "rte", "cust_a"):
        with pytest.raises(PermissionDenied):
            make(world[actor])
    assert not User.objects.filter(username="newcomer").exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("kwargs", "fields"),
    [
        ({"username": "x"}, {"username"}),
        ({"username": "has space"}, {"username"}),
        ({"username": "L2"}, {"username"}),  # taken, whatever the case
        ({"email": "not-an-address"}, {"email"}),
        ({"roles": []}, {"role"}),
        ({"roles": ["wizard"]}, {"role"}),
        ({"roles": ["developer"]}, {"level"}),
        ({"roles": ["developer"], "level": "L9"}, {"level"}),
        ({"roles": ["l2_engineer"], "level": "L2"}, {"level"}),
        ({"roles": ["reporter"]}, {"org"}),
        ({"username": "?", "email": "@", "roles": ["reporter"]}, {"username", "email", "org"}),
    ],
)
def test_bad_users_are_refused_naming_every_field(
    world: factories.World, kwargs: dict[str, Any], fields: set[str]
) -> None:
    before = User.objects.count()
    with pytest.raises(ValidationFailed) as refused:
        make(**kwargs)
    assert set(refused.value.fields) == fields
    assert User.objects.count() == before


@pytest.mark.django_db
def test_organisations_and_teams(world: factories.World) -> None:
    org = organisation_create(actor=world["admin"], name="Initech Ltd")
    assert org.slug == "initech-ltd"
    with pytest.raises(ValidationFailed) as taken:
        organisation_create(actor=None, name="initech ltd")
    assert set(taken.value.fields) == {"name", "slug"}
    with pytest.raises(PermissionDenied):
        organisation_create(actor=world["l2"], name="Hooli")
    team = team_create(actor=None, name="Payments squad", members=[world["dev2"]])
    assert (team.slug, team.kind, list(team.members.all())) == (
        "payments-squad",
        "development",
        [world["dev2"]],
    )
    with pytest.raises(ValidationFailed):
        team_create(actor=None, name="Ops", kind="circus")
    with pytest.raises(ValidationFailed):
        team_create(actor=None, name="payments squad")


@pytest.mark.django_db
def test_admin_creates_a_user_through_the_api(world: factories.World) -> None:
    response = CLIENT.post(
        "/api/v1/users",
        '{"username": "kim", "email": "kim@acme.example", "roles": ["reporter"], '
        '"organisation": "acme", "first_name": "Kim"}',
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {world.tokens['admin']}",
    )
    assert response.status_code == 201, response.json()
    assert response.json() == {
        "username": "kim",
        "name": "Kim",
        "email": "kim@acme.example",
        "roles": ["reporter"],
        "level": None,
        "organisation": "acme",
        "teams": [],
        "active": True,
    }


@pytest.mark.django_db
def test_the_directory_filters_by_role_and_level(world: factories.World) -> None:
    def names(query: str) -> list[str]:
        response = CLIENT.get(
            f"/api/v1/users{query}", HTTP_AUTHORIZATION=f"Bearer {world.tokens['rte']}"
        )
        return [u["username"] for u in response.json()]

    assert names("?role=developer") == ["dev1", "dev2", "dev3", "dev4"]
    assert names("?role=developer&level=L3") == ["dev3"]
    assert names("?role=l2_engineer") == ["l2", "l2b"]
    me = CLIENT.get("/api/v1/users/me", HTTP_AUTHORIZATION=f"Bearer {world.tokens['dev2']}")
    assert me.json()["teams"] == ["core-team"]
    assert me.json()["level"] == "L2"


@pytest.mark.django_db
def test_roles_are_checked_by_the_database(world: factories.World) -> None:
    from django.db import IntegrityError, transaction

    from casebridge.accounts.models import UserRole

    with pytest.raises(IntegrityError), transaction.atomic():
        UserRole.objects.create(user=world["l1"], role="overlord")
    with pytest.raises(IntegrityError), transaction.atomic():
        UserRole.objects.create(user=world["l1"], role=Role.L1_AGENT)
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.filter(pk=world["l1"].pk).update(level="L7")
