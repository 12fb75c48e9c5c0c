"""Changing an integration's grouping rules and storm threshold (admin; API, settings page, CLI).

``grouping_labels``: the labels whose values make an alert group (``grouping``); an empty list
makes every alert its own group. ``use_group_labels``: group by a webhook's ``groupLabels`` when
it has them. ``storm_threshold``: new groups a minute on one service above which they fold into a
storm case (``storms``); 0 uses ``CASEBRIDGE_STORM_GROUPS_PER_MINUTE``. The change applies to the
alerts folded from then on; open groups keep their alerts.
"""

from __future__ import annotations

from django.db import transaction

from casebridge.accounts.models import Role
from casebridge.audit.actions import AuditAction
from casebridge.audit.services import audit_changes
from casebridge.core.actors import Actor
from casebridge.core.errors import PermissionDenied, ValidationFailed
from casebridge.monitoring.grouping import grouping_errors
from casebridge.monitoring.models import Integration

MAX_STORM_THRESHOLD = 100_000


@transaction.atomic
def integration_grouping_set(
    *,
    actor: Actor | None,
    integration: Integration,
    grouping_labels: object = None,
    use_group_labels: bool | None = None,
    storm_threshold: object = None,
) -> Integration:
    """Set what is given (``None``: unchanged); every bad field named, nothing changed."""
    if actor is not None and not actor.has_role(Role.ADMIN):
        raise PermissionDenied("Only an administrator manages monitoring integrations")
    errors: dict[str, str] = {}
    if grouping_labels is not None:
        problem = grouping_errors(grouping_labels)
        if problem:
            errors["grouping_labels"] = problem
    if storm_threshold is not None and (
        not isinstance(storm_threshold, int)
        or isinstance(storm_threshold, bool)
        or not 0 <= storm_threshold <= MAX_STORM_THRESHOLD
    ):
        errors["storm_threshold"] = (
            f"Use 0 (the global setting) to {MAX_STORM_THRESHOLD:,} new groups a minute."
        )
    if errors:
        raise ValidationFailed("The grouping rules could not be changed", fields=errors)
    wanted: dict[str, object] = {
        "grouping_labels": grouping_labels,
        "use_group_labels": use_group_labels,
        "storm_threshold": storm_threshold,
    }
    changes = {
        name: (getattr(integration, name), value)
        for name, value in wanted.items()
        if value is not None and getattr(integration, name) != value
    }
    if changes:
        for name, (_, value) in changes.items():
            setattr(integration, name, value)
        integration.save(update_fields=list(changes))
        audit_changes(actor=actor, subject=integration, action=AuditAction.UPDATED, changes=changes)
    return integration
