"""The escalation form: prefilled, every missing item at once (fields and checklist), the live
checklist endpoint, log evidence by attachment, linking to an existing work item."""

from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from casebridge.cases.services import case_transition
from casebridge.workitems.models import WorkItem
from tests import factories
from tests.web.conftest import field_error, html

pytestmark = pytest.mark.django_db

BUG_DOCS = {
    "steps_to_reproduce": "1. pay with Visa",
    "expected_result": "paid",
    "actual_result": "502",
    "log_excerpt": "ERROR upstream timed out",
}


@pytest.fixture
def case(world):
    case = factories.make_case(world, version="4.2.1")
    return case_transition(actor=world["l2"], case=case, action="take")


def _missing(page: str) -> list[str]:
    checklist = page.split('id="checklist"')[1].split("</section>", maxsplit=1)[0]
    return re.findall(r'<li class="missing" data-item="(\w+)">', checklist)


def test_form_is_prefilled_from_the_case(browser_as, case):
    page = html(browser_as("l2").get(f"/cases/{case.key}/escalate/"))
    assert f'value="{case.title}"' in page
    assert "Customers see a 502 at the last step.</textarea>" in page
    assert 'value="4.2.1"' in page
    assert 'hx-post="/cases/' in page and "/escalate/checklist/" in page
    assert 'hx-trigger="input delay:250ms from:#escalate-form' in page
    assert "Choose bug, feature request or improvement" in page


def test_a_bug_without_documentation_lists_every_missing_item(browser_as, case):
    response = browser_as("l2").post(
        f"/cases/{case.key}/escalate/", {"category": "bug", "title": case.title}
    )
    page = html(response)
    assert response.status_code == 409
    assert "4 items to complete" in page
    assert field_error(page, "steps_to_reproduce").startswith("Give the steps to reproduce.")
    assert field_error(page, "expected_result").startswith("Say what should happen.")
    assert field_error(page, "actual_result").startswith("Say what happens instead.")
    assert field_error(page, "log_excerpt").startswith("Paste a log excerpt or attach a log")
    assert _missing(page) == [
        "steps_to_reproduce",
        "expected_result",
        "actual_result",
        "log_evidence",
    ]
    assert 'value="bug" id="id_category_0" checked' in page
    assert WorkItem.objects.count() == 0


def test_success_creates_the_work_item_and_shows_it_on_the_case(browser_as, case):
    client = browser_as("l2")
    response = client.post(
        f"/cases/{case.key}/escalate/",
        {"category": "bug", "title": "Visa 502", "description": "d", **BUG_DOCS},
        follow=True,
    )
    item = WorkItem.objects.get()
    page = html(response)
    assert response.redirect_chain == [(f"/cases/{case.key}/", 302)]
    assert f"escalated: it now follows {item.key}" in page
    assert f'data-testid="work-item-link">{item.key}</a>' in page
    assert "escalated it to development as" in page
    assert (item.category, item.title, item.steps_to_reproduce) == (
        "bug",
        "Visa 502",
        "1. pay with Visa",
    )
    assert item.justification == ""  # only the chosen category's fields are sent


def test_checklist_endpoint_follows_what_is_typed(browser_as, case):
    client = browser_as("l2")
    url = f"/cases/{case.key}/escalate/checklist/"
    nothing = html(client.post(url, {"category": ""}))
    assert "Choose bug, feature request or improvement" in nothing
    partial = html(client.post(url, {"category": "bug", "steps_to_reproduce": "1. pay"}))
    assert "<html" not in partial
    assert _missing(partial) == ["expected_result", "actual_result", "log_evidence"]
    assert "5/8" in partial
    feature = html(client.post(url, {"category": "feature", "justification": "Finance asks"}))
    assert _missing(feature) == ["impact_assessment"]
    ready = html(client.post(url, {"category": "bug", **BUG_DOCS}))
    assert _missing(ready) == [] and "Ready to escalate." in ready


def test_a_log_attachment_counts_as_log_evidence(browser_as, case):
    client = browser_as("l2")
    log = SimpleUploadedFile("gateway.log", b"2024-05-01 10:00:31 ERROR upstream timed out\n")
    response = client.post(
        f"/cases/{case.key}/attachments/",
        {"file": log, "from": "escalate"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    assert response["HX-Trigger"] == "attachments-changed"
    assert "gateway.log" in html(response) and 'class="badge log"' in html(response)
    docs = {k: v for k, v in BUG_DOCS.items() if k != "log_excerpt"}
    partial = html(
        client.post(f"/cases/{case.key}/escalate/checklist/", {"category": "bug", **docs})
    )
    assert _missing(partial) == []
    response = client.post(f"/cases/{case.key}/escalate/", {"category": "bug", **docs})
    assert response.status_code == 302


def test_upload_from_the_escalation_page_without_js_returns_there(browser_as, case):
    log = SimpleUploadedFile("gateway.log", b"2024-05-01 10:00:31 ERROR upstream timed out\n")
    response = browser_as("l2").post(
        f"/cases/{case.key}/attachments/", {"file": log, "from": "escalate"}
    )
    assert response.status_code == 302
    assert response.url == f"/cases/{case.key}/escalate/"


def test_link_to_an_existing_work_item(world, browser_as, case):
    other = factories.make_case(world)
    other = case_transition(
        actor=world["l2"], case=other, action="escalate", data={"category": "bug", "docs": BUG_DOCS}
    )
    client = browser_as("l2")
    missing = client.post(f"/cases/{case.key}/escalate/", {"category": "link"})
    assert missing.status_code == 422
    assert field_error(html(missing), "work_item") == "Give the key of the work item, e.g. BUG-7."
    unknown = client.post(
        f"/cases/{case.key}/escalate/", {"category": "link", "work_item": "BUG-99"}
    )
    assert unknown.status_code == 409
    assert field_error(html(unknown), "work_item") == "No work item BUG-99"
    checklist = html(
        client.post(
            f"/cases/{case.key}/escalate/checklist/",
            {"category": "link", "work_item": other.work_item.key.lower()},
        )
    )
    assert other.work_item.title in checklist
    client.post(
        f"/cases/{case.key}/escalate/",
        {"category": "link", "work_item": other.work_item.key.lower()},
    )
    case.refresh_from_db()
    assert (case.state, case.work_item) == ("escalated", other.work_item)
    assert WorkItem.objects.count() == 1


def test_no_category_is_a_field_error(browser_as, case):
    response = browser_as("l2").post(f"/cases/{case.key}/escalate/", {"title": "x"})
    assert response.status_code == 409
    assert 'id="id_category_error">Choose a category: bug, feature or improvement' in html(response)


def test_not_possible_from_this_state_says_why(world, browser_as, case):
    case = case_transition(
        actor=world["l2"], case=case, action="escalate", data={"category": "bug", "docs": BUG_DOCS}
    )
    page = html(browser_as("l2").get(f"/cases/{case.key}/escalate/"))
    assert "This case cannot be escalated now." in page
    assert 'id="escalate-form"' not in page


def test_escalation_is_internal(browser_as, case):
    client = browser_as("cust_a")
    assert client.get(f"/cases/{case.key}/escalate/").status_code == 404
    assert client.post(f"/cases/{case.key}/escalate/", {"category": "bug"}).status_code == 404
    assert client.post(f"/cases/{case.key}/escalate/checklist/").status_code == 404
    assert WorkItem.objects.count() == 0
