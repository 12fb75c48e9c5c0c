"""How sprints react to other apps' events (registered in ``SprintsConfig.ready``)."""

from __future__ import annotations

from casebridge.accounts.selectors import actor_get
from casebridge.sprints.services import sprint_entry_follow
from casebridge.workitems.events import WorkItemTransitioned
from casebridge.workitems.models import WorkItem


def sprint_entry_on_transition(event: WorkItemTransitioned) -> None:
    """Record a work item's entry into its sprint whenever a transition carried one (schedule,
    reschedule), in that transaction: the sprint's entries agree with the item at commit."""
    if not event.sprint_given:
        return
    item = WorkItem.objects.select_related("sprint").get(pk=event.work_item_id)
    sprint_entry_follow(actor=actor_get(event.actor_id), item=item)
