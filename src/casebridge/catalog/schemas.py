from __future__ import annotations

from ninja import Schema
from pydantic import Field

from casebridge.catalog.models import Service
from casebridge.core.schemas import InputSchema


class ComponentOut(Schema):
    slug: str
    name: str
    critical: bool


class ServiceOut(Schema):
    slug: str
    name: str
    description: str
    owner_team: str | None = None
    components: list[ComponentOut]

    @staticmethod
    def of(service: Service) -> ServiceOut:
        return ServiceOut(
            slug=service.slug,
            name=service.name,
            description=service.description,
            owner_team=service.owner_team.slug if service.owner_team else None,
            components=[
                ComponentOut(slug=c.slug, name=c.name, critical=c.critical)
                for c in service.components.all()
            ],
        )


class ServiceRef(Schema):
    slug: str
    name: str


class ComponentIn(InputSchema):
    name: str = Field(min_length=1, max_length=120)
    slug: str = Field(default="", max_length=80)
    critical: bool = False


class ComponentPatch(InputSchema):
    name: str | None = Field(default=None, min_length=1, max_length=120)
    critical: bool | None = None


class ServiceIn(InputSchema):
    name: str = Field(min_length=1, max_length=120)
    slug: str = Field(default="", max_length=80)
    description: str = Field(default="", max_length=10_000)
    owner_team: str | None = Field(default=None, max_length=80)
    components: list[ComponentIn] = Field(default_factory=list, max_length=100)


class ServicePatch(InputSchema):
    """Fields left out stay; ``owner_team: null`` removes the owner."""

    name: str | None = Field(default=None, min_length=1, max_length=120)
    description: str | None = Field(default=None, max_length=10_000)
    owner_team: str | None = Field(default=None, max_length=80)
