"""The escalation gate: what each category needs before development accepts it.

Each requirement is an item with a code, a label and a test of presence over the case and the
documentation given with the escalation. Which items a category requires is data: the defaults
below, overridden per category by an ``EscalationPolicy`` row an admin edits.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from casebridge.cases.models import Case, EscalationPolicy
from casebridge.core.errors import Reason
from casebridge.core.text import with_article
from casebridge.workitems.models import Category, ImprovementArea

Docs = Mapping[str, Any]

#: The documentation fields an escalation may carry; all are stored on the work item.
DOC_FIELDS = (
    "description",
    "steps_to_reproduce",
    "expected_result",
    "actual_result",
    "version",
    "log_excerpt",
    "justification",
    "impact_assessment",
    "rationale",
    "expected_benefit",
    "area",
)


def _text(docs: Docs, name: str) -> str:
    value = docs.get(name)
    return value.strip() if isinstance(value, str) else ""


def _has_log_attachment(case: Case) -> bool:
    return case.attachments.filter(is_log=True).exists()


@dataclass(frozen=True)
class DocItem:
    code: str
    label: str
    field: str
    missing: str
    present: Callable[[Case, Docs], bool]


def _field(code: str, label: str, missing: str) -> DocItem:
    return DocItem(code, label, code, missing, lambda case, docs: bool(_text(docs, code)))


ITEMS: dict[str, DocItem] = {
    item.code: item
    for item in (
        DocItem(
            "description",
            "Description",
            "description",
            "Describe the problem.",
            lambda case, docs: bool(_text(docs, "description") or case.description.strip()),
        ),
        _field("steps_to_reproduce", "Steps to reproduce", "Give the steps to reproduce."),
        _field("expected_result", "Expected result", "Say what should happen."),
        _field("actual_result", "Actual result", "Say what happens instead."),
        DocItem(
            "service",
            "Affected service",
            "service",
            "Name the affected service.",
            lambda case, docs: case.service_id is not None,
        ),
        DocItem(
            "version",
            "Version",
            "version",
            "Give the version where it happens.",
            lambda case, docs: bool(_text(docs, "version") or case.version.strip()),
        ),
        DocItem(
            "environment",
            "Environment",
            "environment",
            "Name the environment (production, staging, ...).",
            lambda case, docs: bool(case.environment),
        ),
        DocItem(
            "log_evidence",
            "Log excerpt or log attachment",
            "log_excerpt",
            "Paste a log excerpt or attach a log file.",
            lambda case, docs: bool(_text(docs, "log_excerpt")) or _has_log_attachment(case),
        ),
        _field(
            "justification",
            "Justification (problem, who asks)",
            "Explain the problem and who is asking.",
        ),
        _field(
            "impact_assessment",
            "Impact assessment",
            "Assess the impact (customers, revenue, risk).",
        ),
        _field("rationale", "Rationale", "Give the rationale."),
        _field("expected_benefit", "Expected benefit", "State the expected benefit."),
        DocItem(
            "area",
            "Area",
            "area",
            "Choose the area: " + ", ".join(ImprovementArea.values) + ".",
            lambda case, docs: _text(docs, "area") in ImprovementArea.values,
        ),
    )
}

DEFAULT_REQUIREMENTS: dict[str, tuple[str, ...]] = {
    Category.BUG: (
        "description",
        "steps_to_reproduce",
        "expected_result",
        "actual_result",
        "service",
        "version",
        "environment",
        "log_evidence",
    ),
    Category.FEATURE: ("justification", "impact_assessment"),
    Category.IMPROVEMENT: ("rationale", "expected_benefit", "area"),
}


def requirements_for(category: str) -> list[DocItem]:
    row = EscalationPolicy.objects.filter(category=category).first()
    codes = row.required if row is not None else DEFAULT_REQUIREMENTS.get(category, ())
    return [ITEMS[code] for code in codes if code in ITEMS]


@dataclass(frozen=True)
class ChecklistLine:
    item: DocItem
    done: bool


def checklist(case: Case, category: str, docs: Docs) -> list[ChecklistLine]:
    """Each required item of ``category`` and whether the case and ``docs`` provide it."""
    return [ChecklistLine(item, item.present(case, docs)) for item in requirements_for(category)]


def missing_reasons(case: Case, category: str, docs: Docs) -> list[Reason]:
    category_label = Category(category).label.lower()
    return [
        Reason(
            "missing_documentation",
            f"{line.item.missing} (needed for {with_article(category_label)})",
            line.item.field,
        )
        for line in checklist(case, category, docs)
        if not line.done
    ]
