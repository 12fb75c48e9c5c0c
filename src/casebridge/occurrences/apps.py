from __future__ import annotations

from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _reset_fulltext_after_flush(using: str = "default", **kwargs: object) -> None:
    """``flush`` (tests, ``casebridge flush``) empties the tables Django knows, not the FTS5
    tables beside them: when no document is left, empty those too so ids can be reused."""
    from django.db import connections

    from casebridge.occurrences.index.search import reset_if_empty

    reset_if_empty(connections[using])


class OccurrencesConfig(AppConfig):
    name = "casebridge.occurrences"
    label = "occurrences"
    verbose_name = "Previous occurrences"

    def ready(self) -> None:
        post_migrate.connect(_reset_fulltext_after_flush, sender=self)
