"""The case page: details, actions derived from the workflow, refusals beside the fields,
comments public and internal, attachments, and the timeline."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from casebridge.cases.models import Attachment, Case, Comment
from casebridge.cases.services import case_transition, comment_add
from casebridge.cases.workflow import CASE_WORKFLOW
from casebridge.core.actors import SYSTEM_ROLE
from casebridge.knowledge.services import KnownResolutionInput, known_resolution_create
from tests import factories
from tests.web.conftest import field_error, html, offered_actions

pytestmark = pytest.mark.django_db


def _options(user, case):
    allowed, refused = set(), set()
    for option in CASE_WORKFLOW.options_for(user, case):
        if option.transition.roles <= {SYSTEM_ROLE}:
            continue
        (allowed if option.allowed else refused).add(option.transition.action)
    return allowed, refused


@pytest.mark.parametrize("username", ["l1", "l2", "dev3", "admin"])
@pytest.mark.parametrize("state", ["new", "investigating", "waiting", "resolved", "escalated"])
def test_actions_shown_are_the_options_allowed(world, browser_as, username, state):
    case = factories.make_case(world)
    l2 = world["l2"]
    if state != "new":
        case = case_transition(actor=l2, case=case, action="take")
    if state == "waiting":
        case = case_transition(
            actor=l2, case=case, action="request_info", data={"question": "Which card?"}
        )
    if state == "resolved":
        case = case_transition(
            actor=l2,
            case=case,
            action="resolve",
            data={"resolution": "no_fault", "note": "By design"},
        )
    if state == "escalated":
        case = case_transition(
            actor=l2,
            case=case,
            action="escalate",
            data={"category": "feature", "docs": {"justification": "x", "impact_assessment": "y"}},
        )
    page = html(browser_as(username).get(f"/cases/{case.key}/"))
    assert offered_actions(page) == _options(world[username], case)


def test_refused_actions_show_their_reason_to_staff(world, browser_as):
    case = factories.make_case(world)
    page = html(browser_as("l1").get(f"/cases/{case.key}/"))
    assert 'title="Take needs the role: L2 engineer."' in page


def test_details_panel(world, browser_as):
    case = factories.make_case(world, version="4.2.1")
    page = html(browser_as("l2").get(f"/cases/{case.key}/"))
    for text in (
        case.key,
        case.title,
        "state-new",
        "Checkout API",
        "Production",
        "4.2.1",
        "impact-high",
        "Acme Retail",
        "Unassigned",
        "L1 agent",
        "Customers see a 502 at the last step.",
    ):
        assert text in page, text


def test_take_and_assign(world, browser_as):
    case = factories.make_case(world)
    client = browser_as("l2")
    response = client.post(f"/cases/{case.key}/actions/take/", follow=True)
    assert "Take: " in html(response) and "is now investigating" in html(response)
    case.refresh_from_db()
    assert (case.state, case.owner) == ("investigating", world["l2"])
    other = factories.make_case(world)
    unchosen = client.post(f"/cases/{other.key}/actions/take/", {"take-assign": "True"})
    assert unchosen.status_code == 422
    assert field_error(html(unchosen), "owner") == "Choose the engineer who takes the case."
    client.post(f"/cases/{other.key}/actions/take/", {"take-assign": "True", "take-owner": "l2b"})
    other.refresh_from_db()
    assert other.owner == world["l2b"]


def test_a_refusal_renders_every_reason_beside_the_fields(world, browser_as):
    case = factories.make_case(world)
    client = browser_as("l2")
    response = client.post(f"/cases/{case.key}/actions/resolve/", {"resolve-resolution": ""})
    assert response.status_code == 409
    assert field_error(html(response), "resolution") == "Choose a resolution"
    response = client.post(
        f"/cases/{case.key}/actions/resolve/",
        {"resolve-resolution": "known_fix", "resolve-note": "kept"},
    )
    page = html(response)
    assert response.status_code == 409
    assert field_error(page, "known_resolution") == "Name the known resolution applied"
    assert field_error(page, "action_taken") == "Say what was done to apply the fix"
    assert '<details class="action-pop" id="action-resolve" data-action="resolve" open>' in page
    assert "kept</textarea>" in page  # nothing typed is lost
    case.refresh_from_db()
    assert case.state == "new"


def test_refusal_without_a_field_is_shown_above_the_form(world, browser_as):
    case = factories.make_case(world)
    response = browser_as("l2").post(f"/cases/{case.key}/actions/reopen/", {"reopen-reason": "x"})
    assert response.status_code == 409
    assert "Reopen is not possible from &#x27;New&#x27;" in html(response)


def test_resolve_with_a_known_resolution(world, browser_as):
    known = known_resolution_create(
        actor=world["l2"],
        data=KnownResolutionInput(
            title="Restart the payment gateway",
            symptoms="502",
            steps="Restart it",
            fix_kind="restart_service",
            services=[world.services["payments"]],
        ),
    )
    case = factories.make_case(world)
    client = browser_as("l2")
    page = html(client.get(f"/cases/{case.key}/?apply={known.key}"))
    assert f'<option value="{known.key}" selected>' in page  # "Apply" preselects it
    assert "Known fixes for Payments" in page
    client.post(
        f"/cases/{case.key}/actions/resolve/",
        {
            "resolve-resolution": "known_fix",
            "resolve-known_resolution": known.key,
            "resolve-action_taken": "Restarted payment-gateway on node 3",
        },
    )
    case.refresh_from_db()
    assert (case.state, case.resolution, case.known_resolution) == ("resolved", "known_fix", known)
    page = html(client.get(f"/cases/{case.key}/"))
    assert "Restarted payment-gateway on node 3" in page
    assert "applied known resolution" in page


def test_request_info_and_reopen(world, browser_as):
    case = factories.make_case(world)
    client = browser_as("l2")
    client.post(f"/cases/{case.key}/actions/take/")
    client.post(
        f"/cases/{case.key}/actions/request_info/", {"request_info-question": "Which card brand?"}
    )
    case.refresh_from_db()
    assert case.state == "waiting_on_reporter"
    assert Comment.objects.get(case=case).body == "Which card brand?"


def test_comments_public_and_internal(world, browser_as):
    case = factories.make_case(world)
    client = browser_as("l2")
    client.post(
        f"/cases/{case.key}/comments/", {"body": "Customer on legacy plan", "internal": "on"}
    )
    client.post(f"/cases/{case.key}/comments/", {"body": "We are on it"})
    page = html(client.get(f"/cases/{case.key}/"))
    assert '<li class="comment internal"' in page and "Internal note" in page
    assert "We are on it" in page
    empty = client.post(f"/cases/{case.key}/comments/", {"body": "  "})
    assert empty.status_code == 422
    assert field_error(html(empty), "body") == "Write something."
    assert [c.internal for c in Comment.objects.filter(case=case)] == [True, False]


def test_attachments_upload_and_download(world, browser_as):
    case = factories.make_case(world)
    client = browser_as("l2")
    log = SimpleUploadedFile("app.log", b"2024-01-01 10:00:00 ERROR boom\n" * 3)
    response = client.post(f"/cases/{case.key}/attachments/", {"file": log, "internal": "internal"})
    assert response.status_code == 302
    attachment = Attachment.objects.get()
    assert (attachment.is_log, attachment.internal) == (True, True)
    page = html(client.get(f"/cases/{case.key}/"))
    assert "app.log" in page and 'class="badge log"' in page and "internal</span>" in page
    download = client.get(f"/cases/{case.key}/attachments/{attachment.pk}/")
    assert download.status_code == 200
    assert download["Content-Disposition"].startswith("attachment")
    assert b"".join(download.streaming_content).startswith(b"2024-01-01")
    empty = client.post(f"/cases/{case.key}/attachments/", {"file": SimpleUploadedFile("e", b"")})
    assert empty.status_code == 422
    assert field_error(html(empty), "file")  # "The submitted file is empty."


def test_timeline_tells_what_happened(world, browser_as):
    case = factories.make_case(world)
    case = case_transition(actor=world["l2"], case=case, action="take")
    comment_add(actor=world["l2"], case=case, body="hmm", internal=True)
    page = html(browser_as("l2").get(f"/cases/{case.key}/"))
    timeline = page.split('id="timeline"')[1]
    for sentence in (
        "opened the case",
        "via L1 agent",
        "state: New → Investigating",
        "took the case",
        "added an internal note",
    ):
        assert sentence in timeline, sentence


def test_a_case_that_does_not_exist_is_404(browser_as):
    assert browser_as("l2").get("/cases/CB-999/").status_code == 404
    assert browser_as("l2").post("/cases/CB-999/actions/take/").status_code == 404


def test_unknown_action_is_refused(world, browser_as):
    case = factories.make_case(world)
    response = browser_as("l2").post(f"/cases/{case.key}/actions/explode/")
    assert response.status_code == 409
    assert "Unknown action" in html(response)
    assert Case.objects.get().state == "new"
