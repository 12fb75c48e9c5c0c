from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Q, QuerySet

from casebridge.audit.models import AuditEvent


def events_for(subjects: Iterable[tuple[str, str]], *, public_only: bool) -> QuerySet[AuditEvent]:
    """Events of several subjects, oldest first, e.g. a case and the work item it follows."""
    condition = Q(pk__in=[])
    for subject_type, subject_key in subjects:
        condition |= Q(subject_type=subject_type, subject_key=subject_key)
    events = AuditEvent.objects.filter(condition).select_related("actor")
    if public_only:
        events = events.filter(public=True)
    return events.order_by("at", "id")
