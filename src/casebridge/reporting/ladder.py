"""Load per developer level: the open work items assigned to each level against what the
developer ladder (PRODUCT §4) means each level to carry."""

from __future__ import annotations

from collections import defaultdict

from django.db.models import QuerySet

from casebridge.accounts.models import LEVEL_RANK, Level, User
from casebridge.reporting.tables import Filters, Table, pct
from casebridge.workitems.models import Priority, WorkItem

#: What the ladder means each level to carry (the ladder's policies 1-4 as a sentence).
INTENT = {
    "L1": "Works under guidance: every item with an L3+ mentor, no critical bug without an L3+.",
    "L2": "Takes minor and major bugs on their own; critical bugs only beside an L3+.",
    "L3": "Critical bugs and critical components; reviews and mentors.",
    "L4": "Critical bugs, sev-1 ownership; reviews and mentors.",
}


def open_items(f: Filters) -> QuerySet[WorkItem]:
    """Open work items (not closed) of the filters' team and service."""
    items = WorkItem.objects.filter(closed_at__isnull=True)
    if f.team:
        items = items.filter(team__slug=f.team)
    if f.service:
        items = items.filter(service__slug=f.service)
    return items


def _outside(item: WorkItem, level: str, assignees: list[User]) -> bool:
    senior = any(u.level_rank >= LEVEL_RANK["L3"] for u in assignees)
    if item.priority == Priority.CRITICAL and not senior:
        return True
    mentor = item.mentor
    return level == "L1" and (mentor is None or mentor.level_rank < LEVEL_RANK["L3"])


def items_by_level(f: Filters) -> dict[str, dict[str, list[str]]]:
    """Per level: the keys of the open items its developers carry (``assigned``), of the critical
    ones (``critical``) and of those outside the ladder's intent (``outside``)."""
    out: dict[str, dict[str, list[str]]] = {
        lv: {"assigned": [], "critical": [], "outside": []} for lv in Level.values
    }
    items = (
        open_items(f)
        .filter(assignees__isnull=False)
        .distinct()
        .select_related("mentor")
        .prefetch_related("assignees__role_grants")
        .order_by("key")
    )
    for item in items:
        assignees = list(item.assignees.all())
        levels = {u.level for u in assignees if u.level and u.has_role("developer")}
        for level in sorted(levels):
            out[level]["assigned"].append(item.key)
            if item.priority == Priority.CRITICAL:
                out[level]["critical"].append(item.key)
            if _outside(item, level, assignees):
                out[level]["outside"].append(item.key)
    return out


def load(f: Filters) -> Table:
    people: dict[str, int] = defaultdict(int)
    for level in User.objects.filter(is_active=True, role_grants__role="developer").values_list(
        "level", flat=True
    ):
        people[level] += 1
    found = items_by_level(f)
    table = Table(
        "load",
        "Load per developer level",
        ["level", "developers", "open_items", "per_developer", "critical", "outside_intent",
         "outside_percent", "intent"],
    )  # fmt: skip
    for level in Level.values:
        keys = found[level]
        n = len(keys["assigned"])
        per = round(n / people[level], 2) if people[level] else None
        outside = len(keys["outside"])
        table.add(
            [level, people[level], n, per, len(keys["critical"]), outside, pct(outside, n),
             INTENT[level]],
            {2: f"load:{level}:assigned", 4: f"load:{level}:critical", 5: f"load:{level}:outside"},
        )  # fmt: skip
    return table
