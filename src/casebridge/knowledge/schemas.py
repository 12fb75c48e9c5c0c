from __future__ import annotations

from datetime import datetime
from typing import Literal

from ninja import Schema
from pydantic import Field

from casebridge.core.schemas import InputSchema
from casebridge.knowledge.models import KnownResolution

FixKindName = Literal[
    "restart_service", "configuration_change", "data_correction", "workaround", "other"
]


class KnownResolutionIn(InputSchema):
    title: str = Field(min_length=3, max_length=200)
    symptoms: str = Field(min_length=1, max_length=50_000)
    steps: str = Field(min_length=1, max_length=50_000)
    fix_kind: FixKindName
    services: list[str] = Field(default_factory=list, description="Service slugs")


class KnownResolutionPatch(InputSchema):
    title: str | None = Field(default=None, min_length=3, max_length=200)
    symptoms: str | None = Field(default=None, min_length=1, max_length=50_000)
    steps: str | None = Field(default=None, min_length=1, max_length=50_000)
    fix_kind: FixKindName | None = None
    services: list[str] | None = None


class KnownResolutionOut(Schema):
    key: str
    title: str
    symptoms: str
    steps: str
    fix_kind: str
    services: list[str]
    applied: int
    created_at: datetime
    updated_at: datetime

    @staticmethod
    def of(item: KnownResolution) -> KnownResolutionOut:
        return KnownResolutionOut(
            key=item.key,
            title=item.title,
            symptoms=item.symptoms,
            steps=item.steps,
            fix_kind=item.fix_kind,
            services=[s.slug for s in item.services.all()],
            applied=getattr(item, "applied", 0),
            created_at=item.created_at,
            updated_at=item.updated_at,
        )
