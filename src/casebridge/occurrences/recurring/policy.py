"""An administrator's change to the recurring policy: how many cases, within how many days, and
from which likeness two cases count as near-duplicates."""

from __future__ import annotations

from django.db import transaction

from casebridge.audit.services import audit_changes
from casebridge.core.actors import Actor
from casebridge.core.errors import PermissionDenied, ValidationFailed
from casebridge.occurrences.models import RecurringPolicy
from casebridge.occurrences.recurring.detection import recurring_policy


@transaction.atomic
def recurring_policy_set(
    *,
    actor: Actor | None,
    min_cases: int | None = None,
    window_days: int | None = None,
    near_duplicate_score: float | None = None,
) -> RecurringPolicy:
    """``None`` leaves a value as it is; ``actor`` None is the operator at the server's shell.
    The next detection (the worker's periodic job) applies the new values."""
    if actor is not None and not actor.has_role("admin"):
        raise PermissionDenied("Only an administrator may change the recurring policy")
    errors: dict[str, str] = {}
    if min_cases is not None and not 2 <= min_cases <= 1000:
        errors["min_cases"] = "Use 2 to 1,000 cases."
    if window_days is not None and not 1 <= window_days <= 365:
        errors["window_days"] = "Use 1 to 365 days."
    if near_duplicate_score is not None and not 0.0 < near_duplicate_score <= 1.0:
        errors["near_duplicate_score"] = "Use a likeness above 0 and at most 1."
    if errors:
        raise ValidationFailed("The recurring policy was not changed", fields=errors)
    current = recurring_policy()
    row = RecurringPolicy.objects.select_for_update().filter(name="default").first()
    row = row or RecurringPolicy(
        name="default",
        min_cases=current.min_cases,
        window_days=current.window_days,
        near_duplicate_score=current.near_duplicate_score,
    )
    changes = {
        "min_cases": (current.min_cases, min_cases if min_cases is not None else current.min_cases),
        "window_days": (
            current.window_days,
            window_days if window_days is not None else current.window_days,
        ),
        "near_duplicate_score": (
            current.near_duplicate_score,
            near_duplicate_score
            if near_duplicate_score is not None
            else current.near_duplicate_score,
        ),
    }
    row.min_cases = int(changes["min_cases"][1])
    row.window_days = int(changes["window_days"][1])
    row.near_duplicate_score = float(changes["near_duplicate_score"][1])
    if audit_changes(actor=actor, subject=row, action="policy_changed", changes=changes):
        row.save()
    return row
