"""Writes to the backlog: estimates, and the RTE's pins that override the order."""

from __future__ import annotations

from django.db import transaction

from casebridge.accounts.models import Role, Team
from casebridge.audit.actions import AuditAction
from casebridge.audit.services import audit_record
from casebridge.core import clock
from casebridge.core.actors import Actor
from casebridge.core.errors import PermissionDenied, ValidationFailed
from casebridge.sprints.models import BacklogPin, EntryOutcome, SprintEntry
from casebridge.sprints.ranking import position_after_move
from casebridge.sprints.selectors.backlog import backlog_for, in_backlog
from casebridge.sprints.selectors.sprints import today
from casebridge.sprints.services.sprints import real_user
from casebridge.workitems.models import WorkItem

MAX_ESTIMATE = 1000
ESTIMATORS = (Role.RTE, Role.DEVELOPER, Role.DEVOPS)


def _require_rte(actor: Actor) -> None:
    if not actor.has_role(Role.RTE):
        raise PermissionDenied("Only the RTE orders the backlog")


@transaction.atomic
def backlog_estimate(*, actor: Actor, item: WorkItem, estimate: int | None) -> WorkItem:
    """Set (or clear) an item's estimate, in its team's unit. A sprint that has not started
    takes the new estimate; a running one keeps the estimate it was planned with, unless it had
    none."""
    if not actor.has_role(*ESTIMATORS):
        raise PermissionDenied("Estimates come from the RTE, developers or DevOps")
    if estimate is not None and not 0 <= estimate <= MAX_ESTIMATE:
        raise ValidationFailed(
            "Bad estimate", fields={"estimate": f"Use a number from 0 to {MAX_ESTIMATE}."}
        )
    locked = WorkItem.objects.select_for_update().get(pk=item.pk)
    if locked.estimate == estimate:
        return locked
    old, locked.estimate = locked.estimate, estimate
    locked.save(update_fields=["estimate", "updated_at"])
    audit_record(
        actor=actor,
        subject=locked,
        action=AuditAction.ESTIMATED,
        field="estimate",
        old=old,
        new=estimate,
    )
    entry = (
        SprintEntry.objects.select_related("sprint")
        .filter(item=locked, outcome=EntryOutcome.OPEN)
        .first()
    )
    if entry is not None and (entry.estimate is None or entry.sprint.start > today()):
        entry.estimate = estimate
        entry.save(update_fields=["estimate"])
    return locked


@transaction.atomic
def backlog_pin(
    *, actor: Actor, team: Team, item: WorkItem, position: int, reason: str = ""
) -> BacklogPin:
    """Place an item at ``position`` (1 = top) of the team's backlog; recorded and audited."""
    _require_rte(actor)
    errors: dict[str, str] = {}
    if not 1 <= position <= 1_000_000:
        errors["position"] = "Use a position of 1 or more."
    if len(reason) > 2000:
        errors["reason"] = "Keep the reason under 2000 characters."
    if not in_backlog(team, item):
        errors["item"] = f"{item.key} is not in the backlog of {team.name}."
    if errors:
        raise ValidationFailed("The item could not be pinned", fields=errors)
    pin = BacklogPin.objects.select_for_update().filter(item=item).first()
    old = pin.position if pin is not None and pin.team_id == team.pk else None
    if pin is not None and old == position and pin.reason == reason.strip():
        return pin
    pin = pin or BacklogPin(item=item)
    pin.team, pin.position, pin.reason = team, position, reason.strip()
    pin.pinned_by, pin.pinned_at = real_user(actor), clock.now()
    pin.save()
    audit_record(
        actor=actor,
        subject=item,
        action=AuditAction.BACKLOG_PINNED,
        field="backlog_position",
        old=old,
        new=position,
        reason=pin.reason,
        data={"team": team.slug},
    )
    return pin


@transaction.atomic
def backlog_unpin(*, actor: Actor, item: WorkItem, reason: str = "") -> None:
    """Return the item to its natural place in the order."""
    _require_rte(actor)
    pin = (
        BacklogPin.objects.select_for_update(of=("self",))
        .select_related("team")
        .filter(item=item)
        .first()
    )
    if pin is None:
        return
    audit_record(
        actor=actor,
        subject=item,
        action=AuditAction.BACKLOG_UNPINNED,
        field="backlog_position",
        old=pin.position,
        new=None,
        reason=reason.strip(),
        data={"team": pin.team.slug},
    )
    pin.delete()


def backlog_move(*, actor: Actor, team: Team, item: WorkItem, offset: int) -> BacklogPin:
    """Move an item ``offset`` places up (negative) or down: pins it at its new position."""
    _require_rte(actor)
    ranked = backlog_for(actor, team)
    if not any(r.key == item.key for r in ranked):
        raise ValidationFailed(
            "Not in the backlog", fields={"item": f"{item.key} is not in {team.name}'s backlog."}
        )
    position = position_after_move(ranked, item.key, offset)
    word = "up" if offset < 0 else "down"
    return backlog_pin(
        actor=actor,
        team=team,
        item=item,
        position=position,
        reason=f"Moved {word} to #{position}",
    )
