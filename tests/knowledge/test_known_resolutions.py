"""The knowledge base: known resolutions are created, edited, listed and searched; applying one
to a case records it on the case (see tests/cases/test_resolution.py)."""

from __future__ import annotations

from typing import Any

import pytest
import time_machine
from django.test import Client

from casebridge.audit.models import AuditEvent
from casebridge.cases.services import case_transition
from casebridge.core.errors import NotFound, PermissionDenied, ValidationFailed
from casebridge.knowledge.models import KnownResolution
from casebridge.knowledge.selectors import known_resolution_get_for, known_resolution_list_for
from casebridge.knowledge.services import (
    KnownResolutionInput,
    known_resolution_create,
    known_resolution_update,
)
from tests import factories
from tests.contract.support import snapshot

CLIENT = Client()


def entry(world: factories.World, **overrides: Any) -> KnownResolutionInput:
    values: dict[str, Any] = {
        "title": "Restart the checkout pods",
        "symptoms": "HTTP 502 at the payment step; upstream timed out",
        "steps": "1. kubectl rollout restart deploy/checkout\n2. Watch the error rate",
        "fix_kind": "restart_service",
        "services": [world.services["payments"]],
    }
    return KnownResolutionInput(**{**values, **overrides})


def api(world: factories.World, who: str, method: str, path: str, body: str = "") -> Any:
    headers = {"HTTP_AUTHORIZATION": f"Bearer {world.tokens[who]}"}
    if method == "GET":
        return CLIENT.get(f"/api/v1/known-resolutions{path}", **headers)
    return CLIENT.generic(
        method, f"/api/v1/known-resolutions{path}", body, content_type="application/json", **headers
    )


@pytest.mark.django_db
@pytest.mark.parametrize("editor", ["l2", "dev1", "devops", "admin"])
def test_l2_developers_devops_and_admins_record_known_fixes(
    world: factories.World, editor: str
) -> None:
    item = known_resolution_create(actor=world[editor], data=entry(world))
    assert item.key == "KR-1"
    assert (item.created_by, item.fix_kind) == (world[editor], "restart_service")
    assert [s.slug for s in item.services.all()] == ["payments"]
    assert AuditEvent.objects.filter(subject_key="KR-1", action="created").count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize("outsider", ["cust_a", "partner", "l1", "rte", "pm", "qa"])
def test_others_do_not_edit_the_knowledge_base(world: factories.World, outsider: str) -> None:
    before = snapshot()
    with pytest.raises(PermissionDenied):
        known_resolution_create(actor=world[outsider], data=entry(world))
    assert snapshot() == before


@pytest.mark.django_db
def test_invalid_entries_name_every_field(world: factories.World) -> None:
    with pytest.raises(ValidationFailed) as refused:
        known_resolution_create(
            actor=world["l2"], data=entry(world, title="ab", symptoms=" ", steps="", fix_kind="x")
        )
    assert set(refused.value.fields) == {"title", "symptoms", "steps", "fix_kind"}
    assert KnownResolution.objects.count() == 0


@pytest.mark.django_db
def test_an_edit_audits_the_fields_that_changed(world: factories.World) -> None:
    item = known_resolution_create(actor=world["l2"], data=entry(world))
    changed = entry(
        world,
        title="Restart the checkout deployment",
        services=[world.services["payments"], world.services["search"]],
    )
    known_resolution_update(actor=world["dev3"], resolution=item, data=changed)
    events = AuditEvent.objects.filter(subject_key=item.key, action="updated").order_by("id")
    assert [(e.field, e.old, e.new, e.actor) for e in events] == [
        ("title", "Restart the checkout pods", "Restart the checkout deployment", world["dev3"]),
        ("services", "payments", "payments, search", world["dev3"]),
    ]


@pytest.mark.django_db
def test_a_no_op_edit_writes_nothing(world: factories.World) -> None:
    item = known_resolution_create(actor=world["l2"], data=entry(world))
    before = (snapshot(), list(KnownResolution.objects.values()))
    with time_machine.travel("2030-01-01 00:00Z"):
        known_resolution_update(actor=world["l2"], resolution=item, data=entry(world))
    assert (snapshot(), list(KnownResolution.objects.values())) == before


@pytest.mark.django_db
def test_search_matches_every_word_in_title_symptoms_or_steps(world: factories.World) -> None:
    restart = known_resolution_create(actor=world["l2"], data=entry(world))
    reindex = known_resolution_create(
        actor=world["l2"],
        data=entry(
            world,
            title="Rebuild the search index",
            symptoms="Search returns nothing for recent orders",
            steps="Run reindex --since 2d",
            fix_kind="data_correction",
            services=[world.services["search"]],
        ),
    )
    viewer = world["l2"]

    def keys(query: str = "", service: str = "") -> list[str]:
        found = known_resolution_list_for(viewer, query=query, service=service)
        return [i.key for i in found]

    assert keys("502") == [restart.key]
    assert keys("UPSTREAM timed") == [restart.key]
    assert keys("reindex orders") == [reindex.key]
    assert keys("502 reindex") == []
    assert keys(service="search") == [reindex.key]
    assert sorted(keys()) == sorted([restart.key, reindex.key])
    assert keys("%") == keys() and keys("'; DROP TABLE x; --") == []


@pytest.mark.django_db
def test_the_most_applied_fix_comes_first(world: factories.World) -> None:
    first = known_resolution_create(actor=world["l2"], data=entry(world, title="Flush the cache"))
    second = known_resolution_create(actor=world["l2"], data=entry(world))
    for _ in range(2):
        case = case_transition(actor=world["l2"], case=factories.make_case(world), action="take")
        case_transition(
            actor=world["l2"],
            case=case,
            action="resolve",
            data={
                "resolution": "known_fix",
                "known_resolution": first.key,
                "action_taken": "Did it",
            },
        )
    listed = list(known_resolution_list_for(world["l2"]))
    assert [(i.key, i.applied) for i in listed] == [(first.key, 2), (second.key, 0)]


@pytest.mark.django_db
def test_customers_see_no_known_resolutions(world: factories.World) -> None:
    item = known_resolution_create(actor=world["l2"], data=entry(world))
    assert list(known_resolution_list_for(world["cust_a"])) == []
    with pytest.raises(NotFound):
        known_resolution_get_for(world["partner"], item.key)
    assert known_resolution_get_for(world["l1"], item.key.lower()) == item


@pytest.mark.django_db
def test_create_edit_search_through_the_api(world: factories.World) -> None:
    created = api(
        world,
        "l2",
        "POST",
        "",
        '{"title": "Rotate the gateway key", "symptoms": "401 from the card gateway",'
        ' "steps": "Rotate in the vault", "fix_kind": "configuration_change",'
        ' "services": ["payments"]}',
    )
    assert created.status_code == 201, created.json()
    key = created.json()["key"]
    edited = api(world, "dev3", "PATCH", f"/{key}", '{"steps": "Rotate in the vault, then reload"}')
    assert edited.status_code == 200, edited.json()
    assert edited.json()["steps"] == "Rotate in the vault, then reload"
    assert edited.json()["title"] == "Rotate the gateway key"
    assert edited.json()["services"] == ["payments"]
    found = api(world, "l1", "GET", "?q=gateway+401&service=payments").json()
    assert [i["key"] for i in found] == [key]
    assert api(world, "l1", "GET", "?q=gateway&service=search").json() == []
