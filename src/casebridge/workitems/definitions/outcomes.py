"""Outcomes that hand a work item's cases to another item: duplicate and re-categorise."""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from casebridge.core import events
from casebridge.core.errors import Reason
from casebridge.workflows.engine import Context
from casebridge.workitems.creation import work_item_create
from casebridge.workitems.definitions.common import Changes, effect_finish
from casebridge.workitems.documentation import DOC_NAMES, RECATEGORISE_DOCS, Given, missing_reasons
from casebridge.workitems.events import WorkItemSuperseded
from casebridge.workitems.models import WorkItem


def check_duplicate_target(ctx: Context[WorkItem]) -> Iterator[Reason]:
    target = ctx.data.get("duplicate_of")
    if target is None or ctx.preview:
        return
    if target.pk == ctx.subject.pk:
        yield Reason("invalid", "An item cannot duplicate itself", "duplicate_of")
    elif target.duplicate_of_id == ctx.subject.pk:
        yield Reason("invalid", f"{target.key} is already a duplicate of this item", "duplicate_of")


def _superseded(ctx: Context[WorkItem], item: WorkItem, by: WorkItem, how: str) -> str:
    """Hand the item's cases to ``by`` (``cases`` relinks them, in this transaction); the keys
    of the cases moved, for the item's own audit event."""
    moved = ", ".join(item.cases.order_by("id").values_list("key", flat=True))
    events.publish(
        WorkItemSuperseded(
            key=item.key,
            work_item_id=item.pk,
            by_key=by.key,
            by_id=by.pk,
            how=how,
            actor_id=events.actor_id(ctx.actor),
        )
    )
    return moved


def effect_duplicate(ctx: Context[WorkItem]) -> Changes:
    item: WorkItem = ctx.subject
    target: WorkItem = ctx.data["duplicate_of"]
    item.duplicate_of = target
    effect_finish(ctx)
    moved = _superseded(ctx, item, target, "duplicate")
    return {"duplicate_of": (None, target), "cases": ("", moved)}


def given_by(item: WorkItem) -> Given:
    """What a work item already holds towards another category's documentation."""
    return Given.of(item, lambda: item.cases.filter(attachments__is_log=True).exists())


def recategorised_docs(item: WorkItem, data: Mapping[str, object]) -> dict[str, str]:
    """The item's documentation, with what was typed for the new category over it."""
    docs = {name: str(getattr(item, name)) for name in DOC_NAMES}
    docs.update({name: str(data[name]) for name in RECATEGORISE_DOCS if data.get(name)})
    return docs


def check_new_category(ctx: Context[WorkItem]) -> Iterator[Reason]:
    """The new category is a feature request or an improvement, documented as the escalation
    gate asks for that category: every missing item is named."""
    category = ctx.data.get("category")
    if ctx.preview or not category:
        return
    if category not in ("feature", "improvement"):
        yield Reason("invalid", "Re-categorise as feature or improvement", "category")
        return
    item: WorkItem = ctx.subject
    yield from missing_reasons(given_by(item), str(category), recategorised_docs(item, ctx.data))


def effect_recategorise(ctx: Context[WorkItem]) -> Changes:
    item: WorkItem = ctx.subject
    new = work_item_create(
        actor=ctx.actor,
        category=str(ctx.data["category"]),
        title=item.title,
        docs=recategorised_docs(item, ctx.data),
        service=item.service,
        component=item.component,
        environment=item.environment,
        version=item.version,
    )
    item.superseded_by = new
    effect_finish(ctx)
    moved = _superseded(ctx, item, new, "recategorised")
    return {"superseded_by": (None, new), "cases": ("", moved)}
