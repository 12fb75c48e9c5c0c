"""Background tasks of the occurrence index (django.tasks). They take ids and are idempotent."""

from __future__ import annotations

from django.tasks import task

from casebridge.cases.models import Case
from casebridge.occurrences.recurring import recurring_detect_for_case
from casebridge.occurrences.services import log_source_parse


@task()
def parse_log_source(source_id: int) -> None:
    """Parse a log attachment into signatures; a parsed one is left as it is."""
    log_source_parse(source_id=source_id)


@task()
def detect_recurring_for_case(case_id: int) -> None:
    """Look for a recurring cluster around the signatures of one case."""
    case = Case.objects.filter(pk=case_id).first()
    if case is not None:
        recurring_detect_for_case(case=case)
