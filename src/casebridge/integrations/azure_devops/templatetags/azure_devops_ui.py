"""``{% azure_devops_panel item %}``: how a work item stands with Azure DevOps (its item, the sync
state, open sync conflicts) and the pull requests that name it, on the work item's page."""

from __future__ import annotations

from django import template

from casebridge.integrations.azure_devops.models import WorkItemLink
from casebridge.integrations.delivery.models import PullRequestLink
from casebridge.workitems.models import WorkItem

register = template.Library()


@register.inclusion_tag("azure_devops/_panel.html")
def azure_devops_panel(item: WorkItem) -> dict[str, object]:

    link = WorkItemLink.objects.select_related("connection").filter(work_item=item).first()
    conflicts = list(link.conflicts.filter(resolved_at__isnull=True)) if link else []
    pulls = list(PullRequestLink.objects.filter(work_item=item).order_by("-updated_at")[:10])
    return {"link": link, "conflicts": conflicts, "pulls": pulls}
