from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from ninja import Schema
from pydantic import Field

from casebridge.accounts.models import Organisation, Role, Team, User
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
    active: bool = True

    @staticmethod
    def of(user: User) -> UserOut:
        return UserOut(
            active=user.is_active,
            username=user.username,
            name=user.display_name,
            email=user.email,
            roles=sorted(user.roles),
            level=user.level or None,
            organisation=user.organisation.slug if user.organisation else None,
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

    @staticmethod
    def of(team: Team) -> TeamOut:
        return TeamOut(
            slug=team.slug,
            name=team.name,
            kind=team.kind,
            members=sorted(m.username for m in team.members.all()),
        )


LevelName = Literal["L1", "L2", "L3", "L4", ""]
Username = Annotated[str, Field(min_length=1, max_length=150)]
Domain = Annotated[str, Field(min_length=1, max_length=253)]


class UserPatch(InputSchema):
    """Fields left out stay as they are; ``organisation: null`` takes the user out of theirs."""

    email: str | None = Field(default=None, max_length=254)
    first_name: str | None = Field(default=None, max_length=150)
    last_name: str | None = Field(default=None, max_length=150)
    roles: list[RoleName] | None = Field(default=None, min_length=1)
    level: LevelName | None = None
    organisation: str | None = Field(default=None, max_length=80)
    active: bool | None = None


class OrganisationOut(Schema):
    slug: str
    name: str
    email_domains: list[str]
    members: list[str] = Field(description="Its customer users (staff only).")
    partners: list[str] = Field(description="Partners serving it (staff only).")

    @staticmethod
    def of(organisation: Organisation, *, people: bool) -> OrganisationOut:
        return OrganisationOut(
            slug=organisation.slug,
            name=organisation.name,
            email_domains=list(organisation.email_domains),
            members=sorted(m.username for m in organisation.members.all()) if people else [],
            partners=sorted(p.username for p in organisation.partners.all()) if people else [],
        )


class OrganisationIn(InputSchema):
    name: str = Field(min_length=1, max_length=200)
    slug: str = Field(default="", max_length=80)
    email_domains: list[Domain] = Field(default_factory=list, max_length=50)


class OrganisationPatch(InputSchema):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    email_domains: list[Domain] | None = Field(default=None, max_length=50)
    partners: list[Username] | None = Field(default=None, max_length=500)


class TeamIn(InputSchema):
    name: str = Field(min_length=1, max_length=120)
    kind: Literal["development", "devops"] = "development"
    members: list[Username] = Field(default_factory=list, max_length=500)


class TeamPatch(InputSchema):
    name: str | None = Field(default=None, min_length=1, max_length=120)
    kind: Literal["development", "devops"] | None = None


class MemberIn(InputSchema):
    username: Username


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
