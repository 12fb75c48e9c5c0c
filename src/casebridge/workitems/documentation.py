"""The documentation a work item carries, and what each category needs before development takes
it (PRODUCT §3, the escalation gate).

One definition, read by every door that writes or shows it: the escalation gate and its
checklist (``cases.escalation``), escalating from the API, page and CLI, re-categorising a work
item (the target category's requirements), the work item's API output and page.

Each requirement is an item with a code, a label and a test of presence over what the subject
(a case being escalated, or a work item being re-categorised) already holds and the
documentation typed with the action. Which items a category requires is data: the defaults
below, overridden per category by an ``EscalationPolicy`` row an admin edits.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Protocol

from casebridge.core.errors import Reason
from casebridge.core.text import with_article
from casebridge.workitems.models import Category, EscalationPolicy, ImprovementArea

Docs = Mapping[str, object]


class Documented(Protocol):
    """What the escalation gate reads of a case or a work item."""

    @property
    def description(self) -> str: ...
    @property
    def version(self) -> str: ...
    @property
    def service_id(self) -> int | None: ...
    @property
    def environment(self) -> str: ...


@dataclass(frozen=True)
class DocField:
    """A documentation field stored on the work item under the same name."""

    name: str
    label: str
    max_length: int
    #: Shown as preformatted text (log lines).
    log: bool = False


#: Every documentation field of a work item, in the order the work item's page shows them.
DOC_FIELDS: tuple[DocField, ...] = (
    DocField("description", "Description", 50_000),
    DocField("steps_to_reproduce", "Steps to reproduce", 50_000),
    DocField("expected_result", "Expected result", 10_000),
    DocField("actual_result", "Actual result", 10_000),
    DocField("log_excerpt", "Log excerpt", 200_000, log=True),
    DocField("justification", "Justification", 10_000),
    DocField("impact_assessment", "Impact assessment", 10_000),
    DocField("rationale", "Rationale", 10_000),
    DocField("expected_benefit", "Expected benefit", 10_000),
    DocField("area", "Area", 16),
)
DOC_NAMES: tuple[str, ...] = tuple(f.name for f in DOC_FIELDS)
DOC_LABELS: dict[str, str] = {f.name: f.label for f in DOC_FIELDS}
#: The documentation fields each category's forms ask for (which of them are required is the
#: gate's business: ``requirements_for``).
CATEGORY_DOCS: dict[str, tuple[str, ...]] = {
    Category.BUG: (
        "description",
        "steps_to_reproduce",
        "expected_result",
        "actual_result",
        "log_excerpt",
    ),
    Category.FEATURE: ("description", "justification", "impact_assessment"),
    Category.IMPROVEMENT: ("description", "rationale", "expected_benefit", "area"),
}
#: What re-categorising a bug may be given: the documentation of the categories it can become
#: that a bug does not already carry.
RECATEGORISE_DOCS: tuple[str, ...] = tuple(
    name
    for name in DOC_NAMES
    if name not in CATEGORY_DOCS[Category.BUG]
    and any(name in CATEGORY_DOCS[c] for c in (Category.FEATURE, Category.IMPROVEMENT))
)
#: What an escalation may carry: the documentation and the version where it happens (stored
#: on the work item's ``version`` and copied onto the case).
ESCALATION_INPUTS: tuple[str, ...] = (*DOC_NAMES, "version")
VERSION_MAX = 64


def text_of(docs: Docs, name: str) -> str:
    value = docs.get(name)
    return value.strip() if isinstance(value, str) else ""


@dataclass(frozen=True)
class Given:
    """What the subject already holds, besides the documentation typed with the action."""

    description: str = ""
    version: str = ""
    service: bool = False
    environment: bool = False
    #: Whether a log file is attached (asked only when a requirement needs it).
    has_log_file: Callable[[], bool] = field(default=lambda: False)

    @classmethod
    def of(cls, subject: Documented, has_log_file: Callable[[], bool]) -> Given:
        """What a case or a work item holds: its description, version, service, environment."""
        return cls(
            description=subject.description,
            version=subject.version,
            service=subject.service_id is not None,
            environment=bool(subject.environment),
            has_log_file=has_log_file,
        )


@dataclass(frozen=True)
class DocItem:
    code: str
    label: str
    field: str
    missing: str
    present: Callable[[Given, Docs], bool]


def _field(code: str, label: str, missing: str) -> DocItem:
    return DocItem(code, label, code, missing, lambda given, docs: bool(text_of(docs, code)))


ITEMS: dict[str, DocItem] = {
    item.code: item
    for item in (
        DocItem(
            "description",
            "Description",
            "description",
            "Describe the problem.",
            lambda given, docs: bool(text_of(docs, "description") or given.description.strip()),
        ),
        _field("steps_to_reproduce", "Steps to reproduce", "Give the steps to reproduce."),
        _field("expected_result", "Expected result", "Say what should happen."),
        _field("actual_result", "Actual result", "Say what happens instead."),
        DocItem(
            "service",
            "Affected service",
            "service",
            "Name the affected service.",
            lambda given, docs: given.service,
        ),
        DocItem(
            "version",
            "Version",
            "version",
            "Give the version where it happens.",
            lambda given, docs: bool(text_of(docs, "version") or given.version.strip()),
        ),
        DocItem(
            "environment",
            "Environment",
            "environment",
            "Name the environment (production, staging, ...).",
            lambda given, docs: given.environment,
        ),
        DocItem(
            "log_evidence",
            "Log excerpt or log attachment",
            "log_excerpt",
            "Paste a log excerpt or attach a log file.",
            lambda given, docs: bool(text_of(docs, "log_excerpt")) or given.has_log_file(),
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
            lambda given, docs: text_of(docs, "area") in ImprovementArea.values,
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


def checklist(given: Given, category: str, docs: Docs) -> list[ChecklistLine]:
    """Each required item of ``category`` and whether ``given`` and ``docs`` provide it."""
    return [ChecklistLine(item, item.present(given, docs)) for item in requirements_for(category)]


def missing_reasons(given: Given, category: str, docs: Docs) -> list[Reason]:
    """A reason for every required item of ``category`` missing, and for a version too long."""
    category_label = Category(category).label.lower()
    reasons = [
        Reason(
            "missing_documentation",
            f"{line.item.missing} (needed for {with_article(category_label)})",
            line.item.field,
        )
        for line in checklist(given, category, docs)
        if not line.done
    ]
    if len(text_of(docs, "version")) > VERSION_MAX:
        reasons.append(
            Reason("invalid", f"Keep the version under {VERSION_MAX} characters", "version")
        )
    return reasons


def doc_values(docs: Docs) -> dict[str, str]:
    """The documentation fields of ``docs``, stripped; other keys and non-text values dropped."""
    return {name: text_of(docs, name) for name in DOC_NAMES if isinstance(docs.get(name), str)}
