"""The list behind each number of the support report: a metric (``Table.links``) names the case
set it counted (or, for the load per level, the work items), read from the same predicates."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from django.db.models import Q, QuerySet

from casebridge.cases.models import Case, CaseState
from casebridge.cases.selectors import case_list_for
from casebridge.core.actors import Actor
from casebridge.core.errors import ValidationFailed
from casebridge.incidents.models import Incident
from casebridge.reporting import tables as t
from casebridge.reporting.ladder import items_by_level
from casebridge.reporting.support import ended_clocks, incidents_in
from casebridge.reporting.tables import Filters
from casebridge.sla.models import Clock
from casebridge.workitems.models import WorkItem

MAX_ROWS = 500


@dataclass(frozen=True)
class Drill:
    metric: str
    title: str
    cases: QuerySet[Case] | None = None
    work_items: QuerySet[WorkItem] | None = None


def _bad(metric: str) -> ValidationFailed:
    return ValidationFailed("Unknown metric", fields={"metric": f"No such number: {metric[:80]}"})


def _volume(f: Filters, what: str, day: str) -> tuple[str, QuerySet[Case]]:
    if what not in ("opened", "resolved"):
        raise _bad(what)
    try:
        lo, hi = t.bucket(f, date.fromisoformat(day))
    except ValueError as exc:
        raise _bad(day) from exc
    column = "created_at" if what == "opened" else "resolved_at"
    base = t.opened(f) if what == "opened" else t.resolved(f)
    return f"Cases {what}, {f.period} of {day}", base.filter(
        **{f"{column}__gte": lo, f"{column}__lt": hi}
    )


def _outcomes(f: Filters, what: str) -> tuple[str, QuerySet[Case]]:
    escalated = t.cases(f).filter(t.escalated_in(f))
    found = {
        "resolved": ("Cases resolved", t.resolved(f)),
        "at_l2": ("Resolved at L2", t.resolved(f).filter(work_item__isnull=True)),
        "reopened": ("Resolved and reopened", t.resolved(f).filter(reopen_count__gt=0)),
        "escalated": ("Cases escalated", escalated),
        "returned": (
            "Escalations returned for missing information",
            escalated.filter(t.returned_for_info()),
        ),
    }
    if what not in found:
        raise _bad(what)
    return found[what]


def _escalations(f: Filters, what: str) -> tuple[str, QuerySet[Case]]:
    if what == "opened":
        return "Cases opened", t.opened(f)
    if what == "all":
        return "Cases opened and escalated", t.opened(f).filter(work_item__isnull=False)
    return f"Cases opened and escalated as {what}", t.opened(f).filter(work_item__category=what)


def _times(f: Filters, what: str) -> tuple[str, QuerySet[Case]]:
    if what == "first_response":
        return "Cases with a first response", t.opened(f).filter(t.replied())
    if what == "resolution":
        return "Cases resolved", t.resolved(f)
    raise _bad(what)


def _states(f: Filters, state: str) -> tuple[str, QuerySet[Case]]:
    if state not in CaseState.values:
        raise _bad(state)
    label = CaseState(state).label
    if state == CaseState.NEW:
        return f"Cases that were {label}", t.opened(f)
    return f"Cases that were {label}", t.opened(f).filter(t.entered(state))


def _compliance(f: Filters, slug: str, kind: str, state: str) -> tuple[str, QuerySet[Case]]:
    if state not in ("met", "breached"):
        raise _bad(state)
    clocks = Clock.objects.filter(ended_clocks(f), state=state)
    if slug == "-":
        clocks = clocks.filter(policy__isnull=True)
    elif slug != "*":
        clocks = clocks.filter(policy__slug=slug)
    if kind != "*":
        clocks = clocks.filter(kind=kind)
    return f"Clocks {state}", t.cases(f).filter(pk__in=clocks.values("case_id"))


def _incidents(f: Filters, what: str) -> tuple[str, QuerySet[Case]]:
    found = Incident.objects.filter(incidents_in(f))
    if what == "mttr":
        found = found.filter(resolved_at__isnull=False)
    elif what != "mtta":
        raise _bad(what)
    return "Cases of the incidents", Case.objects.filter(pk__in=found.values("case_id"))


def _signatures(f: Filters, sid: str) -> tuple[str, QuerySet[Case]]:
    if not sid.isdigit():
        raise _bad(sid)
    return "Cases with the signature", t.opened(f).filter(sightings__signature_id=int(sid))


Maker = Callable[..., tuple[str, QuerySet[Case]]]
#: table -> (how many arguments its metrics have, the case set)
MAKERS: dict[str, tuple[int, Maker]] = {
    "volume": (2, _volume),
    "outcomes": (1, _outcomes),
    "escalations": (1, _escalations),
    "times": (1, _times),
    "states": (1, _states),
    "compliance": (3, _compliance),
    "signatures": (1, _signatures),
    "incidents": (1, _incidents),
}


def _cases_for(f: Filters, parts: list[str]) -> tuple[str, QuerySet[Case]]:
    name, args = parts[0], parts[1:]
    arity, maker = MAKERS.get(name, (-1, _escalations))
    if len(args) != arity:
        raise _bad(":".join(parts))
    return maker(f, *args)


def drill_for(viewer: Actor | None, f: Filters, metric: str) -> Drill:
    """The cases (or work items) behind the number ``metric``, as the viewer may see them."""
    reader = t.report_allowed(viewer)
    parts = metric.split(":")
    if parts[0] == "load" and len(parts) == 3:
        keys = items_by_level(f).get(parts[1], {}).get(parts[2])
        if keys is None:
            raise _bad(metric)
        items = WorkItem.objects.filter(key__in=keys).select_related("team").order_by("key")
        return Drill(metric, f"Work items of {parts[1]} developers ({parts[2]})", work_items=items)
    title, found = _cases_for(f, parts)
    visible = case_list_for(reader).filter(Q(pk__in=found.values("pk")))
    return Drill(metric, title, cases=visible.order_by("-created_at", "-id"))
