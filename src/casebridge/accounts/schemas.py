from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from ninja import Schema
from pydantic import Field

from casebridge.accounts.models import Role
from casebridge.core.schemas import InputSchema

RoleName = Literal[
    "reporter",
    "partner",
    "l1_agent",
    "l2_engineer",
    "rte",
    "product_manager",
    "developer",
    "devops",
    "qa",
    "admin",
]
assert set(RoleName.__args__) == set(Role.values)  # type: ignore[attr-defined]


class UserOut(Schema):
    username: str
    name: str
    email: str
    roles: list[str]
    level: str | None
    organisation: str | None
    teams: list[str]

    @staticmethod
    def of(user: Any) -> UserOut:
        return UserOut(
            username=user.username,
            name=user.display_name,
            email=user.email,
            roles=sorted(user.roles),
            level=user.level or None,
            organisation=user.organisation.slug if user.organisation_id else None,
            teams=[t.slug for t in user.teams.all()],
        )


class UserIn(InputSchema):
    username: str = Field(min_length=2, max_length=150)
    email: str = Field(max_length=254)
    roles: list[RoleName] = Field(min_length=1)
    level: Literal["L1", "L2", "L3", "L4"] | None = None
    organisation: str | None = None
    first_name: str = Field(default="", max_length=150)
    last_name: str = Field(default="", max_length=150)


class TeamOut(Schema):
    slug: str
    name: str
    kind: str
    members: list[str]


class TokenIn(InputSchema):
    name: str = Field(min_length=1, max_length=120)
    scope: Literal["read", "write"] = "read"
    expires_in_days: int = Field(default=90, ge=1, le=366)


class TokenOut(Schema):
    prefix: str
    name: str
    scope: str
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None
    last_used_at: datetime | None


class TokenCreatedOut(TokenOut):
    token: str = Field(description="The secret. Shown once; store it now.")
