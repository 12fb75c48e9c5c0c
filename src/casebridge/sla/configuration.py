"""Every write of SLA configuration (administrators): calendars, policies and their order,
organisations' contract tiers. A change asks the tick to recompute the open cases' clocks."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from typing import Any
from zoneinfo import available_timezones

import holidays as holidays_lib
from django.db import transaction
from django.db.models import ProtectedError
from django.utils.text import slugify

from casebridge.accounts.models import Organisation, Role, User
from casebridge.audit.services import audit_changes, audit_record
from casebridge.cases.models import CaseState, Impact, Source
from casebridge.catalog.models import Service
from casebridge.core import clock
from casebridge.core.errors import Conflict, PermissionDenied, ValidationFailed
from casebridge.sla.hours import WEEKDAYS, to_minutes
from casebridge.sla.models import Calendar, ContractTier, EscalationAction, Policy
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
POLICY_FIELDS = (
    "name",
    "position",
    "active",
    "calendar",
    "impacts",
    "sources",
    "organisations",
    "tiers",
    "services",
    "first_response_minutes",
    "triage_minutes",
    "resolution_minutes",
    "warn_percent",
    "pause_states",
    "customer_visible",
    "escalation_action",
    "lead",
)


def require_admin(actor: Any) -> None:
    """``None`` is the operator at the server's shell (``casebridge demo``)."""
    if actor is not None and not actor.has_role(Role.ADMIN):
        raise PermissionDenied("Only an administrator manages SLA calendars and policies")


def _slug_errors(slug: str, model: type[Calendar] | type[Policy]) -> str | None:
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


def _calendar_errors(values: Mapping[str, Any]) -> dict[str, str]:
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


def _calendar_values(values: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "name": str(values.get("name") or "").strip(),
        "timezone": values.get("timezone") or "UTC",
        "always_open": bool(values.get("always_open")),
        "hours": dict(values.get("hours") or {}),
        "holiday_country": str(values.get("holiday_country") or "").upper(),
        "holiday_subdivision": str(values.get("holiday_subdivision") or "").upper(),
        "extra_holidays": sorted({str(d) for d in values.get("extra_holidays") or []}),
    }


@transaction.atomic
def calendar_create(*, actor: Any, slug: str = "", **values: Any) -> Calendar:
    require_admin(actor)
    unknown = set(values) - set(CALENDAR_FIELDS)
    values.setdefault("timezone", "UTC")
    errors = dict.fromkeys(unknown, "Unknown field.") | _calendar_errors(values)
    slug = slug or slugify(str(values.get("name") or ""))[:60]
    problem = _slug_errors(slug, Calendar)
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
def calendar_update(*, actor: Any, calendar: Calendar, changes: Mapping[str, Any]) -> Calendar:
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
def calendar_delete(*, actor: Any, calendar: Calendar) -> None:
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


def _choices(values: object, allowed: list[str], field: str, errors: dict[str, str]) -> list[str]:
    if not isinstance(values, list | tuple) or len(values) > MAX_LIST:
        errors[field] = f"Give a list of at most {MAX_LIST} values."
        return []
    found = [str(v) for v in values]
    unknown = [v for v in found if v not in allowed]
    if unknown:
        shown = ", ".join(allowed[:20])
        errors[field] = f"Unknown {', '.join(unknown[:5])}; use {shown}."
    return sorted(set(found))


def _minutes(value: object, field: str, errors: dict[str, str]) -> int | None:
    if value in (None, ""):
        return None
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= MAX_MINUTES:
        errors[field] = f"Give whole business minutes, 1 to {MAX_MINUTES}."
        return None
    return value


