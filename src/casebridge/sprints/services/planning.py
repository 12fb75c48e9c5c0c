"""Accepting the planner's proposal, and closing a sprint with its carry-over.

Both change work items only through ``work_item_transition`` (``schedule`` and ``reschedule``),
so each item's move is checked by its workflow and audited like any other change; the sprint's
own audit event records the plan or the close as a whole.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field

from django.db import transaction

from casebridge.accounts.models import Role, Team
from casebridge.audit.actions import AuditAction
from casebridge.audit.services import audit_record
from casebridge.core import clock
from casebridge.core.actors import Actor
from casebridge.core.errors import (
    Conflict,
    PermissionDenied,
    Reason,
    TransitionRefused,
    ValidationFailed,
)
from casebridge.sprints.delivery import delivered_statuses, dropped_statuses
from casebridge.sprints.models import EntryKind, EntryOutcome, Sprint, SprintEntry
from casebridge.sprints.planner import Proposal, Target
from casebridge.sprints.selectors.backlog import proposal_for
from casebridge.sprints.selectors.sprints import following_sprint, today
from casebridge.sprints.services.sprints import real_user
from casebridge.workitems.models import WorkItem
from casebridge.workitems.services import work_item_transition

COMMITTED = (EntryKind.PLANNED, EntryKind.CARRIED_OVER)


class PlanChanged(Conflict):
    code = "plan_changed"


def _require_rte(actor: Actor, what: str) -> None:
    if not actor.has_role(Role.RTE):
        raise PermissionDenied(f"Only the RTE {what}")


@dataclass(frozen=True)
class Accepted:
    sprint: Sprint
    current: Sprint | None
    proposal: Proposal
    scheduled: list[str]
    expedited: list[str]


def _check_expected(proposal: Proposal, expect: Collection[str] | None) -> None:
    if expect is None:
        return
    shown = {k.strip().upper() for k in expect if k.strip()}
    now = set(proposal.keys)
    if shown == now:
        return
    parts = []
    if now - shown:
        parts.append(f"now also {', '.join(sorted(now - shown))}")
    if shown - now:
        parts.append(f"no longer {', '.join(sorted(shown - now))}")
    raise PlanChanged(
        "The backlog changed since the proposal was shown; review it again",
        fields={"expect": f"The proposal changed: {'; '.join(parts)}."},
    )


def _schedule(actor: Actor, choices: Sequence[tuple[WorkItem, Sprint, str]]) -> None:
    """Schedule every item, or none: every refusal is listed, then everything rolls back."""
    reasons: list[Reason] = []
    for item, sprint, why in choices:
        try:
            work_item_transition(
                actor=actor,
                item=item,
                action="schedule",
                data={"sprint": sprint.pk, "reason": why[:5000]},
            )
        except TransitionRefused as exc:
            reasons += [Reason(r.code, f"{item.key}: {r.message}", r.field) for r in exc.reasons]
    if reasons:
        raise TransitionRefused("accept", reasons)


@transaction.atomic
def sprint_plan_accept(
    *,
    actor: Actor,
    team: Team,
    sprint: Sprint | None = None,
    add: Collection[str] = (),
    remove: Collection[str] = (),
    expect: Collection[str] | None = None,
    over_capacity_ok: bool = False,
) -> Accepted:
    """Accept the planner's proposal (with the RTE's additions and removals) and schedule it.

    ``expect`` is the list of keys the RTE saw: if the proposal is different now (someone
    triaged a bug meanwhile), nothing is scheduled and ``PlanChanged`` says what differs.
    Additions that take the sprint over capacity need ``over_capacity_ok``.
    """
    _require_rte(actor, "accepts a sprint plan")
    proposal = proposal_for(actor, team, sprint=sprint, add=add, remove=remove)
    _check_expected(proposal, expect)
    if not proposal.chosen:
        raise ValidationFailed("There is nothing to plan", fields={"add": proposal.empty_reason})
    over = [c.key for c in proposal.chosen if c.over_capacity and not c.expedited]
    if over and not over_capacity_ok:
        raise ValidationFailed(
            "The plan is over capacity",
            fields={
                "over_capacity_ok": (
                    f"Adding {', '.join(over)} takes {proposal.sprint.name} over capacity "
                    f"({proposal.load} of {proposal.sprint.capacity or 0}); "
                    "confirm or remove items."
                )
            },
        )
    target = Sprint.objects.select_related("team").get(pk=proposal.sprint.id)
    current = (
        Sprint.objects.select_related("team").get(pk=proposal.current.id)
        if proposal.current
        else None
    )
    items = {
        i.key: i
        for i in WorkItem.objects.select_related("sprint", "team").filter(key__in=proposal.keys)
    }
    plan = [
        (items[c.key], current if c.target is Target.CURRENT and current else target, c.reason)
        for c in proposal.chosen
    ]
    _schedule(actor, plan)
    expedited = [c.key for c in proposal.chosen if c.expedited]
    planned = [c.key for c in proposal.chosen if not c.expedited]
    SprintEntry.objects.filter(
        sprint=target, item__key__in=planned, outcome=EntryOutcome.OPEN
    ).update(kind=EntryKind.PLANNED)
    SprintEntry.objects.filter(item__key__in=expedited, outcome=EntryOutcome.OPEN).update(
        kind=EntryKind.EXPEDITED
    )
    audit_record(
        actor=actor,
        subject=target,
        action=AuditAction.PLAN_ACCEPTED,
        data={
            "items": planned,
            "expedited": expedited,
            "expedited_into": current.key if current and expedited else None,
            "load": proposal.load,
            "capacity": proposal.sprint.capacity,
            "added": list(proposal.added),
            "removed": list(proposal.removed),
            "warnings": list(proposal.warnings),
        },
    )
    return Accepted(target, current, proposal, planned, expedited)


@dataclass(frozen=True)
class Closed:
    sprint: Sprint
    carried_to: Sprint | None
    done: list[str] = field(default_factory=list)
    carried_over: list[str] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)
    committed_points: int = 0
    committed_done_points: int = 0
    done_points: int = 0


def _carry_target(sprint: Sprint, carry_to: Sprint | None, unfinished: int) -> Sprint | None:
    if not unfinished:
        return None
    target = carry_to or following_sprint(sprint)
    problem = ""
    if target is None:
        problem = (
            f"Create {sprint.team.name}'s next sprint to carry the {unfinished} unfinished "
            "items over."
        )
    elif target.pk == sprint.pk or target.team_id != sprint.team_id:
        problem = "Carry over into another sprint of the same team."
    elif target.closed_at is not None:
        problem = f"{target.name} is closed."
    if problem:
        raise ValidationFailed("Unfinished work has nowhere to go", fields={"carry_to": problem})
    return target


def _outcome(entries: dict[int, SprintEntry], items: list[WorkItem], outcome: str) -> None:
    now = clock.now()
    for item in items:
        entry = entries.get(item.pk)
        if entry is not None:
            entry.outcome, entry.outcome_at = outcome, now
            entry.save(update_fields=["outcome", "outcome_at"])


@transaction.atomic
def sprint_close(*, actor: Actor, sprint: Sprint, carry_to: Sprint | None = None) -> Closed:
    """Close a sprint: delivered items are done, unfinished ones carry over (recorded on both
    sprints and on each item), rejected ones are dropped."""
    _require_rte(actor, "closes sprints")
    sprint = Sprint.objects.select_for_update(of=("self",)).select_related("team").get(pk=sprint.pk)
    if sprint.closed_at is not None:
        raise ValidationFailed("Already closed", fields={"sprint": f"{sprint.name} is closed."})
    if sprint.start > today():
        raise ValidationFailed(
            "The sprint has not started",
            fields={"sprint": f"{sprint.name} starts on {sprint.start}."},
        )
    items = list(WorkItem.objects.filter(sprint=sprint).select_related("sprint").order_by("key"))
    done = [i for i in items if i.status in delivered_statuses(i.category)]
    dropped = [i for i in items if i.status in dropped_statuses(i.category)]
    unfinished = [i for i in items if i not in done and i not in dropped]
    target = _carry_target(sprint, carry_to, len(unfinished))
    entries = {
        e.item_id: e for e in SprintEntry.objects.filter(sprint=sprint).select_related("item")
    }
    _outcome(entries, done, EntryOutcome.DONE)
    _outcome(entries, dropped, EntryOutcome.DROPPED)
    for item in unfinished:
        assert target is not None
        work_item_transition(
            actor=actor,
            item=item,
            action="reschedule",
            data={
                "sprint": target.pk,
                "reason": f"Carried over: unfinished when {sprint.name} closed",
            },
        )
    if unfinished:
        ids = [i.pk for i in unfinished]
        SprintEntry.objects.filter(sprint=sprint, item_id__in=ids).update(
            outcome=EntryOutcome.CARRIED_OVER, carried_to=target
        )
        SprintEntry.objects.filter(sprint=target, item_id__in=ids).update(
            kind=EntryKind.CARRIED_OVER
        )
    committed = [e for e in entries.values() if e.kind in COMMITTED]
    done_ids = {i.pk for i in done}
    result = Closed(
        sprint=sprint,
        carried_to=target,
        done=[i.key for i in done],
        carried_over=[i.key for i in unfinished],
        dropped=[i.key for i in dropped],
        committed_points=sum(e.estimate or 0 for e in committed),
        committed_done_points=sum(e.estimate or 0 for e in committed if e.item_id in done_ids),
        done_points=sum(entries[i].estimate or 0 for i in done_ids if i in entries),
    )
    sprint.closed_at, sprint.closed_by = clock.now(), real_user(actor)
    sprint.save(update_fields=["closed_at", "closed_by"])
    audit_record(
        actor=actor,
        subject=sprint,
        action=AuditAction.CLOSED,
        data={
            "done": result.done,
            "carried_over": result.carried_over,
            "carried_to": target.key if target else None,
            "dropped": result.dropped,
            "committed": sorted(
                ({"key": e.item.key, "estimate": e.estimate} for e in committed),
                key=lambda c: str(c["key"]),
            ),
            "committed_points": result.committed_points,
            "committed_done_points": result.committed_done_points,
            "done_points": result.done_points,
        },
    )
    return result
