"""Keeping SLA clocks current: recompute a case's clocks, and the periodic tick that acts once
per clock on warnings and breaches."""

from __future__ import annotations

import time
from datetime import datetime, timedelta

from django.db import transaction

from casebridge.audit.models import AuditEvent
from casebridge.audit.services import audit_record
from casebridge.cases.models import Case, Impact
from casebridge.cases.services import case_sla_summary_set, case_update
from casebridge.core import clock as wall
from casebridge.core import events
from casebridge.core.actors import SYSTEM
from casebridge.sla.clocks import KIND_LABELS, Kind, Result, State, Target, compute_clock
from casebridge.sla.events import SlaBreached, SlaWarningReached
from casebridge.sla.history import calendar_hours, case_history
from casebridge.sla.items import item_sla_tick
from casebridge.sla.models import Clock, ContractTier, EscalationAction, Policy, TickCursor

DEFAULT_PAUSE = ("waiting_on_reporter",)
IMPACT_ORDER = [Impact.LOW, Impact.MEDIUM, Impact.HIGH, Impact.CRITICAL]


def _matches(values: list[str], value: str | None) -> bool:
    return not values or (value is not None and value in values)


def policy_for(case: Case, policies: list[Policy] | None = None) -> Policy | None:
    """The first active policy, by position, whose every condition the case meets."""
    if policies is None:
        policies = list(Policy.objects.filter(active=True).select_related("calendar", "lead"))
    org = case.organisation
    tier = None
    if org is not None and any(p.tiers for p in policies):
        tier = ContractTier.objects.filter(organisation=org).values_list("tier", flat=True).first()
    for p in policies:
        if (
            _matches(p.impacts, case.impact)
            and _matches(p.sources, case.source)
            and _matches(p.organisations, org.slug if org else None)
            and _matches(p.tiers, tier)
            and _matches(p.services, case.service.slug)
        ):
            return p
    return None


def targets_of(policy: Policy) -> list[Target]:
    pause = frozenset(policy.pause_states or DEFAULT_PAUSE)
    share = policy.warn_percent / 100
    minutes = {
        Kind.FIRST_RESPONSE: policy.first_response_minutes,
        Kind.TRIAGE: policy.triage_minutes,
        Kind.RESOLUTION: policy.resolution_minutes,
    }
    return [
        Target(kind=kind, seconds=m * 60, warn_share=share, pause_states=pause)
        for kind, m in minutes.items()
        if m
    ]


def _years(start: datetime, now: datetime) -> range:
    return range(min(start.year, now.year) - 1, now.year + 4)


