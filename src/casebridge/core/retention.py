"""Growth: rows kept for a while and then removed in batches by the worker's jobs.

Raw intake payloads (monitoring, deployments and pull requests, service hooks) once processed,
the bytes of processed e-mail (the row stays: its Message-ID keeps a late duplicate out), and
delivered outbox messages are kept ``CASEBRIDGE_RETENTION_DAYS`` (30; 0 keeps everything), then
removed by "remove what the retention lets go" a thousand rows at a time, so no job holds a long
lock on a busy table. Each app says which of its rows may go; this module only measures time and
batches.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Model, QuerySet

from casebridge.core import clock

BATCH = 1000


def retention_cutoff(days: int | None = None) -> datetime | None:
    """Rows older than this may go; ``None`` when the retention keeps everything."""
    keep = settings.RETENTION_DAYS if days is None else days
    return None if keep <= 0 else clock.now() - timedelta(days=keep)


def delete_in_batches[M: Model](rows: QuerySet[M], *, batch: int = BATCH) -> int:
    """Delete ``rows`` a batch at a time (each batch its own transaction); returns how many."""
    removed = 0
    while True:
        ids = list(rows.order_by("pk").values_list("pk", flat=True)[:batch])
        if not ids:
            return removed
        with transaction.atomic():
            removed += rows.model._default_manager.filter(pk__in=ids).delete()[0]


def update_in_batches[M: Model](
    rows: QuerySet[M], values: dict[str, object], *, batch: int = BATCH
) -> int:
    """Set ``values`` on ``rows`` a batch at a time; ``rows`` must stop matching once updated."""
    changed = 0
    while True:
        ids = list(rows.order_by("pk").values_list("pk", flat=True)[:batch])
        if not ids:
            return changed
        with transaction.atomic():
            changed += rows.model._default_manager.filter(pk__in=ids).update(**values)
