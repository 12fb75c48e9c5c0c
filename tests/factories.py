"""Builders for test data, all through the services (never .save() on domain models)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from casebridge.accounts.models import Organisation, User
from casebridge.accounts.services import organisation_create, team_create, token_create, user_create
from casebridge.cases.models import Case
from casebridge.cases.services import CaseInput, case_create
from casebridge.catalog.models import Component, Service

#: username -> (roles, level, organisation key)
PEOPLE: dict[str, tuple[list[str], str, str]] = {
    "cust_a": (["reporter"], "", "a"),
    "cust_b": (["reporter"], "", "b"),
    "partner": (["partner"], "", ""),
    "l1": (["l1_agent"], "", ""),
    "l2": (["l2_engineer"], "", ""),
    "l2b": (["l2_engineer"], "", ""),
    "rte": (["rte"], "", ""),
    "pm": (["product_manager"], "", ""),
    "dev1": (["developer"], "L1", ""),
    "dev2": (["developer"], "L2", ""),
    "dev3": (["developer"], "L3", ""),
    "dev4": (["developer"], "L4", ""),
    "devops": (["devops"], "", ""),
    "qa": (["qa"], "", ""),
    "admin": (["admin"], "", ""),
}


@dataclass
class World:
    users: dict[str, User] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)
    orgs: dict[str, Organisation] = field(default_factory=dict)
    services: dict[str, Service] = field(default_factory=dict)
    components: dict[str, Component] = field(default_factory=dict)

    def __getitem__(self, username: str) -> User:
        return self.users[username]


def make_service(name: str, components: list[tuple[str, bool]]) -> Service:
    from django.utils.text import slugify

    service = Service.objects.create(name=name, slug=slugify(name))
    for component, critical in components:
        Component.objects.create(
            service=service, name=component, slug=slugify(component), critical=critical
        )
    return service


def build_world() -> World:
    world = World()
    world.orgs["a"] = organisation_create(actor=None, name="Acme Retail", slug="acme")
    world.orgs["b"] = organisation_create(actor=None, name="Borealis Bank", slug="borealis")
    world.services["payments"] = make_service(
        "Payments", [("Checkout API", True), ("Refunds", False)]
    )
    world.services["search"] = make_service("Search", [("Indexer", False)])
    for slug, comp in (
        ("checkout-api", "payments"),
        ("refunds", "payments"),
        ("indexer", "search"),
    ):
        world.components[slug] = world.services[comp].components.get(slug=slug)
    for username, (roles, level, org) in PEOPLE.items():
        user = user_create(
            actor=None,
            username=username,
            email=f"{username}@example.com",
            roles=roles,
            level=level,
            organisation=world.orgs.get(org),
            password="correct-horse-battery",
        )
        world.users[username] = User.objects.prefetch_related("role_grants").get(pk=user.pk)
        _, secret = token_create(actor=None, user=user, name="tests", scope="write")
        world.tokens[username] = secret
    world.users["partner"].served_organisations.add(world.orgs["a"])
    team_create(actor=None, name="Core team", members=[world["dev2"], world["dev3"]])
    team_create(actor=None, name="Platform", kind="devops", members=[world["devops"]])
    return world


def make_case(world: World, *, by: str = "l1", org: str = "a", **overrides: Any) -> Case:
    actor = world[by]
    data = CaseInput(
        title=overrides.pop("title", "Checkout fails with 502 for card payments"),
        description=overrides.pop("description", "Customers see a 502 at the last step."),
        service=overrides.pop("service", world.services["payments"]),
        component=overrides.pop("component", world.components["checkout-api"]),
        environment=overrides.pop("environment", "production"),
        impact=overrides.pop("impact", "high"),
        version=overrides.pop("version", "4.2.1"),
        organisation=world.orgs.get(org) if not actor.is_external else None,
        reporter=overrides.pop("reporter", None),
    )
    assert not overrides, overrides
    return case_create(actor=actor, data=data)
