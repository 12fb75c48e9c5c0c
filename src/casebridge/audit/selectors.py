from __future__ import annotations

from collections.abc import Collection, Iterable
from datetime import datetime

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


def events_of_types(
    subject_types: Collection[str],
    *,
    actor: str = "",
    subject_type: str = "",
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int = 200,
) -> list[AuditEvent]:
    """The newest events about the given kinds of subject (settings), filtered by who made them
    (a username, or ``system`` for the operator and the server), by kind and by time."""
    events = AuditEvent.objects.filter(subject_type__in=list(subject_types)).select_related("actor")
    if subject_type:
        events = events.filter(subject_type=subject_type)
    if actor == "system":
        events = events.filter(actor__isnull=True)
    elif actor:
        events = events.filter(actor__username=actor)
    if since is not None:
        events = events.filter(at__gte=since)
    if until is not None:
        events = events.filter(at__lt=until)
    return list(events.order_by("-at", "-id")[:limit])
