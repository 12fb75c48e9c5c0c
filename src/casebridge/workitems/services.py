"""Every write to work items."""

from __future__ import annotations

from collections.abc import Mapping

from django.db import transaction

from casebridge.accounts.models import Role, user_or_none
from casebridge.audit.services import audit_changes, audit_record
from casebridge.catalog.models import Component, Service
from casebridge.core import clock, keys
from casebridge.core.actors import Actor
from casebridge.core.errors import PermissionDenied, ValidationFailed
from casebridge.integrations.outbox import outbox_enqueue
from casebridge.occurrences.services import occurrence_index_work_item
from casebridge.workflows.engine import apply_transition
from casebridge.workitems.definitions import workflow_for
from casebridge.workitems.documentation import doc_values
from casebridge.workitems.models import KEY_PREFIX, Category, LadderPolicy, PolicyCode, WorkItem
from casebridge.workitems.policies import default_level
from casebridge.workitems.references import normalise


@transaction.atomic
def work_item_create(
    *,
    actor: Actor,
    category: str,
    title: str,
    docs: Mapping[str, object],
    service: Service | None = None,
    component: Component | None = None,
    environment: str = "",
    version: str = "",
) -> WorkItem:
    if category not in Category.values:
        raise ValidationFailed(
            "Unknown category", fields={"category": "Use bug, feature or improvement."}
        )
    title = title.strip()
    if not 3 <= len(title) <= 200:
        raise ValidationFailed("Bad title", fields={"title": "Use 3 to 200 characters."})
    key, _ = keys.next_key(KEY_PREFIX[Category(category)])
    now = clock.now()
    item = WorkItem(
        key=key,
        category=category,
        title=title,
        status=workflow_for(category).initial,
        created_by=user_or_none(actor),
        created_at=now,
        service=service,
        component=component,
        environment=environment,
        version=version,
    )
    for name, value in doc_values(docs).items():
        setattr(item, name, value)
    item.save()
    audit_record(actor=actor, subject=item, action="created", data={"category": category})
    occurrence_index_work_item(item)
    outbox_enqueue(topic="work_item.created", key=key, payload={"key": key, "category": category})
    return item


def work_item_transition(
    *, actor: Actor, item: WorkItem, action: str, data: Mapping[str, object] | None = None
) -> WorkItem:
    """Apply one workflow action to a work item, or refuse with every reason at once.

    ``data`` holds raw input (usernames, keys, ids, ISO dates); references are resolved here and
    a bad one is listed with the workflow's own reasons.
    """
    values, reasons = normalise(data or {})
    result = apply_transition(
        workflow=workflow_for(item.category),
        subject=item,
        actor=actor,
        action=action,
        data=values,
        reason=str(values.get("reason") or ""),
        extra_reasons=reasons,
    )
    assert isinstance(result, WorkItem)
    return result


@transaction.atomic
def ladder_policy_set(
    *, actor: Actor, code: str, enabled: bool | None = None, min_level: int | None = None
) -> LadderPolicy:
    """An administrator tunes one developer-ladder policy (PRODUCT §4, 1-8): on or off, and the
    senior level it asks for. ``None`` is the operator at the server's shell. The next check of
    the policy (an assignment, a start, a review) applies the new setting."""
    if actor is not None and not actor.has_role(Role.ADMIN):
        raise PermissionDenied("Only an administrator may change the ladder policies")
    errors: dict[str, str] = {}
    if code not in PolicyCode.values:
        errors["code"] = f"Use one of {', '.join(PolicyCode.values)}."
    if min_level is not None and not 1 <= min_level <= 4:
        errors["min_level"] = "Use a level from 1 to 4."
    if errors:
        raise ValidationFailed("The policy could not be changed", fields=errors)
    row = LadderPolicy.objects.select_for_update().filter(code=code).first()
    if row is None:
        row = LadderPolicy(code=code, enabled=True, min_level=default_level(code))
    before = (row.enabled, row.min_level)
    row.enabled = row.enabled if enabled is None else enabled
    row.min_level = row.min_level if min_level is None else min_level
    if (row.enabled, row.min_level) != before:
        row.save()
    audit_changes(
        actor=actor,
        subject=row,
        action="policy_changed",
        changes={"enabled": (before[0], row.enabled), "min_level": (before[1], row.min_level)},
    )
    return row
