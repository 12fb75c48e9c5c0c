"""Fix targets for work items: policies by category and priority (administrators), the item's
clock computed by the same pure function as a case's (``sla.clocks.compute_clock``), and the
tick's part that acts once per clock on warnings and breaches.

The item's history maps its workflow onto the clock: done and rejected statuses stop the clock
(as a resolved case does), ``needs_info`` and ``deferred`` pause it (as waiting on the reporter
does); the clock runs from the item's creation, in business time of the policy's calendar.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from django.db import transaction
from django.utils.text import slugify

from casebridge.accounts.models import Role, User
from casebridge.audit.models import AuditEvent
from casebridge.audit.services import audit_record
from casebridge.core import clock as wall
from casebridge.core import events
from casebridge.core.actors import SYSTEM, Actor
from casebridge.core.errors import PermissionDenied, ValidationFailed
from casebridge.sla.clocks import History, Kind, Result, State, Target, compute_clock
from casebridge.sla.events import ItemSlaBreached, ItemSlaWarningReached
from casebridge.sla.history import calendar_hours
from casebridge.sla.models import Calendar, ItemClock, ItemPolicy, TickCursor
from casebridge.workflows.engine import StateGroup
from casebridge.workitems.definitions import WORKFLOWS
from casebridge.workitems.models import INITIAL_STATUS, Category, Priority, WorkItem

PAUSED = "waiting_on_reporter"
STOPPED = "closed"
PAUSE_STATUSES = frozenset({"needs_info", "deferred"})
MAX_MINUTES = 366 * 24 * 60


def _clock_state(category: str, status: str) -> str:
    """A work item status as the clock sees it: stopped, paused, or running (itself)."""
    workflow = WORKFLOWS.get(category)
    finished = (StateGroup.DONE, StateGroup.REJECTED)
    if workflow is not None and any(
        s.name == status and s.group in finished for s in workflow.states
    ):
        return STOPPED
    return PAUSED if status in PAUSE_STATUSES else status


def item_history(item: WorkItem) -> History:
    """The status changes of ``item`` from the audit log, mapped for the clock."""
    initial = str(INITIAL_STATUS.get(Category(item.category), "new"))
    states = [(item.created_at, _clock_state(item.category, initial))]
    for at, new in (
        AuditEvent.objects.filter(subject_type="work_item", subject_key=item.key, field="status")
        .order_by("at", "id")
        .values_list("at", "new")
    ):
        states.append((at, _clock_state(item.category, new)))
    return History(created_at=item.created_at, states=tuple(states))


def item_policy_for(item: WorkItem) -> ItemPolicy | None:
    for p in ItemPolicy.objects.filter(active=True).select_related("calendar", "lead"):
        if (not p.categories or item.category in p.categories) and (
            not p.priorities or item.priority in p.priorities
        ):
            return p
    return None


def _target(policy: ItemPolicy) -> Target:
    return Target(
        kind=Kind.RESOLUTION,
        seconds=policy.fix_minutes * 60,
        warn_share=policy.warn_percent / 100,
        pause_states=frozenset({PAUSED}),
    )


def _values(policy: ItemPolicy, result: Result, now: datetime) -> dict[str, object]:
    return {
        "policy": policy,
        "state": result.state.value,
        "target_seconds": policy.fix_minutes * 60,
        "started_at": result.started_at,
        "due_at": result.due_at,
        "warn_at": result.warn_at,
        "stopped_at": result.stopped_at,
        "breached_at": result.breached_at,
        "elapsed_seconds": result.elapsed_seconds,
        "remaining_seconds": result.remaining_seconds,
        "paused_seconds": result.paused_seconds,
        "computed_at": now,
    }


def _people(item: WorkItem, policy: ItemPolicy | None) -> list[str]:
    names = sorted(item.assignees.values_list("username", flat=True))
    if policy is not None and policy.lead is not None:
        names.append(policy.lead.username)
    return list(dict.fromkeys(names))


@transaction.atomic
def item_clock_recompute(*, item: WorkItem, now: datetime | None = None) -> ItemClock | None:
    """Compute the item's fix clock from its audit history under the policy that applies now,
    store it, and act on a due warning or breach (each once per clock)."""
    now = now or wall.now()
    locked = WorkItem.objects.select_for_update().get(pk=item.pk)
    policy = item_policy_for(locked)
    if policy is None:
        ItemClock.objects.filter(work_item=locked).delete()
        return None
    hours = calendar_hours(policy.calendar, range(locked.created_at.year - 1, now.year + 4))
    result = compute_clock(_target(policy), item_history(locked), hours, now)
    if result is None:
        return None
    found, _ = ItemClock.objects.update_or_create(
        work_item=locked, defaults=_values(policy, result, now)
    )
    if found.state == State.BREACHED and found.breach_acted_at is None:
        _breach(found, locked, policy, now)
    elif (
        found.state == State.RUNNING
        and found.warned_at is None
        and found.warn_at is not None
        and found.warn_at <= now
    ):
        _warn(found, locked, policy, now)
    return found


def _warn(c: ItemClock, item: WorkItem, policy: ItemPolicy, now: datetime) -> None:
    if ItemClock.objects.filter(pk=c.pk, warned_at__isnull=True).update(warned_at=now):
        c.warned_at = now
        events.publish(ItemSlaWarningReached(
            key=item.key, policy=policy.slug, due_at=c.due_at, people=_people(item, policy)
        ))  # fmt: skip


def _breach(c: ItemClock, item: WorkItem, policy: ItemPolicy, now: datetime) -> None:
    updated = ItemClock.objects.filter(pk=c.pk, breach_acted_at__isnull=True).update(
        breach_acted_at=now, warned_at=c.warned_at or now
    )
    if not updated:
        return
    c.breach_acted_at = now
    breached_at = c.breached_at or c.due_at or now
    audit_record(
        actor=SYSTEM,
        subject=item,
        action="sla_breached",
        field="sla",
        new="fix",
        reason=f"Fix target of {policy.name} passed",
        data={"clock": "fix", "policy": policy.slug, "at": str(breached_at)},
    )
    events.publish(ItemSlaBreached(
        key=item.key, policy=policy.slug, breached_at=breached_at, people=_people(item, policy)
    ))  # fmt: skip


def item_sla_tick(*, now: datetime | None = None, limit: int = 2000) -> int:
    """The worker's pass over work items: recompute the items changed since the last pass (and
    every open one after a policy change), then those whose warning or breach is due."""
    now = now or wall.now()
    cursor, _ = TickCursor.objects.get_or_create(name="items")
    keys: set[str] = set()
    rows = list(
        AuditEvent.objects.filter(pk__gt=cursor.last_id, subject_type="work_item")
        .exclude(action="sla_breached")
        .order_by("id")
        .values_list("id", "subject_key")[:limit]
    )
    keys |= {key for _, key in rows}
    if cursor.pending:
        keys |= set(WorkItem.objects.filter(closed_at__isnull=True).values_list("key", flat=True))
    due = ItemClock.objects.filter(state=State.RUNNING, warned_at__isnull=True, warn_at__lte=now)
    late = ItemClock.objects.filter(
        state__in=[State.RUNNING, State.BREACHED], breach_acted_at__isnull=True, due_at__lte=now
    )
    ids = {*due.values_list("work_item_id", flat=True)[:limit]}
    ids |= set(late.values_list("work_item_id", flat=True)[:limit])
    acted = 0
    for item in WorkItem.objects.filter(key__in=keys) | WorkItem.objects.filter(pk__in=ids):
        if item_clock_recompute(item=item, now=now) is not None:
            acted += 1
    TickCursor.objects.filter(pk=cursor.pk).update(
        last_id=rows[-1][0] if rows else cursor.last_id, pending=False
    )
    return acted


# --- configuration (administrators) -------------------------------------------------------------


def _clean(values: Mapping[str, object]) -> tuple[dict[str, object], dict[str, str]]:
    errors: dict[str, str] = {}
    name = str(values.get("name") or "").strip()
    if not name or len(name) > 120:
        errors["name"] = "Name the policy (at most 120 characters)."
    calendar = values.get("calendar")
    if isinstance(calendar, str):
        calendar = Calendar.objects.filter(slug=calendar).first()
    if not isinstance(calendar, Calendar):
        errors["calendar"] = "Choose the calendar the target counts in."
    categories = values.get("categories") or []
    priorities = values.get("priorities") or []
    if not isinstance(categories, list) or not set(categories) <= set(Category.values):
        errors["categories"] = f"Use {', '.join(Category.values)}."
    if not isinstance(priorities, list) or not set(priorities) <= set(Priority.values):
        errors["priorities"] = f"Use {', '.join(Priority.values)}."
    minutes = values.get("fix_minutes")
    if not isinstance(minutes, int) or isinstance(minutes, bool) or not 1 <= minutes <= MAX_MINUTES:
        errors["fix_minutes"] = f"Give whole business minutes, 1 to {MAX_MINUTES}."
    warn = values.get("warn_percent", 75)
    if not isinstance(warn, int) or isinstance(warn, bool) or not 1 <= warn <= 99:
        errors["warn_percent"] = "Give a share of the target from 1 to 99 (percent)."
    lead = values.get("lead") or None
    if isinstance(lead, str):
        found = User.objects.filter(username=lead, is_active=True).first()
        if found is None:
            errors["lead"] = "No such active user."
        lead = found
    if lead is not None and not isinstance(lead, User):
        errors["lead"] = "No such active user."
    clean = {"name": name, "calendar": calendar, "categories": categories,
             "priorities": priorities, "fix_minutes": minutes, "warn_percent": warn,
             "lead": lead, "active": bool(values.get("active", True))}  # fmt: skip
    return clean, errors


@transaction.atomic
def item_policy_create(*, actor: Actor | None, slug: str = "", **values: object) -> ItemPolicy:
    """An administrator sets a fix target for work items (``None``: the operator's shell)."""
    if actor is not None and not actor.has_role(Role.ADMIN):
        raise PermissionDenied("Only an administrator manages SLA policies")
    clean, errors = _clean(values)
    slug = slug or slugify(str(clean["name"]))[:60]
    if ItemPolicy.objects.filter(slug=slug).exists():
        errors["slug"] = f"The slug '{slug}' is taken."
    if errors:
        raise ValidationFailed("The item policy could not be created", fields=errors)
    last = ItemPolicy.objects.order_by("-position").values_list("position", flat=True).first()
    now = wall.now()
    policy = ItemPolicy.objects.create(
        slug=slug, position=(last or 0) + 10, created_at=now, updated_at=now, **clean
    )
    audit_record(actor=actor, subject=policy, action="created", new=policy.name)
    TickCursor.objects.update_or_create(name="items", defaults={"pending": True})
    return policy


def _require_admin(actor: Actor | None) -> None:
    if actor is not None and not actor.has_role(Role.ADMIN):
        raise PermissionDenied("Only an administrator manages SLA policies")


@transaction.atomic
def item_policy_update(
    *, actor: Actor | None, policy: ItemPolicy, changes: Mapping[str, object]
) -> ItemPolicy:
    """Change a fix target (the fields given); every open item's clock is recomputed."""
    _require_admin(actor)
    current: dict[str, object] = {
        "name": policy.name, "calendar": policy.calendar, "categories": policy.categories,
        "priorities": policy.priorities, "fix_minutes": policy.fix_minutes,
        "warn_percent": policy.warn_percent, "lead": policy.lead, "active": policy.active,
    }  # fmt: skip
    unknown = set(changes) - set(current)
    if unknown:
        raise ValidationFailed(
            "Unknown field", fields=dict.fromkeys(unknown, "Not a field of a fix target.")
        )
    clean, errors = _clean({**current, **changes})
    if errors:
        raise ValidationFailed("The item policy could not be changed", fields=errors)
    old = policy.name
    for name, value in clean.items():
        setattr(policy, name, value)
    policy.updated_at = wall.now()
    policy.save()
    audit_record(actor=actor, subject=policy, action="updated", old=old, new=policy.name)
    TickCursor.objects.update_or_create(name="items", defaults={"pending": True})
    return policy


@transaction.atomic
def item_policy_delete(*, actor: Actor | None, policy: ItemPolicy) -> None:
    """Remove a fix target; the clocks it gave keep their history (their policy is cleared)."""
    _require_admin(actor)
    audit_record(actor=actor, subject=policy, action="deleted", old=policy.name)
    policy.delete()
    TickCursor.objects.update_or_create(name="items", defaults={"pending": True})
