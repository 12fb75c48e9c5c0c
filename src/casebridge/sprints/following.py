"""The hook that records a work item's entry into a sprint whenever its sprint changes.

Registered in each development workflow's ``after`` hooks, so it runs in the transaction of the
``schedule`` / ``reschedule`` transition that moved the item, and nowhere else.
"""

from __future__ import annotations

from casebridge.workflows.engine import Context
from casebridge.workitems.models import WorkItem


def sprint_follow(ctx: Context[WorkItem], action: str, old: str, new: str) -> None:
    if ctx.data.get("sprint") is None:
        return  # only schedule and reschedule carry a sprint
    from casebridge.sprints.services import sprint_entry_follow

    sprint_entry_follow(actor=ctx.actor, item=ctx.subject)
