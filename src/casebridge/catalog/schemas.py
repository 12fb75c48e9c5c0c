from __future__ import annotations

from ninja import Schema


class ComponentOut(Schema):
    slug: str
    name: str
    critical: bool


class ServiceOut(Schema):
    slug: str
    name: str
    description: str
    components: list[ComponentOut]


class ServiceRef(Schema):
    slug: str
    name: str
