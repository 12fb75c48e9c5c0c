"""``{% sla_clocks case %}``: a case's SLA clocks on its page. Staff see the policy, state, due
time, time left and paused total; a customer sees only the commitments of a policy that says so
(what was promised and whether it was kept), never the policy's name or the internals."""

from __future__ import annotations

from datetime import datetime

from django import template
from django.db.models import F
from django.utils import timezone

from casebridge.cases.models import Case
from casebridge.core import clock
from casebridge.sla.clocks import KIND_LABELS, Kind, State
from casebridge.sla.models import Clock, ItemClock
from casebridge.sla.selectors import clocks_for
from casebridge.workitems.models import WorkItem

register = template.Library()

ORDER = {Kind.FIRST_RESPONSE: 0, Kind.TRIAGE: 1, Kind.RESOLUTION: 2}


def exact(value: datetime) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M %Z")


def relative(then: datetime, now: datetime) -> str:
    """Wall time between two instants, roughly: ``3 h``, ``2 d``, ``5 min``."""
    seconds = abs(int((now - then).total_seconds()))
    for size, unit in ((86400, "d"), (3600, "h"), (60, "min")):
        if seconds >= size:
            return f"{seconds // size} {unit}"
    return "under a minute"


def duration(seconds: int) -> str:
    """``1 h 30 min``, ``45 min``, ``2 d 4 h`` (business time)."""
    minutes = max(0, seconds) // 60
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    parts = [
        f"{days} d" if days else "",
        f"{hours} h" if hours else "",
        f"{mins} min" if mins else "",
    ]
    return " ".join(p for p in parts if p)[:40] or "0 min"


def _row(c: Clock | ItemClock, now: datetime, external: bool) -> dict[str, str]:
    due: datetime | None = c.due_at
    level, words = c.state, ""
    if c.state == State.MET:
        words = f"Met {relative(c.stopped_at, now)} ago" if c.stopped_at else "Met"
    elif c.state == State.BREACHED:
        words = f"Breached {relative(c.breached_at, now)} ago" if c.breached_at else "Breached"
        if c.stopped_at:
            words += " (since answered)" if c.kind == Kind.FIRST_RESPONSE else " (since done)"
    elif c.state == State.PAUSED:
        words = f"Paused, {duration(c.remaining_seconds)} left"
    elif due is not None:
        if c.warn_at is not None and c.warn_at <= now:
            level, words = "warning", f"At risk: {relative(due, now)} left"
        else:
            level, words = "ok", f"On track: {relative(due, now)} left"
    else:
        words = "Running"
    return {
        "kind": KIND_LABELS[Kind(c.kind)],
        "target": duration(c.target_seconds),
        "level": "met" if level == State.MET else level,
        "words": words,
        "due": exact(due) if due else "",
        "paused": duration(c.paused_seconds) if c.paused_seconds and not external else "",
        "policy": c.policy.name if c.policy and not external else "",
        "calendar": (c.policy.calendar.name if c.policy and not external else ""),
    }


@register.inclusion_tag("sla/_clocks.html", takes_context=True)
def sla_clocks(context: template.Context, case: Case) -> dict[str, object]:
    viewer = context["user"]
    found = sorted(clocks_for(viewer, case), key=lambda c: ORDER.get(Kind(c.kind), 9))
    now = clock.now()
    external = viewer.is_external
    return {"rows": [_row(c, now, external) for c in found], "external": external}


def item_badges(keys: list[str], now: datetime | None = None) -> dict[str, tuple[str, str]]:
    """The fix clock of each work item key as (level, words), in one query (the board)."""
    now = now or clock.now()
    found = ItemClock.objects.filter(work_item__key__in=keys).annotate(key=F("work_item__key"))
    return {c.key: (str(r["level"]), str(r["words"])) for c in found for r in [_row(c, now, True)]}


@register.simple_tag
def board_sla(board: object) -> dict[str, tuple[str, str]]:
    """The fix clocks of every card of a board, in one query: ``{% board_sla board as sla %}``
    then ``{{ col.cards|board_cards:sla }}``."""
    columns = getattr(board, "columns", [])
    keys = [str(c.key) for col in columns for c in getattr(col, "cards", [])]
    return item_badges(keys) if keys else {}


@register.inclusion_tag("sla/_clocks.html", takes_context=True)
def item_sla_clock(context: template.Context, item: WorkItem) -> dict[str, object]:
    """A work item's fix clock on its page (staff only: work items are internal)."""
    found = ItemClock.objects.filter(work_item=item).select_related("policy__calendar").first()
    if found is None:
        return {"rows": [], "external": False}
    row = _row(found, clock.now(), False)
    row["kind"] = "Fix"
    return {"rows": [row], "external": False}
