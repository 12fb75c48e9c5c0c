"""Password validators are on: a weak password is refused naming the field, from the service and
the CLI."""

from __future__ import annotations

import pytest

from casebridge.accounts.services import user_create
from casebridge.core.errors import ValidationFailed
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("weak", ["short1", "password123", "12345678901", "kim.lee.kim"])
def test_weak_passwords_are_refused(world: factories.World, weak: str) -> None:
    with pytest.raises(ValidationFailed) as refused:
        user_create(
            actor=world["admin"],
            username="kim.lee",
            email="kim.lee@example.com",
            roles=["l1_agent"],
            password=weak,
        )
    assert "password" in refused.value.fields


def test_a_strong_password_is_taken(world: factories.World) -> None:
    user = user_create(
        actor=world["admin"],
        username="kim.lee",
        email="kim.lee@example.com",
        roles=["l1_agent"],
        password="tidal-orchid-41-lantern",
    )
    assert user.check_password("tidal-orchid-41-lantern")