def _policy_values(values: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    errors: dict[str, str] = {}
    name = str(values.get("name") or "").strip()
    if not name or len(name) > 120:
        errors["name"] = "Name the policy (at most 120 characters)."
    calendar, lead = _policy_refs(values, errors)
    clean: dict[str, Any] = {
        "name": name,
        "calendar": calendar,
        "lead": lead or None,
        "active": bool(values.get("active", True)),
        "customer_visible": bool(values.get("customer_visible", False)),
        "impacts": _choices(values.get("impacts") or [], Impact.values, "impacts", errors),
        "sources": _choices(values.get("sources") or [], Source.values, "sources", errors),
        "organisations": _choices(
            values.get("organisations") or [],
            list(Organisation.objects.values_list("slug", flat=True)),
            "organisations",
            errors,
        ),
        "services": _choices(
            values.get("services") or [],
            list(Service.objects.values_list("slug", flat=True)),
            "services",
            errors,
        ),
        "pause_states": _choices(
            values.get("pause_states") or ["waiting_on_reporter"],
            [
                CaseState.NEW,
                CaseState.INVESTIGATING,
                CaseState.WAITING_ON_REPORTER,
                CaseState.ESCALATED,
            ],
            "pause_states",
            errors,
        ),
    }
    tiers = values.get("tiers") or []
    if (
        not isinstance(tiers, list)
        or len(tiers) > MAX_LIST
        or any(str(t) != slugify(str(t)) or not t for t in tiers)
    ):
        errors["tiers"] = "Give tier names such as gold, silver (lowercase)."
    clean["tiers"] = sorted({str(t) for t in tiers}) if "tiers" not in errors else []
    for f in ("first_response_minutes", "triage_minutes", "resolution_minutes"):
        clean[f] = _minutes(values.get(f), f, errors)
    if (
        not any(
            clean[f] for f in ("first_response_minutes", "triage_minutes", "resolution_minutes")
        )
        and not errors
    ):
        errors["first_response_minutes"] = "Give at least one target."
    warn = values.get("warn_percent", 75)
    if not isinstance(warn, int) or isinstance(warn, bool) or not 1 <= warn <= 99:
        errors["warn_percent"] = "Give a share of the target from 1 to 99 (percent)."
    clean["warn_percent"] = warn
    action = values.get("escalation_action") or ""
    if action not in EscalationAction.values:
        errors["escalation_action"] = (
            f"Use one of {', '.join(v for v in EscalationAction.values if v)} or nothing."
        )
    elif action == EscalationAction.NOTIFY_LEAD and not clean["lead"]:
        errors["lead"] = "Name the L2 lead to raise breaches to."
    clean["escalation_action"] = action
    position = values.get("position", 0)
    if not isinstance(position, int) or isinstance(position, bool) or not 0 <= position <= 10_000:
        errors["position"] = "Give a position from 0 to 10000."
    clean["position"] = position
    return clean, errors


def _policy_refs(values: Mapping[str, Any], errors: dict[str, str]) -> tuple[Any, Any]:
    """The calendar and the lead, given as objects or by slug and username."""
    calendar = values.get("calendar")
    if isinstance(calendar, str):
        calendar = Calendar.objects.filter(slug=calendar).first()
        if calendar is None:
            errors["calendar"] = f"No calendar '{values.get('calendar')}'."
    elif not isinstance(calendar, Calendar):
        errors["calendar"] = "Choose the calendar the targets count in."
    lead = values.get("lead") or None
    if isinstance(lead, str):
        lead = User.objects.prefetch_related("role_grants").filter(username=lead).first()
        if lead is None or not lead.is_active:
            errors["lead"] = f"No active user '{values.get('lead')}'."
    if isinstance(lead, User) and lead.is_external:
        errors["lead"] = "The L2 lead is a member of staff."
    return calendar, lead


def _action(values: Mapping[str, Any], clean: dict[str, Any], errors: dict[str, str]) -> str:
    action = str(values.get("escalation_action") or "")
    if action not in EscalationAction.values:
        named = ", ".join(v for v in EscalationAction.values if v)
        errors["escalation_action"] = f"Use one of {named}, or nothing."
    elif action == EscalationAction.NOTIFY_LEAD and not clean["lead"]:
        errors["lead"] = "Name the L2 lead to raise breaches to."
    return action


@transaction.atomic
def policy_create(*, actor: Any, slug: str = "", **values: Any) -> Policy:
    require_admin(actor)
    unknown = set(values) - set(POLICY_FIELDS)
    if "position" not in values:
        last = Policy.objects.order_by("-position").values_list("position", flat=True).first()
        values["position"] = (last or 0) + 10
    clean, errors = _policy_values(values)
    errors |= dict.fromkeys(unknown, "Unknown field.")
    slug = slug or slugify(clean["name"])[:60]
    problem = _slug_errors(slug, Policy)
    if problem:
        errors["slug"] = problem
    if errors:
        raise ValidationFailed("The policy could not be created", fields=errors)
    now = clock.now()
    policy = Policy.objects.create(slug=slug, created_at=now, updated_at=now, **clean)
    audit_record(actor=actor, subject=policy, action="created", new=policy.name)
    sla_recompute_requested()
    return policy


@transaction.atomic
def policy_update(*, actor: Any, policy: Policy, changes: Mapping[str, Any]) -> Policy:
    require_admin(actor)
    unknown = set(changes) - set(POLICY_FIELDS)
    if unknown:
        raise ValidationFailed(
            "Unknown fields", fields=dict.fromkeys(unknown, "This field cannot be changed.")
        )
    policy = Policy.objects.select_for_update().get(pk=policy.pk)
    merged = {f: changes.get(f, getattr(policy, f)) for f in POLICY_FIELDS}
    clean, errors = _policy_values(merged)
    if errors:
        raise ValidationFailed("The policy could not be updated", fields=errors)
    diff = {f: (getattr(policy, f), v) for f, v in clean.items() if getattr(policy, f) != v}
    if not diff:
        return policy
    for f, (_, v) in diff.items():
        setattr(policy, f, v)
    policy.updated_at = clock.now()
    policy.save()
    audit_changes(actor=actor, subject=policy, action="updated", changes=diff)
    sla_recompute_requested()
    return policy


@transaction.atomic
def policy_delete(*, actor: Any, policy: Policy) -> None:
    require_admin(actor)
    audit_record(actor=actor, subject=policy, action="deleted", old=policy.name)
    policy.delete()
    sla_recompute_requested()


@transaction.atomic
def policies_reorder(*, actor: Any, slugs: list[str]) -> list[Policy]:
    """Put the policies in this order (the first match wins); unnamed ones keep theirs, after."""
    require_admin(actor)
    policies = {p.slug: p for p in Policy.objects.select_for_update()}
    unknown = [s for s in slugs if s not in policies]
    if unknown or len(set(slugs)) != len(slugs):
        raise ValidationFailed(
            "The order could not be saved",
            fields={"order": f"Name each policy once; unknown: {', '.join(unknown) or 'none'}."},
        )
    rest = [p.slug for p in sorted(policies.values(), key=lambda p: (p.position, p.pk))]
    ordered = slugs + [s for s in rest if s not in slugs]
    for i, slug in enumerate(ordered):
        p = policies[slug]
        if p.position != (i + 1) * 10:
            old, p.position = p.position, (i + 1) * 10
            p.save(update_fields=["position"])
            audit_record(
                actor=actor,
                subject=p,
                action="reordered",
                field="position",
                old=old,
                new=p.position,
            )
    sla_recompute_requested()
    return [policies[s] for s in ordered]


@transaction.atomic
def contract_tier_set(*, actor: Any, organisation: Organisation, tier: str) -> None:
    """Give an organisation a contract tier (empty: none)."""
    require_admin(actor)
    tier = tier.strip().lower()
    if tier and (tier != slugify(tier) or len(tier) > 30):
        raise ValidationFailed("Bad tier", fields={"tier": "Use a short name such as gold."})
    current = ContractTier.objects.filter(organisation=organisation).first()
    if tier:
        ContractTier.objects.update_or_create(organisation=organisation, defaults={"tier": tier})
    elif current:
        current.delete()
    sla_recompute_requested()
