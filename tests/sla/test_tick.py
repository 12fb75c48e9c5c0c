"""Clocks kept current from the audit history; warnings and breaches act once, at the minute."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from casebridge.audit.models import AuditEvent
from casebridge.cases.models import Case
from casebridge.cases.services import case_transition, case_update, comment_add
from casebridge.core import events
from casebridge.sla.calendars import calendar_create
from casebridge.sla.events import SlaBreached, SlaWarningReached
from casebridge.sla.models import Clock
from casebridge.sla.policies import policy_create
from casebridge.sla.services import clocks_recompute, sla_tick
from tests import factories

T0 = datetime(2026, 11, 9, 8, 0, tzinfo=UTC)  # a Monday, 09:00 in Berlin


@pytest.fixture
def policies(world: factories.World) -> None:
    office = calendar_create(
        actor=world["admin"],
        name="Berlin office",
        timezone="Europe/Berlin",
        hours={d: [["09:00", "17:00"]] for d in ("mon", "tue", "wed", "thu", "fri")},
        holiday_country="DE",
        holiday_subdivision="BE",
    )
    always = calendar_create(actor=world["admin"], name="24x7", always_open=True)
    policy_create(
        actor=world["admin"],
        name="Critical",
        calendar=always,
        impacts=["critical"],
        first_response_minutes=60,
        resolution_minutes=8 * 60,
        lead=world["l2b"],
        escalation_action="notify_lead",
    )
    policy_create(
        actor=world["admin"],
        name="Standard",
        calendar=office,
        first_response_minutes=4 * 60,
        resolution_minutes=5 * 8 * 60,
    )


def clocks(case: Case) -> dict[str, Clock]:
    return {c.kind: c for c in Clock.objects.filter(case=case)}


def test_first_match_wins_and_clocks_follow_the_history(world, policies) -> None:
    with time_machine.travel(T0, tick=False):
        case = factories.make_case(world, impact="critical")
        sla_tick()
        c = clocks(case)
        assert c["first_response"].policy.slug == "critical"
        assert c["first_response"].due_at == T0 + timedelta(hours=1)
        case.refresh_from_db()
        assert case.sla_due_at == T0 + timedelta(hours=1)
    with time_machine.travel(T0 + timedelta(minutes=20), tick=False):
        case_transition(actor=world["l2"], case=case, action="take")
        case_transition(
            actor=world["l2"], case=case, action="request_info", data={"question": "Which card?"}
        )
        sla_tick()
        c = clocks(case)
        assert c["first_response"].state == "met"
        assert c["resolution"].state == "paused"
        assert c["resolution"].remaining_seconds == 8 * 3600 - 20 * 60
    with time_machine.travel(T0 + timedelta(hours=2, minutes=20), tick=False):
        case.refresh_from_db()
        comment_add(actor=world["cust_a"], case=case, body="Visa.")  # resumes
        sla_tick()
        c = clocks(case)
        assert c["resolution"].state == "running"
        assert c["resolution"].paused_seconds == 2 * 3600
        assert c["resolution"].due_at == T0 + timedelta(hours=10)


def test_an_impact_change_recomputes_under_another_policy(world, policies) -> None:
    with time_machine.travel(T0, tick=False):
        case = factories.make_case(world, impact="high")
        sla_tick()
        assert clocks(case)["first_response"].due_at == T0 + timedelta(hours=4)
        case_update(actor=world["l2"], case=case, changes={"impact": "critical"})
        sla_tick()
        assert clocks(case)["first_response"].due_at == T0 + timedelta(hours=1)


def test_warning_and_breach_fire_once_at_the_minute_across_restarts(world, policies) -> None:
    with time_machine.travel(T0, tick=False):
        case = factories.make_case(world, impact="critical")
        sla_tick()
    with events.recorded() as seen:
        for minute in (44, 45, 46, 59, 60, 61, 75):
            with time_machine.travel(T0 + timedelta(minutes=minute), tick=False):
                sla_tick()  # each pass is a fresh worker: everything it knows is in the database
                warned = [e for e in seen if isinstance(e, SlaWarningReached)]
                breached = [e for e in seen if isinstance(e, SlaBreached)]
                assert len(warned) == (1 if minute >= 45 else 0), minute
                assert len(breached) == (1 if minute >= 60 else 0), minute
    first = [e for e in seen if isinstance(e, SlaBreached) and e.clock == "first_response"]
    assert first[0].breached_at == T0 + timedelta(hours=1)
    assert first[0].lead == "l2b" and first[0].action == "notify_lead"
    timeline = AuditEvent.objects.filter(subject_key=case.key, action="sla_breached")
    assert [(e.new, e.at) for e in timeline] == [("first_response", T0 + timedelta(hours=1))]
    with time_machine.travel(T0 + timedelta(minutes=61), tick=False):
        clocks_recompute(case=case)  # recomputing does not act again
    assert AuditEvent.objects.filter(subject_key=case.key, action="sla_breached").count() == 1


def test_business_hours_and_holidays_from_the_country(world, policies) -> None:
    # Thursday 24 Dec 2026 16:00 Berlin; 25 and 26 Dec are holidays in Germany, then a weekend
    start = datetime(2026, 12, 24, 15, 0, tzinfo=UTC)
    with time_machine.travel(start, tick=False):
        case = factories.make_case(world, impact="low")
        sla_tick()
    # 1 hour on the 24th, 3 more from Monday 28 Dec 09:00 Berlin
    assert clocks(case)["first_response"].due_at == datetime(2026, 12, 28, 11, 0, tzinfo=UTC)


def test_the_support_report_counts_the_breach(world, policies, api) -> None:
    with time_machine.travel(T0, tick=False):
        factories.make_case(world, impact="critical")
        sla_tick()
    with time_machine.travel(T0 + timedelta(hours=2), tick=False):
        sla_tick()
        params = {"start": "2026-11-01T00:00:00Z", "end": "2026-11-10T00:00:00Z"}
        tables = {t["name"]: t for t in api("l2").get("/reports/support", **params).json()}
        assert api("cust_a").get("/reports/support").status_code == 403
        from django.test import Client

        client = Client()
        client.force_login(world["l2"])
        csv_body = b"".join(
            client.get("/reports/support/compliance.csv", params).streaming_content
        ).decode()
    assert ["Critical", "First response", 0, 1, 0.0] in tables["compliance"]["rows"]
    assert tables["volume"]["rows"] == [["2026-11-09", 1, 0]]
    assert csv_body.splitlines()[0] == "policy,target,met,breached,compliance_percent"
    assert "Critical,First response,0,1,0.0" in csv_body
