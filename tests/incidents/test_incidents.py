"""Incidents through their services: declaring, roles, the timeline, the review, closing, and the
ladder policies 6 and 7 (and 2 for L1 participants), each as data an administrator can change."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import time_machine

from casebridge.audit.models import AuditEvent
from casebridge.core.errors import PermissionDenied, TransitionRefused, ValidationFailed
from casebridge.incidents.models import Incident, TimelineEntry
from casebridge.incidents.selectors import timeline_of
from casebridge.incidents.services import (
    Declaration,
    action_item_add,
    action_item_assign,
    incident_declare,
    incident_note_add,
    incident_transition,
    review_update,
)
from casebridge.workitems.models import WorkItem
from casebridge.workitems.services import ladder_policy_set
from tests import factories
from tests.monitoring.helpers import T0

pytestmark = pytest.mark.django_db


def declare(world: factories.World, **overrides: Any) -> Incident:
    case = overrides.pop("case", None) or factories.make_case(world)
    data = Declaration(
        title=overrides.pop("title", "Card payments fail"),
        severity=overrides.pop("severity", "sev2"),
        lead=overrides.pop("lead", world["dev3"]),
        owner=overrides.pop("owner", None),
        case=case,
    )
    return incident_declare(actor=world[overrides.pop("by", "l2")], data=data)


def act(
    world: factories.World, incident: Incident, action: str, by: str = "dev3", **data: Any
) -> Incident:
    fresh = Incident.objects.get(pk=incident.pk)
    return incident_transition(actor=world[by], incident=fresh, action=action, data=data)


def reasons(exc: Any) -> set[tuple[str, str | None]]:
    return {(r.code, r.field) for r in exc.value.reasons}


def texts(incident: Incident) -> list[str]:
    return [e.text for e in timeline_of(incident)]


def test_declaring_from_a_case_records_it_everywhere(world: factories.World) -> None:
    case = factories.make_case(world)
    incident = declare(world, case=case)
    assert (incident.key, incident.state, incident.priority) == ("INC-1", "active", "major")
    assert incident.service == case.service
    assert texts(incident)[0].startswith("Declared SEV-2 (major) from " + case.key)
    assert AuditEvent.objects.filter(subject_key=case.key, action="incident_declared").exists()
    with pytest.raises(ValidationFailed) as again:
        declare(world, case=case)
    assert "INC-1 is already open" in again.value.fields["case"]


def test_customers_and_l1_agents_do_not_declare(world: factories.World) -> None:
    for who in ("cust_a", "l1", "rte"):
        with pytest.raises(PermissionDenied):
            declare(world, by=who)


# --- policy 6 -----------------------------------------------------------------------------------


def test_policy_6_the_lead_is_l3_plus_and_a_sev1_has_an_l4_owner(world: factories.World) -> None:
    with pytest.raises(ValidationFailed) as junior:
        declare(world, lead=world["dev2"])
    assert "L3+" in junior.value.fields["lead"]
    with pytest.raises(ValidationFailed) as ownerless:
        declare(world, severity="sev1")
    assert "L4" in ownerless.value.fields["owner"]
    with pytest.raises(ValidationFailed) as senior_only:
        declare(world, severity="sev1", owner=world["dev3"])
    assert "L4" in senior_only.value.fields["owner"]
    incident = declare(world, severity="sev1", owner=world["dev4"])
    assert (incident.priority, incident.owner) == ("critical", world["dev4"])


def test_policy_6_holds_when_the_lead_changes_or_the_severity_rises(world: factories.World) -> None:
    incident = declare(world)
    with pytest.raises(TransitionRefused) as lead:
        act(world, incident, "assign_lead", lead="dev2")
    assert ("policy_6", "lead") in reasons(lead)
    with pytest.raises(TransitionRefused) as sev1:
        act(world, incident, "change_severity", severity="sev1")
    assert ("policy_6", "owner") in reasons(sev1)
    incident = act(world, incident, "change_severity", severity="sev1", owner="dev4")
    assert (incident.severity, incident.priority, incident.owner) == (
        "sev1",
        "critical",
        world["dev4"],
    )
    assert "Severity: SEV-1 (critical)" in texts(incident)


def test_policy_6_is_data_an_admin_tunes(world: factories.World) -> None:
    ladder_policy_set(actor=world["admin"], code="incident_lead", min_level=2)
    assert declare(world, lead=world["dev2"]).lead == world["dev2"]
    ladder_policy_set(actor=world["admin"], code="incident_owner", enabled=False)
    assert declare(world, severity="sev1").owner is None
    with pytest.raises(PermissionDenied):
        ladder_policy_set(actor=world["dev4"], code="incident_lead", min_level=1)


# --- roles and who runs the incident ------------------------------------------------------------


def test_only_the_lead_owner_or_an_admin_change_an_incident(world: factories.World) -> None:
    incident = declare(world)
    with pytest.raises(TransitionRefused) as refused:
        act(world, incident, "mitigate", by="l2", note="Rolled back")
    assert ("in_command", None) in reasons(refused)
    act(world, incident, "mitigate", by="admin", note="Rolled back")


def test_roles_land_on_the_timeline(world: factories.World) -> None:
    incident = declare(world)
    act(world, incident, "assign_scribe", scribe="dev2")
    act(world, incident, "assign_comms", comms="l2")
    with pytest.raises(TransitionRefused) as comms:
        act(world, incident, "assign_comms", comms="dev2")
    assert ("role", "comms") in reasons(comms)
    act(world, incident, "add_participant", participant="devops")
    incident = Incident.objects.get(pk=incident.pk)
    assert (incident.scribe, incident.comms) == (world["dev2"], world["l2"])
    assert texts(incident)[1:] == [
        "Scribe: dev2 (L2)",
        "Communications contact: l2",
        "devops joined",
    ]


def test_an_l1_participant_needs_a_senior_guide_from_the_incident(world: factories.World) -> None:
    """Policy 2 of the ladder, for incidents: L1 participates under guidance."""
    incident = declare(world)
    with pytest.raises(TransitionRefused) as alone:
        act(world, incident, "add_participant", participant="dev1")
    assert ("policy_2", "guide") in reasons(alone)
    with pytest.raises(TransitionRefused) as junior_guide:
        act(world, incident, "add_participant", participant="dev1", guide="dev2")
    assert ("policy_2", "guide") in reasons(junior_guide)
    with pytest.raises(TransitionRefused) as outsider:
        act(world, incident, "add_participant", participant="dev1", guide="dev4")
    assert any("not in the incident" in r.message for r in outsider.value.reasons)
    act(world, incident, "add_participant", participant="dev1", guide="dev3")
    assert texts(incident)[-1] == "dev1 (L1) joined, guided by dev3 (L3)"
    act(world, incident, "add_participant", participant="dev4")
    act(world, incident, "remove_participant", participant="dev4")
    assert texts(incident)[-1] == "dev4 (L4) left"


# --- the review (policy 7) and closing ----------------------------------------------------------


def resolved(world: factories.World, **kwargs: Any) -> Incident:
    with time_machine.travel(T0, tick=False):
        incident = declare(world, **kwargs)
    with time_machine.travel(T0 + timedelta(minutes=20), tick=False):
        act(world, incident, "mitigate", note="Traffic moved to the standby gateway")
    with time_machine.travel(T0 + timedelta(minutes=45), tick=False):
        return act(world, incident, "resolve", note="Pool resized, gateway back")


def test_policy_7_the_review_is_led_by_an_l3_plus_developer(world: factories.World) -> None:
    incident = resolved(world)
    with pytest.raises(TransitionRefused) as junior:
        act(world, incident, "start_review", review_lead="dev2")
    assert ("policy_7", "review_lead") in reasons(junior)
    with pytest.raises(TransitionRefused) as support:
        act(world, incident, "start_review", review_lead="l2")
    assert ("policy_7", "review_lead") in reasons(support)
    ladder_policy_set(actor=None, code="review_lead", min_level=2)
    incident = act(world, incident, "start_review", review_lead="dev2")
    assert incident.review.lead == world["dev2"]
    assert incident.review.duration_minutes == 45


def test_an_incident_closes_only_with_a_written_review_and_owned_action_items(
    world: factories.World,
) -> None:
    incident = resolved(world)
    incident = act(world, incident, "start_review", review_lead="dev3")
    draft = action_item_add(actor=world["dev3"], incident=incident, title="Alert on pool use")
    assert draft.work_item is None
    with pytest.raises(TransitionRefused) as refused:
        act(world, incident, "close")
    fields = {field for _, field in reasons(refused)}
    assert {
        "summary",
        "root_cause",
        "impact",
        "customers_affected",
        "went_well",
        "went_badly",
    } <= fields
    assert "duration_minutes" not in fields  # from declared to resolved: 45
    assert any("'Alert on pool use' has no owner" in r.message for r in refused.value.reasons)

    review_update(
        actor=world["dev3"],
        incident=incident,
        changes={
            "summary": "Card payments failed for 45 minutes.",
            "root_cause": "The gateway's connection pool was sized for last year's peak.",
            "impact": "Every card payment failed; PayPal worked.",
            "customers_affected": 1200,
            "went_well": "The alert fired within a minute.",
            "went_badly": "Nobody knew the pool size was configurable.",
        },
    )
    filed = action_item_add(
        actor=world["dev3"],
        incident=incident,
        title="Load-test the gateway pool",
        kind="bug",
        owner=world["dev2"],
    )
    assert filed.work_item is not None and filed.work_item.category == "bug"
    item = action_item_assign(actor=world["dev3"], item=draft, owner=world["devops"])
    assert item.work_item is not None
    improvement = WorkItem.objects.get(pk=item.work_item.pk)
    assert (improvement.category, improvement.status) == ("improvement", "proposed")
    assert incident.key in improvement.rationale
    incident = act(world, incident, "close")
    assert incident.state == "closed" and incident.closed_at is not None
    assert [e.kind for e in TimelineEntry.objects.filter(incident=incident)][-1] == "state"


def test_only_the_reviews_people_write_it(world: factories.World) -> None:
    incident = act(world, resolved(world), "start_review", review_lead="dev4")
    with pytest.raises(PermissionDenied):
        review_update(actor=world["l2"], incident=incident, changes={"summary": "x"})
    review_update(actor=world["dev4"], incident=incident, changes={"summary": "Payments down"})
    with pytest.raises(ValidationFailed) as bad:
        review_update(actor=world["dev4"], incident=incident, changes={"customers_affected": -1})
    assert "customers_affected" in bad.value.fields


def test_notes_are_for_the_incident_staff(world: factories.World) -> None:
    incident = declare(world)
    incident_note_add(actor=world["l2"], incident=incident, body="Acme reports it too")
    with pytest.raises(PermissionDenied):
        incident_note_add(actor=world["cust_a"], incident=incident, body="hello")
    assert texts(incident)[-1] == "Acme reports it too"
