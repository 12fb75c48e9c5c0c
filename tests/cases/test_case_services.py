"""Intake, corrections and comments: the services every edge (API, pages, CLI) goes through."""

from __future__ import annotations

from typing import Any

import pytest
import time_machine

from casebridge.audit.models import AuditEvent
from casebridge.cases.models import Case
from casebridge.cases.services import (
    CaseInput,
    case_create,
    case_transition,
    case_update,
    comment_add,
)
from casebridge.core.errors import PermissionDenied, ValidationFailed
from casebridge.integrations.models import OutboxMessage
from tests import factories
from tests.contract.support import snapshot


def data(world: factories.World, **overrides: Any) -> CaseInput:
    values: dict[str, Any] = {
        "title": "Refunds stuck in pending",
        "description": "Since Monday.",
        "service": world.services["payments"],
        "component": world.components["refunds"],
        "environment": "production",
    }
    return CaseInput(**{**values, **overrides})


# --- intake ---------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_keys_are_allocated_in_order(world: factories.World) -> None:
    keys = [case_create(actor=world["l1"], data=data(world)).key for _ in range(3)]
    assert keys == ["CB-1", "CB-2", "CB-3"]
    assert list(Case.objects.values_list("number", flat=True)) == [1, 2, 3]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("actor", "channel", "source"),
    [
        ("cust_a", "web", "portal"),
        ("partner", "web", "partner"),
        ("l1", "web", "l1_agent"),
        ("l2", "web", "staff"),
        ("admin", "web", "staff"),
        ("l1", "api", "api"),
        ("l1", "cli", "cli"),
        ("cust_a", "email", "email"),
        ("l2", "monitoring", "monitoring"),
    ],
)
def test_the_source_records_where_a_case_came_from(
    world: factories.World, actor: str, channel: str, source: str
) -> None:
    organisation = world.orgs["a"] if actor == "partner" else None
    case = case_create(
        actor=world[actor], data=data(world, organisation=organisation), channel=channel
    )
    assert case.source == source


@pytest.mark.django_db
def test_a_created_case_is_audited_publicly_and_announced(world: factories.World) -> None:
    case = case_create(actor=world["cust_a"], data=data(world, title="  Refunds stuck  "))
    assert (case.title, case.state, case.reporter, case.organisation) == (
        "Refunds stuck",
        "new",
        world["cust_a"],
        world.orgs["a"],
    )
    event = AuditEvent.objects.get(subject_key=case.key)
    assert (event.action, event.new, event.public, event.actor) == (
        "created",
        "new",
        True,
        world["cust_a"],
    )
    message = OutboxMessage.objects.exclude(topic__startswith="event.").get(key=case.key)
    assert (message.topic, message.payload) == (
        "case.created",
        {"key": case.key, "source": "portal", "audit_event": event.pk},  # its change's event
    )


@pytest.mark.django_db
@pytest.mark.parametrize("role_holder", ["dev3", "rte", "pm", "devops", "qa"])
def test_development_roles_do_not_open_cases(world: factories.World, role_holder: str) -> None:
    before = snapshot()
    with pytest.raises(PermissionDenied):
        case_create(actor=world[role_holder], data=data(world))
    assert snapshot() == before


@pytest.mark.django_db
def test_customers_report_for_their_own_organisation_in_their_own_name(
    world: factories.World,
) -> None:
    with pytest.raises(ValidationFailed) as foreign:
        case_create(actor=world["cust_a"], data=data(world, organisation=world.orgs["b"]))
    assert set(foreign.value.fields) == {"organisation"}
    case = case_create(actor=world["cust_a"], data=data(world, organisation=world.orgs["a"]))
    assert (case.organisation, case.reporter, case.logged_by) == (
        world.orgs["a"],
        world["cust_a"],
        world["cust_a"],
    )
    with pytest.raises(ValidationFailed) as refused:
        case_create(actor=world["cust_a"], data=data(world, reporter=world["cust_b"]))
    assert set(refused.value.fields) == {"reporter"}


@pytest.mark.django_db
def test_partners_report_for_an_organisation_they_serve(world: factories.World) -> None:
    with pytest.raises(ValidationFailed) as missing:
        case_create(actor=world["partner"], data=data(world))
    assert set(missing.value.fields) == {"organisation"}
    with pytest.raises(ValidationFailed) as foreign:
        case_create(actor=world["partner"], data=data(world, organisation=world.orgs["b"]))
    assert set(foreign.value.fields) == {"organisation"}
    case = case_create(actor=world["partner"], data=data(world, organisation=world.orgs["a"]))
    assert case.organisation == world.orgs["a"]


