"""The escalation gate over a case: what its category needs before development accepts it.

The requirements themselves (items, defaults, the admin's policy) are defined once in
``workitems.documentation``; this module says what a case already provides: its description,
version, service and environment, and its log attachments.
"""

from __future__ import annotations

from casebridge.cases.models import Case
from casebridge.core.errors import Reason
from casebridge.workitems import documentation
from casebridge.workitems.documentation import ChecklistLine, Docs, Given

__all__ = ["ChecklistLine", "checklist", "given_by", "missing_reasons"]


def given_by(case: Case) -> Given:
    return Given.of(case, lambda: case.attachments.filter(is_log=True).exists())


def checklist(case: Case, category: str, docs: Docs) -> list[ChecklistLine]:
    """Each required item of ``category`` and whether the case and ``docs`` provide it."""
    return documentation.checklist(given_by(case), category, docs)


def missing_reasons(case: Case, category: str, docs: Docs) -> list[Reason]:
    return documentation.missing_reasons(given_by(case), category, docs)
