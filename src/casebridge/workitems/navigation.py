"""The work-item links of the main navigation, by role."""

from __future__ import annotations

from django.urls import reverse

from casebridge.accounts.models import User
from casebridge.workitems.views import queues_for


def work_item_links(user: User) -> list[tuple[str, str]]:
    """Boards for every member of staff, then the queues of the viewer's roles."""
    if user.is_external:
        return []
    links = [("Boards", reverse("workitems:boards"))]
    links += [(q.label, reverse("workitems:queue", args=[q.slug])) for q in queues_for(user)]
    return links
