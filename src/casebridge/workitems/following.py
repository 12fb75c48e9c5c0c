"""The hook that makes linked cases follow every status change of their work item."""

from __future__ import annotations

from casebridge.workflows.engine import Context, StateGroup
from casebridge.workitems.models import WorkItem


def _outcome(action: str, group: StateGroup) -> str:
    if group == StateGroup.DONE:
        return "fixed"
    if action in ("needs_info", "reject"):
        return "returned"
    if action == "provide_info":
        return "resumed"
    return ""


def follow(ctx: Context[WorkItem], action: str, old: str, new: str) -> None:
    """Registered as every development workflow's ``after`` hook."""
    from casebridge.cases.following import cases_follow
    from casebridge.workitems.definitions import workflow_for

    if old == new:
        return  # assignment, a recorded release: internal detail, not progress for the reporter
    item = ctx.subject
    state = workflow_for(item.category).state(new)
    cases_follow(
        actor=ctx.actor,
        item=item,
        action=action,
        old=old,
        new=new,
        label=state.label,
        outcome=_outcome(action, state.group),
        reason=str(ctx.data.get("reason") or ""),
    )
