from __future__ import annotations

from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _reset_fulltext_after_flush(using: str = "default", **kwargs: object) -> None:
    """``flush`` (tests, ``casebridge flush``) empties the tables Django knows, not the FTS5
    tables beside them: when no document is left, empty those too so ids can be reused."""
    from django.db import connections  # noqa: PLC0415 - apps.py loads before the models

    from casebridge.occurrences.index.search import reset_if_empty  # noqa: PLC0415 - apps.py loads before the models

    reset_if_empty(connections[using])


class OccurrencesConfig(AppConfig):
    name = "casebridge.occurrences"
    label = "occurrences"
    verbose_name = "Previous occurrences"

    def ready(self) -> None:
        post_migrate.connect(_reset_fulltext_after_flush, sender=self)
        # Binding late is the point: subscribers import services and models, ready once apps are.
        from casebridge.cases import events as cases  # noqa: PLC0415 - registered in ready()
        from casebridge.core import events  # noqa: PLC0415 - as above
        from casebridge.knowledge import events as knowledge  # noqa: PLC0415 - as above
        from casebridge.occurrences import events as occurrences  # noqa: PLC0415 - as above
        from casebridge.occurrences import subscribers as on  # noqa: PLC0415 - as above
        from casebridge.workitems import events as workitems  # noqa: PLC0415 - as above

        now = events.IN_TRANSACTION
        events.subscribe(cases.CaseCreated, on.index_new_case, now)
        events.subscribe(cases.CaseUpdated, on.index_updated_case, now)
        events.subscribe(cases.CaseEscalated, on.record_escalation_log, now)
        events.subscribe(cases.AttachmentAdded, on.queue_log_attachment, now)
        events.subscribe(workitems.WorkItemCreated, on.index_new_work_item, now)
        events.subscribe(knowledge.KnownResolutionChanged, on.known_fix_signatures, now)
        events.subscribe(occurrences.LogSourceQueued, on.parse_when_queued, now)
        events.subscribe(occurrences.LogSignaturesRecorded, on.detect_recurring, now)
