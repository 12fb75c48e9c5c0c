"""A work item's conversation (issue 12): staff comments with @mentions on the page (HTMX) and in
the API, audited and heard by the notification centre; never shown to customers or partners.
The pull request or branch link (http/https only), and the review approval's optional note."""

from __future__ import annotations

from typing import Any

import pytest

from casebridge.audit.models import AuditEvent
from casebridge.integrations.models import Notification
from casebridge.integrations.relay import outbox_deliver_due
from casebridge.workitems.conversation import work_item_comment_add, work_item_link_set
from casebridge.workitems.models import WorkItem, WorkItemComment
from tests import factories
from tests.web.conftest import field_error, html
from tests.web.work_items import BrowserAs, act, bug_in, new_item

pytestmark = pytest.mark.django_db


def deliver_all() -> None:
    for _ in range(10):
        if not outbox_deliver_due(limit=500):
            return


def test_a_comment_on_the_page_mentions_a_developer(
    world: factories.World, browser_as: BrowserAs
) -> None:
    item = new_item(world)
    rte = browser_as("rte")
    answer = rte.post(
        f"/work-items/{item.key}/comments/",
        {"body": "@dev3 can you look at the gateway logs? Thanks @nobody-here."},
        HTTP_HX_REQUEST="true",
    )
    assert answer.status_code == 200
    panel = html(answer)
    assert 'id="conversation"' in panel and "can you look at the gateway logs?" in panel
    comment = WorkItemComment.objects.get(work_item=item)
    assert comment.author == world["rte"]
    assert f'id="comment-{comment.pk}"' in panel
    event = AuditEvent.objects.get(subject_key=item.key, action="commented")
    assert event.actor == world["rte"] and event.data == {"comment": comment.pk}

    deliver_all()
    note = Notification.objects.get(user=world["dev3"])
    assert note.kind == "mentioned" and note.subject_key == item.key
    assert note.url == f"/work-items/{item.key}/#comment-{comment.pk}"
    assert "mentioned you on" in note.message and "gateway logs" in note.message
    assert not Notification.objects.filter(user=world["rte"], kind="mentioned").exists()

    page = html(browser_as("dev3").get(f"/work-items/{item.key}/"))
    assert "can you look at the gateway logs?" in page and "staff only" in page


def test_mentions_never_reach_customers_and_customers_never_see_comments(
    world: factories.World, browser_as: BrowserAs, api: Any
) -> None:
    item = new_item(world)
    work_item_comment_add(actor=world["l2"], item=item, body="Ask @cust_a and @partner? No.")
    deliver_all()
    assert not Notification.objects.filter(user__in=[world["cust_a"], world["partner"]]).exists()
    for outsider in ("cust_a", "partner"):
        assert api(outsider).get(f"/work-items/{item.key}/comments").status_code == 404
        assert browser_as(outsider).get(f"/work-items/{item.key}/").status_code == 404
        refused = browser_as(outsider).post(f"/work-items/{item.key}/comments/", {"body": "hi"})
        assert refused.status_code == 404
    assert WorkItemComment.objects.count() == 1


def test_an_empty_comment_is_refused_beside_the_field(
    world: factories.World, browser_as: BrowserAs, api: Any
) -> None:
    item = new_item(world)
    answer = browser_as("dev3").post(
        f"/work-items/{item.key}/comments/", {"body": "   "}, HTTP_HX_REQUEST="true"
    )
    assert answer.status_code == 422
    assert field_error(html(answer), "body")
    refused = api("dev3").post(f"/work-items/{item.key}/comments", {"body": ""})
    assert refused.status_code == 422 and "body" in refused.content.decode()
    blank = api("dev3").post(f"/work-items/{item.key}/comments", {"body": "  \n "})
    assert blank.status_code == 422 and blank.json()["fields"] == {"body": "Write a comment."}
    assert not WorkItemComment.objects.exists()


