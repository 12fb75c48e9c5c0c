"""The support KPIs of the demo data set against counts made here, independently, from the
audit events alone (no case column, no clock row, none of the report's queries)."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path

import time_machine
from django.test import override_settings

from casebridge.accounts.models import EXTERNAL_ROLES, User, UserRole
from casebridge.audit.models import AuditEvent
from casebridge.demo.build import load_demo
from casebridge.reporting.support import filters_for, support_report_for

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
REPLIES = {"commented", "request_info", "resolve", "escalate"}


def _timelines() -> dict[str, list[AuditEvent]]:
    found: dict[str, list[AuditEvent]] = defaultdict(list)
    for e in AuditEvent.objects.filter(subject_type="case").order_by("at", "id"):
        found[e.subject_key].append(e)
    return found


def _expected(start: datetime, end: datetime) -> dict[str, int]:
    """The KPI counts, walking each case's audit events."""
    inside = lambda at: start <= at < end  # noqa: E731
    external = set(
        UserRole.objects.filter(role__in=EXTERNAL_ROLES).values_list("user_id", flat=True)
    )
    staff = lambda e: e.actor_id is not None and e.actor_id not in external  # noqa: E731
    n: dict[str, int] = defaultdict(int)
    for events in _timelines().values():
        created = next(e.at for e in events if e.action == "created")
        states = [e for e in events if e.field == "state" and e.action != "created"]
        escalated = any(e.action == "escalate" for e in states)
        last_resolve = next((e for e in reversed(states) if e.new == "resolved"), None)
        reopened_after = last_resolve is not None and any(
            e.action == "reopen" and e.at >= last_resolve.at for e in states
        )
        if inside(created):
            n["opened"] += 1
            n["opened_escalated"] += escalated
            n["first_response"] += any(
                e.public and e.action in REPLIES and staff(e) for e in events
            )
        if last_resolve is not None and not reopened_after and inside(last_resolve.at):
            n["resolved"] += 1
            n["resolved_at_l2"] += not escalated
            n["resolved_reopened"] += any(e.action == "reopen" for e in states)
        escalated_in = any(e.action == "escalate" and inside(e.at) for e in states)
        if escalated_in:
            n["escalated_in"] += 1
            n["returned"] += any(
                e.action == "work_item_progress" and (e.data or {}).get("action") == "needs_info"
                for e in events
            )
        n["breached"] += sum(
            1 for e in events
            if e.action == "sla_breached" and inside(datetime.fromisoformat(e.data["at"]))
        )  # fmt: skip
    n["incidents"] = AuditEvent.objects.filter(
        subject_type="incident", action="declared", at__gte=start, at__lt=end
    ).count()
    return n


def test_the_demo_kpis_equal_counts_from_the_audit_events(db: None, tmp_path: Path) -> None:
    with override_settings(MEDIA_ROOT=str(tmp_path)), time_machine.travel(NOW, tick=False):
        load_demo(cases=60, seed=11)
    admin = User.objects.get(username="admin")
    with time_machine.travel(NOW, tick=False):
        f = filters_for(start=NOW - timedelta(days=120), end=NOW, period="month")
        tables = {t.name: t for t in support_report_for(admin, f)}
    expected = _expected(f.start, f.end)
    # the demo has a history: cases in and out, escalations, breaches
    assert expected["opened"] > 20 and expected["resolved"] > 5, expected
    assert expected["opened_escalated"] > 0 and expected["breached"] > 0, expected
    volume = tables["volume"].rows
    outcomes = {r[0]: r for r in tables["outcomes"].rows}
    escalations = {r[0]: r for r in tables["escalations"].rows}
    times = {r[0]: r for r in tables["times"].rows}
    compliance = {r[0]: r for r in tables["compliance"].rows}
    incidents = {r[0]: r for r in tables["incidents"].rows}
    got = {
        "opened": sum(int(r[1] or 0) for r in volume),
        "resolved": sum(int(r[2] or 0) for r in volume),
        "resolved_at_l2": outcomes["Resolved at L2"][1],
        "resolved_reopened": outcomes["Reopened"][1],
        "returned": outcomes["Escalations returned for missing information"][1],
        "escalated_in": outcomes["Escalations returned for missing information"][2],
        "opened_escalated": escalations["all"][1],
        "first_response": times["First response"][1],
        "breached": compliance["all"][3],
        "incidents": incidents["MTTA"][1],
    }
    assert got == {k: expected[k] for k in got}
