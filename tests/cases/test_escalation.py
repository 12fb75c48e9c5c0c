"""The escalation gate (PRODUCT §3): each category's documentation, every missing item at once."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.base import ContentFile

from casebridge.cases.attachments import attachment_add
from casebridge.cases.escalation import checklist
from casebridge.cases.models import Case
from casebridge.cases.services import case_transition
from casebridge.core.errors import TransitionRefused
from casebridge.workitems.models import EscalationPolicy, WorkItem
from casebridge.workitems.services import work_item_create
from tests import factories
from tests.contract.support import snapshot

# The documentation each category needs, named by the field the refusal points at (PRODUCT §3).
# Service and environment always come with the case (both are required at intake).
REQUIRED = {
    "bug": {
        "description",
        "steps_to_reproduce",
        "expected_result",
        "actual_result",
        "version",
        "log_excerpt",
    },
    "feature": {"justification", "impact_assessment"},
    "improvement": {"rationale", "expected_benefit", "area"},
}

COMPLETE: dict[str, dict[str, str]] = {
    "bug": {
        "description": "Checkout fails at the payment step.",
        "steps_to_reproduce": "1. Add to cart 2. Pay by card",
        "expected_result": "The order is paid",
        "actual_result": "HTTP 502",
        "version": "4.2.1",
        "log_excerpt": "2025-03-03 09:00:01 ERROR upstream timed out",
    },
    "feature": {
        "justification": "Finance teams ask for CSV exports of refunds.",
        "impact_assessment": "12 customers, renewal risk for two.",
    },
    "improvement": {
        "rationale": "Pods are restarted by hand twice a week.",
        "expected_benefit": "No manual restarts.",
        "area": "reliability",
    },
}
PREFIX = {"bug": "BUG-", "feature": "FR-", "improvement": "IMP-"}
#: Where each category's development workflow starts (PRODUCT §4).
FIRST_STATUS = {"bug": "new", "feature": "submitted", "improvement": "proposed"}


def bare_case(world: factories.World) -> Case:
    """An investigating case that gives the gate nothing: no description, no version."""
    case = factories.make_case(world, description="", version="")
    return case_transition(actor=world["l2"], case=case, action="take")


def escalate(world: factories.World, case: Case, **data: Any) -> Case:
    return case_transition(actor=world["l2"], case=case, action="escalate", data=data)


def missing(world: factories.World, case: Case, **data: Any) -> dict[str, str]:
    before = snapshot()
    with pytest.raises(TransitionRefused) as refused:
        escalate(world, case, **data)
    assert snapshot() == before, "a refused escalation wrote something"
    assert Case.objects.get(pk=case.pk).state == case.state
    return {r.field or "": r.code for r in refused.value.reasons}


@pytest.mark.django_db
@pytest.mark.parametrize("category", list(REQUIRED))
def test_the_gate_names_every_missing_item_of_the_category(
    world: factories.World, category: str
) -> None:
    case = bare_case(world)
    assert missing(world, case, category=category, docs={}) == dict.fromkeys(
        REQUIRED[category], "missing_documentation"
    )


@pytest.mark.django_db
@pytest.mark.parametrize("category", list(REQUIRED))
def test_each_item_alone_is_named_when_only_it_is_missing(
    world: factories.World, category: str
) -> None:
    case = bare_case(world)
    for name in REQUIRED[category]:
        docs = {k: v for k, v in COMPLETE[category].items() if k != name}
        assert missing(world, case, category=category, docs=docs) == {name: "missing_documentation"}


@pytest.mark.django_db
@pytest.mark.parametrize("category", list(REQUIRED))
def test_complete_documentation_creates_a_work_item_of_the_category(
    world: factories.World, category: str
) -> None:
    case = bare_case(world)
    docs = {**COMPLETE[category], "area": COMPLETE[category].get("area", "")}
    escalated = escalate(world, case, category=category, docs=docs, title="Card payments fail")
    item = WorkItem.objects.get(cases=escalated)
    assert escalated.state == "escalated"
    assert (item.category, item.title) == (category, "Card payments fail")
    assert item.status == FIRST_STATUS[category]
    assert item.key.startswith(PREFIX[category])
    for name, value in COMPLETE[category].items():
        if name != "version":
            assert getattr(item, name) == value
    assert (item.service, item.environment) == (case.service, case.environment)


@pytest.mark.django_db
def test_bug_evidence_can_be_a_log_attachment_and_case_fields(world: factories.World) -> None:
    """What the case already holds counts: its description, version and attached logs."""
    case = case_transition(actor=world["l2"], case=factories.make_case(world), action="take")
    docs = {k: v for k, v in COMPLETE["bug"].items() if k in REQUIRED["bug"]}
    for name in ("description", "version", "log_excerpt"):
        docs.pop(name)
    assert missing(world, case, category="bug", docs=docs) == {
        "log_excerpt": "missing_documentation"
    }
    attachment_add(
        actor=world["l2"],
        case=case,
        upload=ContentFile(b"2025-03-03 09:00:01 ERROR upstream timed out\n" * 3),
        filename="gateway.log",
    )
    item = escalate(world, case, category="bug", docs=docs).work_item
    assert item is not None
    assert (item.description, item.version) == (case.description, case.version)


@pytest.mark.django_db
def test_a_screenshot_is_not_log_evidence(world: factories.World) -> None:
    case = bare_case(world)
    png = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 64
    attachment_add(actor=world["l2"], case=case, upload=ContentFile(png), filename="screen.png")
    docs = {k: v for k, v in COMPLETE["bug"].items() if k != "log_excerpt"}
    assert missing(world, case, category="bug", docs=docs) == {
        "log_excerpt": "missing_documentation"
    }


@pytest.mark.django_db
def test_category_is_required_and_must_be_known(world: factories.World) -> None:
    case = bare_case(world)
    assert missing(world, case) == {"category": "required"}
    assert missing(world, case, category="chore") == {"category": "invalid"}


@pytest.mark.django_db
def test_an_admin_policy_overrides_the_defaults(world: factories.World) -> None:
    """Admins tune what a category needs through an EscalationPolicy row (Django admin)."""
    case = bare_case(world)
    EscalationPolicy.objects.create(category="feature", required=["justification"])
    EscalationPolicy.objects.create(category="bug", required=["steps_to_reproduce", "log_evidence"])
    assert missing(world, case, category="bug", docs={}) == {
        "steps_to_reproduce": "missing_documentation",
        "log_excerpt": "missing_documentation",
    }
    assert [line.item.code for line in checklist(case, "feature", {})] == ["justification"]
    item = escalate(world, case, category="feature", docs={"justification": "Asked by Acme"})
    assert item.work_item is not None and item.work_item.category == "feature"


@pytest.mark.django_db
def test_linking_to_an_existing_work_item_creates_none(world: factories.World) -> None:
    existing = work_item_create(
        actor=world["l2"], category="bug", title="Checkout 502 under load", docs={}
    )
    first = escalate(world, bare_case(world), work_item=existing.key.lower())
    second = escalate(world, bare_case(world), work_item=f" {existing.key} ")
    assert WorkItem.objects.count() == 1
    assert first.work_item == existing and second.work_item == existing
    assert set(existing.cases.values_list("key", flat=True)) == {first.key, second.key}


@pytest.mark.django_db
def test_linking_to_an_unknown_work_item_is_refused(world: factories.World) -> None:
    assert missing(world, bare_case(world), work_item="BUG-404") == {"work_item": "not_found"}


@pytest.mark.django_db
def test_a_new_work_item_is_audited_and_announced_with_the_escalation(
    world: factories.World,
) -> None:
    from casebridge.audit.models import AuditEvent
    from casebridge.integrations.models import OutboxMessage

    case = bare_case(world)
    escalated = escalate(world, case, category="feature", docs=COMPLETE["feature"])
    item = escalated.work_item
    assert item is not None
    assert AuditEvent.objects.filter(subject_key=item.key, action="created").count() == 1
    topics = list(
        OutboxMessage.objects.filter(key__in=[case.key, item.key]).values_list("topic", "key")
    )
    assert ("work_item.created", item.key) in topics
    assert ("case.transitioned", case.key) in topics


@pytest.mark.django_db
def test_a_work_item_title_that_fails_validation_rolls_everything_back(
    world: factories.World,
) -> None:
    from casebridge.core.errors import ValidationFailed

    case = bare_case(world)
    before = snapshot()
    with pytest.raises(ValidationFailed) as refused:
        escalate(world, case, category="feature", docs=COMPLETE["feature"], title=" ab ")
    assert refused.value.fields == {"title": "Use 3 to 200 characters."}
    assert snapshot() == before
    assert Case.objects.get(pk=case.pk).state == "investigating"
