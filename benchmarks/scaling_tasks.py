"""The task of ``worker_scaling.py``, imported by its workers (``PYTHONPATH`` names this folder)."""

from __future__ import annotations

from django.db import transaction
from django.tasks import task


@task
def note(number: int) -> None:
    """One audit event in its own transaction: the database work of a small real task."""
    from casebridge.audit.models import AuditEvent
    from casebridge.core import clock

    with transaction.atomic():
        AuditEvent.objects.create(
            at=clock.now(), subject_type="bench", subject_key=str(number), action="noted"
        )
