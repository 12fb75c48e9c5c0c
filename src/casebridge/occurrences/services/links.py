"""Related cases: two cases an engineer marked as related, audited on both."""

from __future__ import annotations

from django.db import transaction

from casebridge.accounts.models import as_user
from casebridge.audit.actions import AuditAction
from casebridge.audit.services import audit_record
from casebridge.cases.models import Case
from casebridge.core import clock
from casebridge.core.actors import Actor
from casebridge.core.errors import PermissionDenied, ValidationFailed
from casebridge.occurrences.models import (
    CaseLink,
)

# --- related cases ------------------------------------------------------------------------------

LINKERS = ("l2_engineer", "l1_agent", "admin")


def _require_linker(actor: Actor) -> None:
    if actor.is_external or not actor.has_role(*LINKERS):
        raise PermissionDenied("Only support staff link cases")


@transaction.atomic
def case_link_add(*, actor: Actor, case: Case, other: Case) -> CaseLink:
    """Mark two cases as related; audited on both. Linking twice changes nothing."""
    _require_linker(actor)
    if case.pk == other.pk:
        raise ValidationFailed("Same case", fields={"other": "A case is not related to itself."})
    first, second = sorted((case, other), key=lambda c: c.pk)
    link, created = CaseLink.objects.get_or_create(
        case_a_id=first.pk,
        case_b_id=second.pk,
        defaults={"created_by": as_user(actor), "created_at": clock.now()},
    )
    if created:
        for subject, target in ((case, other), (other, case)):
            audit_record(actor=actor, subject=subject, action=AuditAction.RELATED, new=target.key)
    return link


@transaction.atomic
def case_link_remove(*, actor: Actor, case: Case, other: Case) -> bool:
    """Remove the "related" link between two cases; audited on both."""
    _require_linker(actor)
    first, second = sorted((case.pk, other.pk))
    deleted, _ = CaseLink.objects.filter(case_a_id=first, case_b_id=second).delete()
    if deleted:
        for subject, target in ((case, other), (other, case)):
            audit_record(actor=actor, subject=subject, action=AuditAction.UNRELATED, old=target.key)
    return bool(deleted)
