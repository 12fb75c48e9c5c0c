"""Every write of a business-hours calendar (administrators), and what the SLA configuration
writes share (the administrator check, slugs). A change asks the tick to recompute the open
cases' clocks."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from zoneinfo import available_timezones

import holidays as holidays_lib
from django.db import transaction
from django.db.models import ProtectedError
from django.utils.text import slugify

from casebridge.accounts.models import Role
from casebridge.audit.services import audit_changes, audit_record
from casebridge.core import clock
from casebridge.core.actors import Actor
from casebridge.core.errors import Conflict, PermissionDenied, ValidationFailed
from casebridge.sla.hours import WEEKDAYS, to_minutes
from casebridge.sla.models import Calendar, Policy
from casebridge.sla.services import sla_recompute_requested

MAX_MINUTES = 366 * 24 * 60
MAX_EXTRA_HOLIDAYS = 200
MAX_LIST = 50
TIME = re.compile(r"^\d{2}:\d{2}$")

CALENDAR_FIELDS = (
    "name",
    "timezone",
    "always_open",
    "hours",
    "holiday_country",
    "holiday_subdivision",
    "extra_holidays",
)


def require_admin(actor: Actor | None) -> None:
    """``None`` is the operator at the server's shell (``casebridge demo``)."""
    if actor is not None and not actor.has_role(Role.ADMIN):
        raise PermissionDenied("Only an administrator manages SLA calendars and policies")


def slug_errors(slug: str, model: type[Calendar] | type[Policy]) -> str | None:
    if not slug or len(slug) > 60 or slug != slugify(slug):
        return "Use 1-60 lowercase letters, digits and hyphens."
    if model.objects.filter(slug=slug).exists():
        return f"The slug '{slug}' is taken."
    return None


# --- calendars ----------------------------------------------------------------------------------


def _day_error(day: str, spans: object) -> str | None:
    if not isinstance(spans, list) or len(spans) > 6:
        return f'{day}: give at most 6 spans such as ["09:00", "17:00"].'
    previous_end = -1
    for span in sorted(spans, key=str):
        if not (
            isinstance(span, list)
            and len(span) == 2
            and all(isinstance(t, str) and TIME.match(t) for t in span)
        ):
            return f'{day}: each span is ["HH:MM", "HH:MM"].'
        try:
            a, b = to_minutes(span[0]), to_minutes(span[1])
        except ValueError:
            return f"{day}: {span[0]}-{span[1]} is not a time of day (00:00 to 24:00)."
        if a >= b:
            return f"{day}: {span[0]}-{span[1]} ends before it starts."
        if a < previous_end:
            return f"{day}: spans overlap."
        previous_end = b
    return None


def _hours_errors(hours: object) -> str | None:
    if not isinstance(hours, Mapping):
        return 'Give {"mon": [["09:00", "17:00"]], ...}.'
    unknown = set(hours) - set(WEEKDAYS)
    if unknown:
        return f"Unknown day {', '.join(sorted(map(str, unknown)))}; use {', '.join(WEEKDAYS)}."
    for day, spans in hours.items():
        problem = _day_error(day, spans)
        if problem:
            return problem
    return None


def _calendar_errors(values: Mapping[str, object]) -> dict[str, str]:
    errors: dict[str, str] = {}
    name = str(values.get("name") or "").strip()
    if not name or len(name) > 120:
        errors["name"] = "Name the calendar (at most 120 characters)."
    if values.get("timezone") not in available_timezones():
        errors["timezone"] = "Use an IANA time zone such as Europe/Berlin or UTC."
    problem = _hours_errors(values.get("hours") or {})
    if problem:
        errors["hours"] = problem
    elif not values.get("always_open") and not values.get("hours"):
        errors["hours"] = "Give the opening hours, or make the calendar 24x7."
    country = str(values.get("holiday_country") or "").upper()
    subdivision = str(values.get("holiday_subdivision") or "").upper()
    if country:
        supported = holidays_lib.list_supported_countries()
        if country not in supported:
            errors["holiday_country"] = f"No holidays known for '{country}' (use ISO codes: DE)."
        elif subdivision and subdivision not in supported[country]:
            errors["holiday_subdivision"] = (
                f"'{subdivision}' is no region of {country}; use one of "
                f"{', '.join(supported[country][:12])}..."
            )
    elif subdivision:
        errors["holiday_subdivision"] = "Give the country first."
    extra = values.get("extra_holidays") or []
    if not isinstance(extra, list) or len(extra) > MAX_EXTRA_HOLIDAYS:
        errors["extra_holidays"] = f"Give at most {MAX_EXTRA_HOLIDAYS} dates."
    else:
        for d in extra:
            try:
                date.fromisoformat(str(d))
            except ValueError:
                errors["extra_holidays"] = f"'{d}' is not a date (YYYY-MM-DD)."
                break
    return errors


