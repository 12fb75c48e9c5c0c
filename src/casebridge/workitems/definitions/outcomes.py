"""Outcomes that hand a work item's cases to another item: duplicate and re-categorise."""

from __future__ import annotations

from collections.abc import Iterator

from casebridge.core.errors import Reason
from casebridge.workflows.engine import Context
from casebridge.workitems.definitions.common import Changes, effect_finish
from casebridge.workitems.models import WorkItem


def check_duplicate_target(ctx: Context) -> Iterator[Reason]:
    target = ctx.data.get("duplicate_of")
    if target is None or ctx.preview:
        return
    if target.pk == ctx.subject.pk:
        yield Reason("invalid", "An item cannot duplicate itself", "duplicate_of")
    elif target.duplicate_of_id == ctx.subject.pk:
        yield Reason("invalid", f"{target.key} is already a duplicate of this item", "duplicate_of")


def effect_duplicate(ctx: Context) -> Changes:
    from casebridge.cases.following import cases_relink

    item: WorkItem = ctx.subject
    target: WorkItem = ctx.data["duplicate_of"]
    item.duplicate_of = target
    effect_finish(ctx)
    moved = cases_relink(actor=ctx.actor, source=item, target=target)
    return {"duplicate_of": (None, target), "cases": ("", ", ".join(moved))}


def check_new_category(ctx: Context) -> Iterator[Reason]:
    category = ctx.data.get("category")
    if category and category not in ("feature", "improvement"):
        yield Reason("invalid", "Re-categorise as feature or improvement", "category")


def effect_recategorise(ctx: Context) -> Changes:
    from casebridge.cases.following import cases_relink
    from casebridge.workitems.services import DOC_ATTRIBUTES, work_item_create

    item: WorkItem = ctx.subject
    docs = {name: getattr(item, name) for name in DOC_ATTRIBUTES}
    reason = str(ctx.data.get("reason") or "")
    if ctx.data["category"] == "feature":
        docs["justification"] = docs["justification"] or f"{item.description}\n\n{reason}".strip()
    else:
        docs["rationale"] = docs["rationale"] or f"{item.description}\n\n{reason}".strip()
    new = work_item_create(
        actor=ctx.actor,
        category=str(ctx.data["category"]),
        title=item.title,
        docs=docs,
        service=item.service,
        component=item.component,
        environment=item.environment,
        version=item.version,
    )
    item.superseded_by = new
    effect_finish(ctx)
    moved = cases_relink(actor=ctx.actor, source=item, target=new)
    return {"superseded_by": (None, new), "cases": ("", ", ".join(moved))}
