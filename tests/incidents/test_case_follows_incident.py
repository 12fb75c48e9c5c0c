"""The case an incident was declared from follows the incident (issue 10): resolved with the
incident's note unless an escalation holds it (then its timeline says what is left), reopened
when the incident is active again; through the services only."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from casebridge.audit.models import AuditEvent
from casebridge.cases.models import Case
from casebridge.cases.services import case_transition
from casebridge.incidents.models import Incident
from casebridge.incidents.services import (
    Declaration,
    incident_declare,
    incident_transition,
    review_update,
)
from tests import factories
from tests.web.work_items import escalated

pytestmark = pytest.mark.django_db

REVIEW = {
    "summary": "Card payments failed for 45 minutes.",
    "root_cause": "The gateway's pool was too small.",
    "impact": "Every card payment failed.",
    "duration_minutes": 45,
    "customers_affected": 1200,
    "went_well": "The alert fired at once.",
    "went_badly": "Nobody knew the pool size.",
}


def declared(world: factories.World, case: Case) -> Incident:
    data = Declaration(title="Card payments fail", severity="sev2", lead=world["dev3"], case=case)
    return incident_declare(actor=world["l2"], data=data)


def act(world: factories.World, incident: Incident, action: str, **data: Any) -> Incident:
    fresh = Incident.objects.get(pk=incident.pk)
    return incident_transition(actor=world["dev3"], incident=fresh, action=action, data=data)


def taken(world: factories.World) -> Case:
    case = factories.make_case(world, by="cust_a")
    return case_transition(actor=world["l2"], case=case, action="take")


def portal(world: factories.World, case: Case) -> str:
    client = Client()
    client.force_login(world["cust_a"])
    return client.get(f"/portal/cases/{case.key}/").content.decode()


def test_resolving_the_incident_resolves_its_case(world: factories.World) -> None:
    case = taken(world)
    incident = declared(world, case)
    act(world, incident, "mitigate", note="Traffic moved to the standby gateway")
    assert Case.objects.get(pk=case.pk).state == "investigating", "mitigated is not restored"
    act(world, incident, "resolve", note="Gateway pool resized; payments go through again")
    case = Case.objects.get(pk=case.pk)
    assert (case.state, case.resolution) == ("resolved", "incident")
    assert case.resolution_note == "Gateway pool resized; payments go through again"
    assert case.resolved_at is not None
    page = portal(world, case)
    assert "A support engineer is investigating" not in page
    assert "Gateway pool resized; payments go through again" in page
    event = AuditEvent.objects.filter(subject_key=case.key, field="state").last()
    assert event is not None and (event.action, event.public) == ("resolve_with_incident", True)


def test_an_incident_active_again_reopens_the_case_it_resolved(world: factories.World) -> None:
    case = taken(world)
    incident = act(world, declared(world, case), "resolve", note="Pool resized")
    act(world, incident, "reopen", reason="Payments fail again")
    case = Case.objects.get(pk=case.pk)
    assert (case.state, case.resolution, case.reopen_count) == ("investigating", "", 1)
    act(world, incident, "resolve", note="Pool resized twice")
    case = Case.objects.get(pk=case.pk)
    assert (case.state, case.resolution_note) == ("resolved", "Pool resized twice")


def test_an_escalated_case_stays_with_development_and_says_so(world: factories.World) -> None:
    case = escalated(world, "bug", by="cust_a")
    incident = act(world, declared(world, case), "resolve", note="Pool resized")
    case = Case.objects.get(pk=case.pk)
    assert case.state == "escalated" and case.resolution == ""
    told = AuditEvent.objects.get(subject_key=case.key, action="incident_resolved")
    assert told.public and told.data == {"incident": incident.key, "work_item": case.work_item.key}
    staff = Client()
    staff.force_login(world["l2"])
    page = staff.get(f"/cases/{case.key}/").content.decode()
    assert f"{incident.key} was resolved" in page and f"{case.work_item.key} is still open" in page
    customer = portal(world, case)
    assert "The service is restored" in customer
    assert "still with our development team" in customer


def test_closing_leaves_a_case_the_reporter_reopened_with_l2(world: factories.World) -> None:
    case = taken(world)
    incident = act(world, declared(world, case), "resolve", note="Pool resized")
    case = case_transition(
        actor=world["cust_a"],
        case=Case.objects.get(pk=case.pk),
        action="reopen",
        data={"reason": "Still failing for our Amex cards"},
    )
    incident = act(world, incident, "start_review", review_lead="dev3")
    review_update(actor=world["dev3"], incident=incident, changes=REVIEW)
    act(world, incident, "close")
    assert Case.objects.get(pk=case.pk).state == "investigating"


def test_closing_an_incident_resolves_a_case_that_never_followed_it(
    world: factories.World,
) -> None:
    """A case still open when its incident closes (declared from a case L2 had not taken when
    the incident was resolved, e.g. before cases followed incidents) resolves then."""
    case = taken(world)
    incident = act(world, declared(world, case), "resolve", note="Pool resized")
    AuditEvent.objects.filter(subject_key=case.key, action="resolve_with_incident").delete()
    case = case_transition(
        actor=world["l2"],
        case=Case.objects.get(pk=case.pk),
        action="reopen",
        data={"reason": "Legacy: the case did not follow its incident"},
    )
    AuditEvent.objects.filter(subject_key=case.key, action="reopen").delete()
    incident = act(world, incident, "start_review", review_lead="dev3")
    review_update(actor=world["dev3"], incident=incident, changes=REVIEW)
    act(world, incident, "close")
    case = Case.objects.get(pk=case.pk)
    assert (case.state, case.resolution, case.resolution_note) == (
        "resolved",
        "incident",
        "Pool resized",
    )


def test_an_incident_resolution_is_not_a_resolution_l2_picks(world: factories.World) -> None:
    from casebridge.core.errors import TransitionRefused

    with pytest.raises(TransitionRefused) as refused:
        case_transition(
            actor=world["l2"],
            case=taken(world),
            action="resolve",
            data={"resolution": "incident", "note": "x"},
        )
    assert "resolved with its incident when the incident is resolved" in str(refused.value)
