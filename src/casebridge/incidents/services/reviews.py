"""The post-incident review: its fields, written while the incident is in review."""

from __future__ import annotations

from collections.abc import Mapping

from django.db import transaction

from casebridge.accounts.models import Role
from casebridge.audit.actions import AuditAction
from casebridge.audit.services import model_update
from casebridge.core.actors import Actor
from casebridge.core.errors import PermissionDenied, ValidationFailed
from casebridge.incidents.models import EntryKind, Incident, IncidentState, Review
from casebridge.incidents.services.incidents import NOTE_MAX
from casebridge.incidents.timeline import entry_add


def review_editor(actor: Actor, incident: Incident, review: Review) -> None:
    editors = {review.lead_id, incident.lead_id, incident.owner_id, incident.scribe_id}
    if actor.pk not in editors and not actor.has_role(Role.ADMIN):
        raise PermissionDenied(
            "The review is written by its lead, the incident's lead, owner or scribe"
        )


def review_of(incident: Incident) -> Review:
    review = Review.objects.select_for_update().filter(incident=incident).first()
    if review is None or incident.state != IncidentState.IN_REVIEW:
        raise ValidationFailed(
            "The review is not open",
            fields={
                "review": f"{incident.key} is {incident.get_state_display().lower()}: the "
                "review is written while the incident is in review."
            },
        )
    return review


TEXT_FIELDS = ("summary", "root_cause", "impact", "went_well", "went_badly")
NUMBER_FIELDS = ("duration_minutes", "customers_affected")


@transaction.atomic
def review_update(*, actor: Actor, incident: Incident, changes: Mapping[str, object]) -> Review:
    """Write the review's fields; one audit event per changed field, one timeline entry."""
    review = review_of(incident)
    review_editor(actor, incident, review)
    errors: dict[str, str] = {}
    values: dict[str, object] = {}
    for name, value in changes.items():
        if name in TEXT_FIELDS:
            text = str(value or "").strip()
            if len(text) > NOTE_MAX:
                errors[name] = f"Keep it under {NOTE_MAX} characters."
            values[name] = text
        elif name in NUMBER_FIELDS:
            number = None if value in (None, "") else value
            if number is not None and (not isinstance(number, int) or not 0 <= number <= 10**9):
                errors[name] = "Give a whole number, 0 or more."
            values[name] = number
        else:
            errors[name] = "The review has no such field."
    if errors:
        raise ValidationFailed("The review was not saved", fields=errors)
    diff = model_update(
        review, values, actor=actor, action=AuditAction.REVIEW_UPDATED, subject=incident
    )
    if not diff:
        return review
    names = ", ".join(name.replace("_", " ") for name in diff)
    entry_add(incident=incident, kind=EntryKind.REVIEW, actor=actor, text=f"Review: wrote {names}")
    return review