def test_comments_by_api(world: factories.World, api: Any) -> None:
    item = new_item(world)
    created = api("dev3").post(f"/work-items/{item.key}/comments", {"body": "Repro'd, @rte."})
    assert created.status_code == 201
    body = created.json()
    assert body["author"]["username"] == "dev3" and body["body"] == "Repro'd, @rte."
    api("rte").post(f"/work-items/{item.key}/comments", {"body": "Thanks"})
    listed = api("l1").get(f"/work-items/{item.key}/comments").json()
    assert [c["body"] for c in listed] == ["Repro'd, @rte.", "Thanks"]
    deliver_all()
    assert Notification.objects.filter(user=world["rte"], kind="mentioned").count() == 1


def test_a_comment_without_javascript_reloads_the_page(
    world: factories.World, browser_as: BrowserAs
) -> None:
    item = new_item(world)
    answer = browser_as("dev3").post(f"/work-items/{item.key}/comments/", {"body": "On it."})
    assert answer.status_code == 302
    assert answer["Location"] == f"/work-items/{item.key}/#conversation"


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "ftp://git.example.com/repo",
        "github.com/acme/shop/pull/7",
        "https://",
        "https://git.example.com/a b",
    ],
)
def test_the_link_must_be_a_web_address(world: factories.World, api: Any, url: str) -> None:
    item = new_item(world)
    refused = api("dev3").client.put(
        f"/api/v1/work-items/{item.key}/link",
        {"url": url},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {api('dev3').token}",
    )
    assert refused.status_code == 422, refused.content
    assert "url" in refused.json()["fields"]
    assert WorkItem.objects.get(pk=item.pk).dev_link == ""


def test_the_link_is_set_shown_audited_and_cleared(
    world: factories.World, browser_as: BrowserAs, api: Any
) -> None:
    item = new_item(world)
    url = "https://git.example.com/acme/shop/pull/42"
    dev = browser_as("dev3")
    answer = dev.post(f"/work-items/{item.key}/link/", {"url": url}, HTTP_HX_REQUEST="true")
    assert answer.status_code == 200
    assert f'href="{url}" rel="noopener noreferrer nofollow"' in html(answer)
    assert f'href="{url}"' in html(dev.get(f"/work-items/{item.key}/"))
    assert api("l2").get(f"/work-items/{item.key}").json()["dev_link"] == url
    change = AuditEvent.objects.get(subject_key=item.key, field="dev_link")
    assert (change.old, change.new, change.actor) == ("", url, world["dev3"])

    bad = dev.post(f"/work-items/{item.key}/link/", {"url": "javascript:x"}, HTTP_HX_REQUEST="true")
    assert bad.status_code == 422 and "http://" in field_error(html(bad), "url")

    token = api("dev3").token
    cleared = api("dev3").client.put(
        f"/api/v1/work-items/{item.key}/link",
        {"url": ""},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    assert cleared.status_code == 200 and cleared.json()["dev_link"] == ""
    assert browser_as("cust_a").post(f"/work-items/{item.key}/link/", {"url": url}).status_code == (
        404
    )


def test_a_review_approval_takes_an_optional_note(
    world: factories.World, browser_as: BrowserAs
) -> None:
    item = bug_in(world, "in_review")
    form = html(browser_as("dev4").get(f"/work-items/{item.key}/"))
    assert "Review note (optional)" in form
    item = act(world, "dev4", item, "approve_review", reason="Checked the retry path; tests ok.")
    assert item.status == "in_testing"
    event = AuditEvent.objects.get(subject_key=item.key, action="approve_review", field="status")
    assert event.reason == "Checked the retry path; tests ok."
    page = html(browser_as("rte").get(f"/work-items/{item.key}/"))
    assert "Checked the retry path; tests ok." in page
    # still optional
    other = bug_in(world, "in_review", title="Refund button does nothing")
    assert act(world, "dev4", other, "approve_review").status == "in_testing"


def test_link_and_comment_services_refuse_outsiders(world: factories.World) -> None:
    from casebridge.core.errors import PermissionDenied

    item = new_item(world)
    with pytest.raises(PermissionDenied):
        work_item_comment_add(actor=world["cust_a"], item=item, body="hello")
    with pytest.raises(PermissionDenied):
        work_item_link_set(actor=world["partner"], item=item, url="https://example.com/pr/1")