def _store(case: Case, policy: Policy, target: Target, result: Result, now: datetime) -> Clock:
    values = {
        "policy": policy,
        "state": result.state.value,
        "target_seconds": target.seconds,
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
    found, _ = Clock.objects.update_or_create(case=case, kind=target.kind.value, defaults=values)
    return found


def _summarise(case: Case, clocks: list[Clock]) -> None:
    live = [c for c in clocks if c.stopped_at is None and c.due_at is not None]
    paused = any(c.state == State.PAUSED for c in clocks)
    case_sla_summary_set(
        case_id=case.pk,
        due_at=min((c.due_at for c in live if c.due_at), default=None),
        warn_at=min(
            (c.warn_at for c in live if c.warn_at and c.state == State.RUNNING), default=None
        ),
        paused=paused and not live,
    )


@transaction.atomic
def clocks_recompute(*, case: Case, now: datetime | None = None) -> list[Clock]:
    """Compute the case's clocks from its audit history under the policy that applies now, store
    them, and act on a breach found (once per clock). Safe to run any time, any number of times."""
    now = now or wall.now()
    locked = (
        Case.objects.select_for_update(of=("self",))
        .select_related("service", "organisation", "work_item")
        .get(pk=case.pk)
    )
    policy = policy_for(locked)
    existing = Clock.objects.filter(case=locked)
    if policy is None:
        existing.delete()
        _summarise(locked, [])
        return []
    history = case_history(locked)
    hours = calendar_hours(policy.calendar, _years(locked.created_at, now))
    kept: list[Clock] = []
    for target in targets_of(policy):
        result = compute_clock(target, history, hours, now)
        if result is not None:
            kept.append(_store(locked, policy, target, result, now))
    existing.exclude(pk__in=[c.pk for c in kept]).delete()
    _summarise(locked, kept)
    for c in kept:
        if c.state == State.BREACHED and c.breach_acted_at is None:
            _breach(c, locked, policy, now)
    return kept


def clocks_recompute_for_key(key: str) -> list[Clock]:
    """The subscriber's door: recompute the clocks of the case ``key`` (if it exists)."""
    case = Case.objects.filter(key=key).first()
    return clocks_recompute(case=case) if case is not None else []


# --- acting once per clock ----------------------------------------------------------------------


def _people(case: Case, policy: Policy | None) -> tuple[str | None, str | None]:
    owner = case.owner.username if case.owner_id and case.owner else None
    lead = policy.lead.username if policy and policy.lead_id and policy.lead else None
    return owner, lead


def _warn(c: Clock, case: Case, policy: Policy | None, now: datetime) -> int:
    if not Clock.objects.filter(pk=c.pk, warned_at__isnull=True).update(warned_at=now):
        return 0  # another worker warned
    owner, lead = _people(case, policy)
    events.publish(
        SlaWarningReached(
            key=case.key,
            clock=c.kind,
            policy=policy.slug if policy else "",
            due_at=c.due_at,
            owner=owner,
            lead=lead,
        )
    )
    return 1


def _escalate(case: Case, policy: Policy) -> str:
    """The policy's escalation action on a breach; returns what was done ("" for nothing)."""
    action = policy.escalation_action
    if action == EscalationAction.RAISE_IMPACT:
        place = IMPACT_ORDER.index(Impact(case.impact))
        if place + 1 < len(IMPACT_ORDER):
            case_update(actor=SYSTEM, case=case, changes={"impact": IMPACT_ORDER[place + 1].value})
            return action
        return ""
    if action == EscalationAction.NOTIFY_LEAD and policy.lead_id:
        return action
    return ""


def _breach(c: Clock, case: Case, policy: Policy | None, now: datetime) -> None:
    updated = Clock.objects.filter(pk=c.pk, breach_acted_at__isnull=True).update(
        breach_acted_at=now, warned_at=c.warned_at or now
    )
    if not updated:
        return  # another worker acted
    c.breach_acted_at = now
    breached_at = c.breached_at or c.due_at or now
    label = KIND_LABELS[Kind(c.kind)]
    audit_record(
        actor=SYSTEM,
        subject=case,
        action="sla_breached",
        field="sla",
        new=c.kind,
        reason=f"{label} target of {policy.name if policy else 'the policy'} passed",
        data={"clock": c.kind, "policy": policy.slug if policy else "", "at": str(breached_at)},
    )
    action = _escalate(case, policy) if policy else ""
    owner, lead = _people(case, policy)
    events.publish(
        SlaBreached(
            key=case.key,
            clock=c.kind,
            policy=policy.slug if policy else "",
            breached_at=breached_at,
            owner=owner,
            lead=lead,
            action=action,
        )
    )


# --- the periodic tick ---------------------------------------------------------------------------

#: At most this many due clocks per pass, and no new one once a pass has run this long: after a
#: worker outage the backlog drains over several short passes (each act happens once anyway).
TICK_BATCH = 100
PASS_SECONDS = 0.5
#: Audit events may commit out of id order under concurrency; the catch-up rereads this much.
CATCH_UP_OVERLAP = timedelta(minutes=2)


def due_clocks(now: datetime, limit: int = TICK_BATCH) -> tuple[list[int], list[int]]:
    """Ids of clocks whose warning, and whose breach, is due and not yet acted on (indexed)."""
    warn = Clock.objects.filter(state=State.RUNNING, warned_at__isnull=True, warn_at__lte=now)
    breach = Clock.objects.filter(
        state__in=[State.RUNNING, State.BREACHED], breach_acted_at__isnull=True, due_at__lte=now
    )
    return (
        list(warn.order_by("warn_at").values_list("id", flat=True)[:limit]),
        list(breach.order_by("due_at").values_list("id", flat=True)[:limit]),
    )


def _act_on(clock_id: int, now: datetime) -> int:
    """Recompute the clock's case (which locks it: the case first, as every change does), then
    warn if the warning is due; a breach found is acted on by the recompute. The conditional
    updates of ``warned_at`` and ``breach_acted_at`` make each act happen once across workers."""
    found = Clock.objects.filter(pk=clock_id).values_list("case_id", "kind").first()
    if found is None:
        return 0
    case_id, kind = found
    with transaction.atomic():
        case = Case.objects.select_related("owner").filter(pk=case_id).first()
        if case is None:
            return 0
        fresh = {k.kind: k for k in clocks_recompute(case=case, now=now)}.get(kind)
        if fresh is None:
            return 0
        if fresh.breach_acted_at == now:
            return 1
        if (
            fresh.state == State.RUNNING
            and fresh.warned_at is None
            and fresh.warn_at is not None
            and fresh.warn_at <= now
        ):
            return _warn(fresh, case, fresh.policy, now)
        return 0


def sla_tick(*, now: datetime | None = None) -> int:
    """The worker's periodic job: first catch up with cases changed since the last pass, then
    act on due warnings and breaches. Returns how many clocks it acted on."""
    now = now or wall.now()
    deadline = time.monotonic() + PASS_SECONDS
    sla_catch_up(now=now, deadline=deadline)
    sla_recompute_pending(now=now)
    warn_ids, breach_ids = due_clocks(now)
    acted = 0
    for clock_id in list(dict.fromkeys([*breach_ids, *warn_ids]))[:TICK_BATCH]:
        acted += _act_on(clock_id, now)
        if time.monotonic() > deadline:
            break
    return acted + item_sla_tick(now=now, limit=TICK_BATCH)


def sla_catch_up(
    *, now: datetime | None = None, limit: int = 2000, deadline: float | None = None
) -> int:
    """Recompute the clocks of cases with audit events since the last pass (and of cases whose
    work item's priority was set). Until every change publishes an event, this keeps clocks
    current within one worker pass; after that it is the safety net."""
    now = now or wall.now()
    cursor, _ = TickCursor.objects.get_or_create(name="audit")
    rows = list(
        AuditEvent.objects.filter(pk__gt=cursor.last_id, subject_type__in=["case", "work_item"])
        .exclude(action="sla_breached")
        .order_by("id")
        .values_list("id", "subject_type", "subject_key")[:limit]
    )
    if not rows:
        return 0
    case_keys = {key for _, kind, key in rows if kind == "case"}
    item_keys = {key for _, kind, key in rows if kind == "work_item"}
    of_item: dict[str, set[str]] = {}
    for case_key, item_key in Case.objects.filter(work_item__key__in=item_keys).values_list(
        "key", "work_item__key"
    ):
        of_item.setdefault(item_key, set()).add(case_key)
    wanted = case_keys.union(*of_item.values())
    cases = {c.key: c for c in Case.objects.filter(key__in=wanted)}
    done: set[str] = set()
    last = cursor.last_id
    # in event order, so that a pass cut short by the deadline resumes after its last event
    for event_id, kind, key in rows:
        for case_key in sorted(({key} if kind == "case" else of_item.get(key, set())) - done):
            if case_key in cases:
                clocks_recompute(case=cases[case_key], now=now)
            done.add(case_key)
        last = event_id
        if deadline is not None and time.monotonic() > deadline:
            break
    TickCursor.objects.filter(name="audit").update(last_id=last)
    return len(done)


RECOMPUTE_BATCH = 500


def sla_recompute_requested() -> None:
    """A policy or calendar changed: the tick recomputes every open case's clocks, a batch per
    pass (an admin's page never waits for 100,000 cases)."""
    TickCursor.objects.update_or_create(name="policies", defaults={"last_id": 0, "pending": True})


def sla_recompute_pending(*, now: datetime | None = None, batch: int = RECOMPUTE_BATCH) -> int:
    cursor = TickCursor.objects.filter(name="policies", pending=True).first()
    if cursor is None:
        return 0
    cases = list(
        Case.objects.exclude(state__in=["resolved", "closed"])
        .filter(pk__gt=cursor.last_id)
        .order_by("id")[:batch]
    )
    for case in cases:
        clocks_recompute(case=case, now=now)
    TickCursor.objects.filter(pk=cursor.pk, last_id=cursor.last_id).update(
        last_id=cases[-1].pk if cases else cursor.last_id, pending=len(cases) == batch
    )
    return len(cases)
