"""Sentences of the timeline, relative ages, and the minimal work-item page."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from casebridge.audit.models import AuditEvent
from casebridge.cases.services import case_transition
from casebridge.web.templatetags.ui import age, filesize, relative
from casebridge.web.timeline import describe
from tests import factories
from tests.web.conftest import html

NOW = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("delta", "text"),
    [
        (timedelta(seconds=20), "now"),
        (timedelta(minutes=5), "5 min"),
        (timedelta(hours=3, minutes=59), "3 h"),
        (timedelta(days=2), "2 d"),
        (timedelta(days=15), "2 w"),
        (timedelta(days=70), "2 mo"),
        (timedelta(days=800), "2 y"),
    ],
)
def test_relative_ages(delta, text):
    assert relative(NOW - delta, NOW) == text


def test_age_has_the_exact_time_in_its_title():
    assert 'title="2024-05-01 12:00 UTC"' in age(NOW)
    assert filesize(512) == "512 B" and filesize(2048) == "2.0 KB"


def _event(**kwargs):
    return AuditEvent(at=NOW, subject_type="case", subject_key="CB-1", **kwargs)


@pytest.mark.parametrize(
    ("event", "text"),
    [
        (
            {"action": "take", "field": "state", "old": "new", "new": "investigating"},
            "state: New → Investigating",
        ),
        (
            {"action": "resolve", "field": "resolution", "new": "known_fix"},
            "resolution: Known fix applied",
        ),
        ({"action": "commented", "data": {"internal": True}}, "added an internal note"),
        ({"action": "attached", "new": "gateway.log", "public": True}, "attached gateway.log"),
        (
            {"action": "updated", "field": "version", "old": "1.0", "new": "1.1"},
            "changed version: 1.0 → 1.1",
        ),
        (
            {"action": "escalate", "field": "work_item", "new": "BUG-3"},
            "escalated it to development as",
        ),
        (
            {
                "action": "work_item_progress",
                "field": "work_item_status",
                "old": "new",
                "new": "in_progress",
                "data": {"work_item": "BUG-3"},
            },
            "moved",
        ),
    ],
)
def test_sentences(event, text):
    entry = describe(_event(**event))
    assert entry is not None and entry.actor == "Casebridge" and entry.text == text


def test_bookkeeping_is_not_told():
    assert describe(_event(action="reopen", field="reopen_count", old="0", new="1")) is None


@pytest.mark.django_db
def test_work_item_page(world, browser_as):
    case = factories.make_case(world)
    case = case_transition(
        actor=world["l2"],
        case=case,
        action="escalate",
        data={
            "category": "bug",
            "docs": {
                "steps_to_reproduce": "1. pay",
                "expected_result": "ok",
                "actual_result": "502",
                "log_excerpt": "ERROR timeout",
            },
        },
    )
    item = case.work_item
    page = html(browser_as("dev3").get(f"/work-items/{item.key}/"))
    for text in (
        item.key,
        "Bug",
        case.title,
        "Steps to reproduce",
        "1. pay",
        "ERROR timeout",
        f'href="/cases/{case.key}/"',
    ):
        assert text in page, text
    assert browser_as("cust_a").get(f"/work-items/{item.key}/").status_code == 404
    assert browser_as("dev3").get("/work-items/BUG-404/").status_code == 404