def _calendar_values(values: Mapping[str, object]) -> dict[str, object]:
    hours = values.get("hours")
    extra = values.get("extra_holidays")
    return {
        "name": str(values.get("name") or "").strip(),
        "timezone": values.get("timezone") or "UTC",
        "always_open": bool(values.get("always_open")),
        "hours": dict(hours) if isinstance(hours, dict) else {},
        "holiday_country": str(values.get("holiday_country") or "").upper(),
        "holiday_subdivision": str(values.get("holiday_subdivision") or "").upper(),
        "extra_holidays": sorted({str(d) for d in extra}) if isinstance(extra, list) else [],
    }


@transaction.atomic
def calendar_create(*, actor: Actor | None, slug: str = "", **values: object) -> Calendar:
    require_admin(actor)
    unknown = set(values) - set(CALENDAR_FIELDS)
    values.setdefault("timezone", "UTC")
    errors = dict.fromkeys(unknown, "Unknown field.") | _calendar_errors(values)
    slug = slug or slugify(str(values.get("name") or ""))[:60]
    problem = slug_errors(slug, Calendar)
    if problem:
        errors["slug"] = problem
    if errors:
        raise ValidationFailed("The calendar could not be created", fields=errors)
    now = clock.now()
    calendar = Calendar.objects.create(
        slug=slug, created_at=now, updated_at=now, **_calendar_values(values)
    )
    audit_record(actor=actor, subject=calendar, action="created", new=calendar.name)
    return calendar


@transaction.atomic
def calendar_update(
    *, actor: Actor | None, calendar: Calendar, changes: Mapping[str, object]
) -> Calendar:
    require_admin(actor)
    unknown = set(changes) - set(CALENDAR_FIELDS)
    if unknown:
        raise ValidationFailed(
            "Unknown fields", fields=dict.fromkeys(unknown, "This field cannot be changed.")
        )
    calendar = Calendar.objects.select_for_update().get(pk=calendar.pk)
    merged = {f: changes.get(f, getattr(calendar, f)) for f in CALENDAR_FIELDS}
    errors = _calendar_errors(merged)
    if errors:
        raise ValidationFailed("The calendar could not be updated", fields=errors)
    clean = _calendar_values(merged)
    diff = {f: (getattr(calendar, f), v) for f, v in clean.items() if getattr(calendar, f) != v}
    if not diff:
        return calendar
    for f, (_, v) in diff.items():
        setattr(calendar, f, v)
    calendar.updated_at = clock.now()
    calendar.save()
    audit_changes(actor=actor, subject=calendar, action="updated", changes=diff)
    sla_recompute_requested()
    return calendar


@transaction.atomic
def calendar_delete(*, actor: Actor | None, calendar: Calendar) -> None:
    require_admin(actor)
    in_use = list(calendar.policies.values_list("slug", flat=True)[:5])
    if in_use:
        raise Conflict(
            f"The calendar is used by the policies {', '.join(in_use)}; change them first",
            fields={"calendar": "In use by a policy."},
        )
    audit_record(actor=actor, subject=calendar, action="deleted", old=calendar.name)
    try:
        calendar.delete()
    except ProtectedError as exc:  # a policy created meanwhile
        raise Conflict("The calendar is used by a policy") from exc


# --- policies -----------------------------------------------------------------------------------
