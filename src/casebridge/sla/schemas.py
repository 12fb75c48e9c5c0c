"""API schemas of SLA calendars and policies."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from ninja import Schema
from pydantic import Field

from casebridge.sla.models import Calendar, ItemPolicy, Policy

Short = Annotated[str, Field(max_length=120)]
Slug = Annotated[str, Field(max_length=60)]
Spans = Annotated[
    list[Annotated[list[Annotated[str, Field(max_length=5)]], Field(max_length=2)]],
    Field(max_length=6),
]
Hours = Annotated[dict[Annotated[str, Field(max_length=3)], Spans], Field(max_length=7)]
Names = Annotated[list[Annotated[str, Field(max_length=80)]], Field(max_length=50)]
Minutes = Annotated[int, Field(ge=1, le=366 * 24 * 60)]
Dates = Annotated[list[Annotated[str, Field(max_length=10)]], Field(max_length=200)]


class CalendarIn(Schema):
    name: Short
    slug: Slug = ""
    timezone: Annotated[str, Field(max_length=64)] = "UTC"
    always_open: bool = False
    hours: Hours = Field(default_factory=dict, description='{"mon": [["09:00", "17:00"]]}')
    holiday_country: Annotated[str, Field(max_length=2)] = ""
    holiday_subdivision: Annotated[str, Field(max_length=10)] = ""
    extra_holidays: Dates = Field(default_factory=list)


class CalendarPatch(Schema):
    name: Short | None = None
    timezone: Annotated[str, Field(max_length=64)] | None = None
    always_open: bool | None = None
    hours: Hours | None = None
    holiday_country: Annotated[str, Field(max_length=2)] | None = None
    holiday_subdivision: Annotated[str, Field(max_length=10)] | None = None
    extra_holidays: Dates | None = None


class CalendarOut(Schema):
    slug: str
    name: str
    timezone: str
    always_open: bool
    hours: dict[str, list[list[str]]]
    holiday_country: str
    holiday_subdivision: str
    extra_holidays: list[str]
    updated_at: datetime

    @staticmethod
    def of(c: Calendar) -> CalendarOut:
        return CalendarOut(
            slug=c.slug,
            name=c.name,
            timezone=c.timezone,
            always_open=c.always_open,
            hours=c.hours,
            holiday_country=c.holiday_country,
            holiday_subdivision=c.holiday_subdivision,
            extra_holidays=c.extra_holidays,
            updated_at=c.updated_at,
        )


class PolicyIn(Schema):
    name: Short
    slug: Slug = ""
    calendar: Slug
    position: Annotated[int, Field(ge=0, le=10_000)] | None = None
    active: bool = True
    impacts: Names = Field(default_factory=list)
    sources: Names = Field(default_factory=list)
    organisations: Names = Field(default_factory=list)
    tiers: Names = Field(default_factory=list)
    services: Names = Field(default_factory=list)
    first_response_minutes: Minutes | None = None
    triage_minutes: Minutes | None = None
    resolution_minutes: Minutes | None = None
    warn_percent: Annotated[int, Field(ge=1, le=99)] = 75
    pause_states: Names = Field(default_factory=lambda: ["waiting_on_reporter"])
    customer_visible: bool = False
    escalation_action: Annotated[str, Field(max_length=16)] = ""
    lead: Annotated[str, Field(max_length=150)] = ""


class PolicyPatch(Schema):
    name: Short | None = None
    calendar: Slug | None = None
    position: Annotated[int, Field(ge=0, le=10_000)] | None = None
    active: bool | None = None
    impacts: Names | None = None
    sources: Names | None = None
    organisations: Names | None = None
    tiers: Names | None = None
    services: Names | None = None
    first_response_minutes: Minutes | None = None
    triage_minutes: Minutes | None = None
    resolution_minutes: Minutes | None = None
    warn_percent: Annotated[int, Field(ge=1, le=99)] | None = None
    pause_states: Names | None = None
    customer_visible: bool | None = None
    escalation_action: Annotated[str, Field(max_length=16)] | None = None
    lead: Annotated[str, Field(max_length=150)] | None = None


class PolicyOut(Schema):
    slug: str
    name: str
    position: int
    active: bool
    calendar: str
    impacts: list[str]
    sources: list[str]
    organisations: list[str]
    tiers: list[str]
    services: list[str]
    first_response_minutes: int | None
    triage_minutes: int | None
    resolution_minutes: int | None
    warn_percent: int
    pause_states: list[str]
    customer_visible: bool
    escalation_action: str
    lead: str | None
    updated_at: datetime

    @staticmethod
    def of(p: Policy) -> PolicyOut:
        return PolicyOut(
            slug=p.slug,
            name=p.name,
            position=p.position,
            active=p.active,
            calendar=p.calendar.slug,
            impacts=p.impacts,
            sources=p.sources,
            organisations=p.organisations,
            tiers=p.tiers,
            services=p.services,
            first_response_minutes=p.first_response_minutes,
            triage_minutes=p.triage_minutes,
            resolution_minutes=p.resolution_minutes,
            warn_percent=p.warn_percent,
            pause_states=p.pause_states,
            customer_visible=p.customer_visible,
            escalation_action=p.escalation_action,
            lead=p.lead.username if p.lead else None,
            updated_at=p.updated_at,
        )


class OrderIn(Schema):
    order: Annotated[list[Slug], Field(min_length=1, max_length=200)]


class DeletedOut(Schema):
    deleted: str


Choices = Annotated[list[Annotated[str, Field(max_length=20)]], Field(max_length=10)]


class ItemTargetIn(Schema):
    name: Short
    slug: Slug = ""
    calendar: Slug
    categories: Choices = Field(default_factory=list, description="Empty: any category.")
    priorities: Choices = Field(default_factory=list, description="Empty: any priority.")
    fix_minutes: Minutes = Field(description="Business minutes from creation to done.")
    warn_percent: Annotated[int, Field(ge=1, le=99)] = 75
    lead: Annotated[str, Field(max_length=150)] = ""
    active: bool = True


class ItemTargetPatch(Schema):
    name: Short | None = None
    calendar: Slug | None = None
    categories: Choices | None = None
    priorities: Choices | None = None
    fix_minutes: Minutes | None = None
    warn_percent: Annotated[int, Field(ge=1, le=99)] | None = None
    lead: Annotated[str, Field(max_length=150)] | None = None
    active: bool | None = None


class ItemTargetOut(Schema):
    slug: str
    name: str
    position: int
    active: bool
    calendar: str
    categories: list[str]
    priorities: list[str]
    fix_minutes: int
    warn_percent: int
    lead: str | None
    updated_at: datetime

    @staticmethod
    def of(p: ItemPolicy) -> ItemTargetOut:
        return ItemTargetOut(
            slug=p.slug,
            name=p.name,
            position=p.position,
            active=p.active,
            calendar=p.calendar.slug,
            categories=list(p.categories),
            priorities=list(p.priorities),
            fix_minutes=p.fix_minutes,
            warn_percent=p.warn_percent,
            lead=p.lead.username if p.lead else None,
            updated_at=p.updated_at,
        )
