"""Every write of an SLA policy and of the policies' order, and organisations' contract tiers
(administrators). A change asks the tick to recompute the open cases' clocks."""

from __future__ import annotations

from collections.abc import Mapping

from django.db import transaction
from django.utils.text import slugify

from casebridge.accounts.models import Organisation, User
from casebridge.audit.services import audit_changes, audit_record
from casebridge.cases.models import CaseState, Impact, Source
from casebridge.catalog.models import Service
from casebridge.core import clock
from casebridge.core.actors import Actor
from casebridge.core.errors import ValidationFailed
from casebridge.sla.calendars import MAX_LIST, MAX_MINUTES, require_admin, slug_errors
from casebridge.sla.models import Calendar, ContractTier, EscalationAction, Policy
from casebridge.sla.services import sla_recompute_requested

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


def _policy_values(values: Mapping[str, object]) -> tuple[dict[str, object], dict[str, str]]:
    errors: dict[str, str] = {}
    name = str(values.get("name") or "").strip()
    if not name or len(name) > 120:
        errors["name"] = "Name the policy (at most 120 characters)."
    calendar, lead = _policy_refs(values, errors)
    clean: dict[str, object] = {
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
    if not isinstance(tiers, list):
        tiers = [None]
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


def _policy_refs(
    values: Mapping[str, object], errors: dict[str, str]
) -> tuple[Calendar | None, User | None]:
    """The calendar and the lead, given as objects or by slug and username."""
    calendar = values.get("calendar")
    if isinstance(calendar, str):
        calendar = Calendar.objects.filter(slug=calendar).first()
        if calendar is None:
            errors["calendar"] = f"No calendar '{values.get('calendar')}'."
    elif not isinstance(calendar, Calendar):
        errors["calendar"] = "Choose the calendar the targets count in."
        calendar = None
    lead = values.get("lead") or None
    if isinstance(lead, str):
        lead = User.objects.prefetch_related("role_grants").filter(username=lead).first()
        if lead is None or not lead.is_active:
            errors["lead"] = f"No active user '{values.get('lead')}'."
    if isinstance(lead, User) and lead.is_external:
        errors["lead"] = "The L2 lead is a member of staff."
    return calendar, lead if isinstance(lead, User) else None


@transaction.atomic
def policy_create(*, actor: Actor | None, slug: str = "", **values: object) -> Policy:
    require_admin(actor)
    unknown = set(values) - set(POLICY_FIELDS)
    if "position" not in values:
        last = Policy.objects.order_by("-position").values_list("position", flat=True).first()
        values["position"] = (last or 0) + 10
    clean, errors = _policy_values(values)
    errors |= dict.fromkeys(unknown, "Unknown field.")
    slug = slug or slugify(str(clean["name"]))[:60]
    problem = slug_errors(slug, Policy)
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
def policy_update(*, actor: Actor | None, policy: Policy, changes: Mapping[str, object]) -> Policy:
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
def policy_delete(*, actor: Actor | None, policy: Policy) -> None:
    require_admin(actor)
    audit_record(actor=actor, subject=policy, action="deleted", old=policy.name)
    policy.delete()
    sla_recompute_requested()


@transaction.atomic
def policies_reorder(*, actor: Actor | None, slugs: list[str]) -> list[Policy]:
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
def contract_tier_set(*, actor: Actor | None, organisation: Organisation, tier: str) -> None:
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
