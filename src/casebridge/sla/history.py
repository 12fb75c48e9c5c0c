"""A case's SLA history read from the audit log, and a calendar's ``Hours``."""

from __future__ import annotations

from datetime import date, datetime
from functools import lru_cache

import holidays as holidays_lib

from casebridge.audit.models import AuditEvent
from casebridge.cases.models import Case
from casebridge.sla.clocks import History
from casebridge.sla.hours import ALWAYS, Hours, parse_week
from casebridge.sla.models import Calendar

#: Public actions by staff that answer the reporter (the first one stops "first response").
RESPONSE_ACTIONS = frozenset({"commented", "request_info", "resolve", "escalate"})


def _is_staff(event: AuditEvent) -> bool:
    actor = event.actor
    return actor is not None and not actor.is_external


def case_history(case: Case) -> History:
    """Everything the clocks of ``case`` depend on, from its audit events and its work item's."""
    events = list(
        AuditEvent.objects.filter(subject_type="case", subject_key=case.key)
        .select_related("actor")
        .prefetch_related("actor__role_grants")
        .order_by("at", "id")
    )
    states: list[tuple[datetime, str]] = [(case.created_at, "new")]
    responses, escalations = [], []
    for e in events:
        if e.field == "state" and e.new:
            states.append((e.at, e.new))
        if e.action in RESPONSE_ACTIONS and e.public and _is_staff(e):
            responses.append(e.at)
        if e.action == "escalate" and e.field == "state":
            escalations.append(e.at)
    triaged: list[datetime] = []
    if escalations and case.work_item_id is not None:
        triaged = list(
            AuditEvent.objects.filter(
                subject_type="work_item",
                subject_key=case.work_item.key,  # type: ignore[union-attr]
                field="priority",
            )
            .exclude(new="")
            .order_by("at")
            .values_list("at", flat=True)
        )
    return History(
        created_at=case.created_at,
        states=tuple(states),
        responses=tuple(sorted(set(responses))),
        escalations=tuple(escalations),
        triaged=tuple(triaged),
    )


@lru_cache(maxsize=256)
def _country_days(country: str, subdivision: str, year: int) -> frozenset[date]:
    days = holidays_lib.country_holidays(country, subdiv=subdivision or None, years=year)
    return frozenset(days.keys())


def country_holidays(country: str, subdivision: str, years: range) -> frozenset[date]:
    """The public holidays of a country (and region) in ``years`` from the ``holidays`` package."""
    found: set[date] = set()
    for year in years:
        found |= _country_days(country.upper(), subdivision.upper(), year)
    return frozenset(found)


def calendar_hours(calendar: Calendar, years: range) -> Hours:
    if calendar.always_open:
        return ALWAYS
    days: set[date] = {date.fromisoformat(d) for d in calendar.extra_holidays or []}
    if calendar.holiday_country:
        days |= country_holidays(calendar.holiday_country, calendar.holiday_subdivision, years)
    return Hours(
        zone=calendar.timezone,
        week=parse_week(calendar.hours),
        holidays=frozenset(days),
    )