@pytest.mark.django_db
def test_staff_report_for_a_customer(world: factories.World) -> None:
    case = case_create(actor=world["l1"], data=data(world, reporter=world["cust_b"]))
    assert (case.reporter, case.organisation) == (world["cust_b"], world.orgs["b"])


@pytest.mark.django_db
def test_every_invalid_field_is_named_at_once(world: factories.World) -> None:
    bad = data(
        world,
        title="x",
        description="d" * 50_001,
        environment="moon",
        impact="apocalyptic",
        component=world.components["indexer"],
        version="v" * 65,
    )
    before = snapshot()
    with pytest.raises(ValidationFailed) as refused:
        case_create(actor=world["l1"], data=bad)
    assert set(refused.value.fields) == {
        "title",
        "description",
        "environment",
        "impact",
        "component",
        "version",
    }
    assert snapshot() == before


# --- corrections ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_an_update_audits_each_changed_field(world: factories.World) -> None:
    case = factories.make_case(world)
    case_update(
        actor=world["l2"],
        case=case,
        changes={"impact": "critical", "title": "Checkout fails with 502 for card payments "},
    )
    events = AuditEvent.objects.filter(subject_key=case.key, action="updated")
    assert [(e.field, e.old, e.new) for e in events] == [("impact", "high", "critical")]


@pytest.mark.django_db
def test_a_no_op_update_writes_nothing(world: factories.World) -> None:
    case = factories.make_case(world)
    before = (snapshot(), list(Case.objects.values()))
    with time_machine.travel("2030-01-01 00:00Z"):
        case_update(
            actor=world["l2"], case=case, changes={"impact": case.impact, "title": case.title}
        )
    assert (snapshot(), list(Case.objects.values())) == before


@pytest.mark.django_db
def test_changing_the_service_clears_a_component_of_the_old_one(world: factories.World) -> None:
    case = factories.make_case(world)
    case = case_update(actor=world["l2"], case=case, changes={"service": world.services["search"]})
    assert (case.service, case.component) == (world.services["search"], None)


@pytest.mark.django_db
@pytest.mark.parametrize("actor", ["cust_a", "dev3", "rte"])
def test_only_support_staff_correct_cases(world: factories.World, actor: str) -> None:
    case = factories.make_case(world, by="cust_a")
    with pytest.raises(PermissionDenied):
        case_update(actor=world[actor], case=case, changes={"impact": "low"})


@pytest.mark.django_db
def test_unknown_fields_are_refused(world: factories.World) -> None:
    case = factories.make_case(world)
    with pytest.raises(ValidationFailed) as refused:
        case_update(actor=world["l2"], case=case, changes={"state": "closed", "owner": None})
    assert set(refused.value.fields) == {"state", "owner"}


# --- comments -------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_customer_reply_resumes_a_case_waiting_on_them(world: factories.World) -> None:
    case = case_transition(
        actor=world["l2"], case=factories.make_case(world, by="cust_a"), action="take"
    )
    case = case_transition(
        actor=world["l2"], case=case, action="request_info", data={"question": "Which card?"}
    )
    comment_add(actor=world["l2"], case=case, body="Note to self", internal=True)
    assert Case.objects.get(pk=case.pk).state == "waiting_on_reporter"
    comment_add(actor=world["cust_a"], case=case, body="A Visa card.")
    assert Case.objects.get(pk=case.pk).state == "investigating"
    answer = AuditEvent.objects.get(subject_key=case.key, action="answer")
    assert (answer.actor, answer.old, answer.new) == (
        world["cust_a"],
        "waiting_on_reporter",
        "investigating",
    )


@pytest.mark.django_db
def test_comments_are_audited_internal_ones_privately(world: factories.World) -> None:
    case = factories.make_case(world)
    public = comment_add(actor=world["l2"], case=case, body="  We are on it.  ")
    comment_add(actor=world["l2"], case=case, body="Customer is on the legacy plan", internal=True)
    assert public.body == "We are on it."
    events = AuditEvent.objects.filter(subject_key=case.key, action="commented").order_by("id")
    assert [(e.data["internal"], e.public) for e in events] == [(False, True), (True, False)]
    assert OutboxMessage.objects.filter(key=case.key, topic="case.commented").count() == 2
