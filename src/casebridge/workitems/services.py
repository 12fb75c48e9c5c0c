"""Every write to work items (``work_item_create`` lives in ``creation``: the workflows'
re-categorisation files a new item, and the workflows are below this module)."""

from __future__ import annotations

from collections.abc import Mapping

from django.db import transaction

from casebridge.accounts.models import Role
from casebridge.audit.actions import AuditAction
from casebridge.audit.services import audit_changes
from casebridge.core.actors import Actor
from casebridge.core.errors import PermissionDenied, ValidationFailed
from casebridge.workflows.engine import apply_transition
from casebridge.workitems.creation import work_item_create
from casebridge.workitems.definitions import workflow_for
from casebridge.workitems.documentation import ITEMS, requirements_for
from casebridge.workitems.models import (
    Category,
    EscalationPolicy,
    LadderPolicy,
    PolicyCode,
    WorkItem,
)
from casebridge.workitems.policies import default_level
from casebridge.workitems.references import normalise

__all__ = ["ladder_policy_set", "work_item_create", "work_item_transition"]


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
    *, actor: Actor | None, code: str, enabled: bool | None = None, min_level: int | None = None
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
        action=AuditAction.POLICY_CHANGED,
        changes={"enabled": (before[0], row.enabled), "min_level": (before[1], row.min_level)},
    )
    return row


@transaction.atomic
def escalation_requirements_set(
    *, actor: Actor | None, category: str, required: list[str]
) -> EscalationPolicy:
    """An administrator sets what a category needs before escalation (the escalation gate):
    the codes of ``workitems.documentation.ITEMS``. The next escalation applies it."""
    if actor is not None and not actor.has_role(Role.ADMIN):
        raise PermissionDenied("Only an administrator may change the escalation gate")
    errors: dict[str, str] = {}
    if category not in Category.values:
        errors["category"] = f"Use one of {', '.join(Category.values)}."
    codes = list(dict.fromkeys(required))
    unknown = [c for c in codes if c not in ITEMS]
    if unknown:
        errors["required"] = f"Unknown item {', '.join(unknown)}; use {', '.join(ITEMS)}."
    if errors:
        raise ValidationFailed("The escalation gate was not changed", fields=errors)
    before = [item.code for item in requirements_for(category)]
    codes = [code for code in ITEMS if code in codes]  # the checklist's order
    row = EscalationPolicy.objects.select_for_update().filter(category=category).first()
    row = row or EscalationPolicy(category=category, required=before)
    row.required = codes
    if audit_changes(
        actor=actor,
        subject=row,
        action="policy_changed",
        changes={"required": (", ".join(before), ", ".join(codes))},
    ):
        row.save()
    return row
