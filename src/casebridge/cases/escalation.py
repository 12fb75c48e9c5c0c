"""The escalation gate over a case: what its category needs before development accepts it.

The requirements themselves (items, defaults, the admin's policy) are defined once in
``workitems.documentation``; this module says what a case already provides: its description,
version, service and environment, and its log attachments; and the workflow's check of the
``escalate`` action (``check_escalation``).
"""

from __future__ import annotations

from collections.abc import Iterator

from casebridge.cases.models import Case
from casebridge.core.errors import Reason
from casebridge.workflows.engine import Context
from casebridge.workitems import documentation
from casebridge.workitems.documentation import ChecklistLine, Docs, Given
from casebridge.workitems.models import Category, WorkItem

__all__ = [
    "ChecklistLine",
    "check_escalation",
    "checklist",
    "existing_item",
    "given_by",
    "missing_reasons",
]


def given_by(case: Case) -> Given:
    return Given.of(case, lambda: case.attachments.filter(is_log=True).exists())


def checklist(case: Case, category: str, docs: Docs) -> list[ChecklistLine]:
    """Each required item of ``category`` and whether the case and ``docs`` provide it."""
    return documentation.checklist(given_by(case), category, docs)


def missing_reasons(case: Case, category: str, docs: Docs) -> list[Reason]:
    return documentation.missing_reasons(given_by(case), category, docs)


def existing_item(key: object) -> WorkItem | None:
    """The work item a case is escalated to: by its key (``BUG-7``), or by its linked Azure
    DevOps item (``AB#123``), if it exists."""
    if not key:
        return None
    text = str(key).strip().upper()
    if text.startswith("AB#") and text[3:].isdigit() and len(text) <= 12:
        return WorkItem.objects.filter(azure_devops__ado_id=int(text[3:])).first()
    return WorkItem.objects.filter(key=text).first()


def check_escalation(ctx: Context[Case]) -> Iterator[Reason]:
    """The escalation gate: every missing item of the category at once, or a valid work item."""
    if ctx.preview:
        return
    data = ctx.data
    existing = data.get("work_item")
    if existing:
        if existing_item(existing) is None:
            hint = ""
            if str(existing).strip().upper().startswith("AB#"):
                hint = " linked yet: import it from Azure DevOps first (azure-devops import)"
            yield Reason("not_found", f"No work item {existing}{hint}", "work_item")
        return
    category = data.get("category")
    if not category:
        yield Reason("required", "Choose a category: bug, feature or improvement", "category")
        return
    if category not in Category.values:
        yield Reason("invalid", "Use bug, feature or improvement", "category")
        return
    yield from missing_reasons(ctx.subject, str(category), data.get("docs") or {})
