"""Decisions on feature requests and improvements: who decides, as which role, and with what."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping

from casebridge.core import clock
from casebridge.core.actors import Actor
from casebridge.core.errors import Reason
from casebridge.workflows.engine import Context, Requirement, Transition
from casebridge.workitems.definitions.common import PM, RTE, Changes
from casebridge.workitems.models import WorkItem

DECIDERS = frozenset({PM, RTE})
WSJF_FIELDS = ("business_value", "time_criticality", "risk_reduction", "job_size")
#: Per deciding role: its decision, who took it and why.
ROLE_FIELDS: dict[str, tuple[str, str, str]] = {
    PM: ("pm_decision", "pm_decided_by", "pm_decision_reason"),
    RTE: ("rte_decision", "rte_decided_by", "rte_decision_reason"),
}
ROLE_NAMES: dict[str, str] = {PM: "product manager", RTE: "RTE"}
DECIDED = {"approve": "approved", "reject": "rejected", "defer": "deferred"}
#: The optional input of a decision: the role decided as, for someone who is both PM and RTE.
AS_ROLE = ("as_role",)


def deciding_role(
    actor: Actor, data: Mapping[str, object], item: WorkItem | None = None
) -> str | None:
    """The role the actor decides as: the one they hold, or the one they name if they hold
    both, or (holding both, naming none) the one that has not decided on ``item`` yet."""
    held = [role for role in (PM, RTE) if actor.has_role(role)]
    if len(held) == 1:
        return held[0]
    wanted = data.get("as_role")
    if not wanted and item is not None:
        undecided = [role for role in held if not _decision(item, role)]
        return undecided[0] if len(undecided) == 1 else None
    return wanted if isinstance(wanted, str) and wanted in held else None


def _decided(item: WorkItem, role: str) -> Reason:
    decision_field, by_field, _ = ROLE_FIELDS[role]
    by = getattr(item, by_field)
    who = f" by {by.display_name}" if by is not None else ""
    past = DECIDED.get(getattr(item, decision_field), getattr(item, decision_field))
    return Reason(
        "decided",
        f"The {ROLE_NAMES[role]} already decided: {past}{who}. A decision is recorded once",
    )


def check_decider(ctx: Context[WorkItem]) -> Iterator[Reason]:
    """The actor decides for a role that has not decided yet in this review round: a decision
    is recorded once (a new round starts when a deferred item is reconsidered)."""
    actor, item = ctx.actor, ctx.subject
    if not actor.has_role(PM, RTE):
        return  # the role requirement reports it
    open_roles = [r for r in (PM, RTE) if actor.has_role(r) and not _decision(item, r)]
    if not open_roles:
        held = [r for r in (PM, RTE) if actor.has_role(r)]
        yield from (_decided(item, r) for r in held)
        return
    role = deciding_role(actor, ctx.data, item)
    if role is None:
        if not ctx.preview:
            wanted = ctx.data.get("as_role")
            given = f", not '{wanted}'" if wanted else ""
            yield Reason(
                "as_role",
                f"You are PM and RTE: decide as product_manager or rte{given}",
                "as_role",
            )
        return
    if _decision(item, role):
        yield _decided(item, role)
        return
    other = RTE if role == PM else PM
    decided_by = getattr(item, ROLE_FIELDS[other][1])
    if decided_by is not None and decided_by.pk == actor.pk and item.category == "feature":
        yield Reason(
            "same_person",
            f"The PM and the RTE decide separately; you already decided as {ROLE_NAMES[other]}",
        )


def _decision(item: WorkItem, role: str) -> str:
    return str(getattr(item, ROLE_FIELDS[role][0]))


def check_wsjf(ctx: Context[WorkItem]) -> Iterator[Reason]:
    """Approval needs every WSJF input, given now or recorded before."""
    if ctx.preview:
        return
    for name in WSJF_FIELDS:
        value = ctx.data.get(name, getattr(ctx.subject, name))
        if value is None:
            label = name.replace("_", " ")
            yield Reason("required", f"Give the {label} (WSJF input) to approve", name)


def check_revisit(ctx: Context[WorkItem]) -> Iterator[Reason]:
    revisit = ctx.data.get("revisit_on")
    if revisit is not None and not ctx.preview and revisit <= clock.now().date():
        yield Reason("invalid", "The revisit date must be in the future", "revisit_on")


def check_team(ctx: Context[WorkItem]) -> Iterator[Reason]:
    team = ctx.data.get("team")
    if team is None and not ctx.preview:
        yield Reason(
            "required", "Name the implementing team (DevOps or a development team)", "team"
        )


def effect_decide(decision: str) -> Callable[[Context[WorkItem]], Changes]:
    def effect(ctx: Context[WorkItem]) -> Changes:
        item: WorkItem = ctx.subject
        role = deciding_role(ctx.actor, ctx.data, item)
        assert role is not None
        decision_field, by_field, reason_field = ROLE_FIELDS[role]
        reason = str(ctx.data.get("reason") or "").strip()
        changes: dict[str, tuple[object, object]] = {
            decision_field: (getattr(item, decision_field), decision),
            reason_field: (getattr(item, reason_field), reason),
        }
        setattr(item, decision_field, decision)
        setattr(item, by_field, ctx.actor)
        setattr(item, reason_field, reason)
        if reason or decision != "approve":
            # The item's reason is the latest decision's: an approval without one keeps
            # the reason an earlier decision gave.
            changes["decision_reason"] = (item.decision_reason, reason)
            item.decision_reason = reason
        if decision == "approve":
            for name in WSJF_FIELDS:
                if ctx.data.get(name) is not None:
                    changes[name] = (getattr(item, name), ctx.data[name])
                    setattr(item, name, ctx.data[name])
        if decision == "defer":
            changes["revisit_on"] = (item.revisit_on, ctx.data["revisit_on"])
            item.revisit_on = ctx.data["revisit_on"]
        if ctx.data.get("team") is not None:
            changes["team"] = (item.team, ctx.data["team"])
            item.team = ctx.data["team"]
        if decision in ("reject",):
            item.closed_at = clock.now()
        return changes

    return effect


def effect_reconsider(ctx: Context[WorkItem]) -> Changes:
    """A new review round: both roles decide again."""
    item: WorkItem = ctx.subject
    changes: dict[str, tuple[object, object]] = {}
    for decision_field, by_field, reason_field in ROLE_FIELDS.values():
        for name in (decision_field, reason_field):
            changes[name] = (getattr(item, name), "")
            setattr(item, name, "")
        setattr(item, by_field, None)
    item.revisit_on = None
    return changes


def route_both_approve(ctx: Context[WorkItem]) -> str:
    item: WorkItem = ctx.subject
    both = item.pm_decision == "approve" and item.rte_decision == "approve"
    return "approved" if both else "under_review"


def reject_undecided(undecided: frozenset[str], *, description: str = "") -> Transition[WorkItem]:
    """Rejecting an undecided request, with the reason: the same action for feature requests
    and improvements."""
    return Transition(
        "reject",
        "Reject",
        undecided,
        "rejected",
        DECIDERS,
        requires=(Requirement("reason", "Say why it is rejected"),),
        checks=(check_decider,),
        effect=effect_decide("reject"),
        accepts=AS_ROLE,
        style="danger",
        description=description,
    )


def defer_and_reconsider(
    undecided: frozenset[str],
) -> tuple[Transition[WorkItem], Transition[WorkItem]]:
    """Deferring an undecided request to a date (with the reason), and taking it back under
    review: the same two actions for feature requests and improvements."""
    defer = Transition(
        "defer",
        "Defer",
        undecided,
        "deferred",
        DECIDERS,
        requires=(
            Requirement("reason", "Say why it is deferred"),
            Requirement("revisit_on", "Give the date to revisit it"),
        ),
        checks=(check_decider, check_revisit),
        effect=effect_decide("defer"),
        accepts=AS_ROLE,
    )
    reconsider = Transition(
        "reconsider",
        "Reconsider",
        frozenset({"deferred"}),
        "under_review",
        DECIDERS,
        effect=effect_reconsider,
    )
    return defer, reconsider
