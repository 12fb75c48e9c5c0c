"""Known resolutions: list and search, create and edit with field errors, internal only."""

from __future__ import annotations

import pytest

from casebridge.knowledge.models import KnownResolution
from casebridge.knowledge.services import KnownResolutionInput, known_resolution_create
from tests.web.conftest import field_error, html

pytestmark = pytest.mark.django_db


@pytest.fixture
def known(world):
    def make(title, symptoms):
        return known_resolution_create(
            actor=world["l2"],
            data=KnownResolutionInput(
                title=title,
                symptoms=symptoms,
                steps="1. do it",
                fix_kind="restart_service",
                services=[world.services["payments"]],
            ),
        )

    return make("Restart the payment gateway", "502 on checkout"), make(
        "Rebuild the search index", "stale results"
    )


def test_list_and_search(browser_as, known):
    client = browser_as("l2")
    page = html(client.get("/knowledge/"))
    assert known[0].key in page and known[1].key in page
    found = html(client.get("/knowledge/?q=checkout 502"))
    assert known[0].key in found and known[1].key not in found
    partial = client.get("/knowledge/?q=index", headers={"HX-Request": "true"})
    assert html(partial).lstrip().startswith('<div id="kr-results">')
    assert known[1].key in html(partial) and known[0].key not in html(partial)
    assert "Nothing matches" in html(client.get("/knowledge/?q=zebra"))


def test_create_with_errors_then_success(browser_as, world):
    client = browser_as("l2")
    response = client.post("/knowledge/new/", {"title": "ab", "symptoms": "", "steps": "x"})
    page = html(response)
    assert response.status_code == 422
    assert field_error(page, "title") == "Use 3 to 200 characters."
    assert field_error(page, "symptoms") == "Describe the symptoms L2 will recognise."
    assert field_error(page, "fix_kind").startswith("Use one of")
    assert KnownResolution.objects.count() == 0
    response = client.post(
        "/knowledge/new/",
        {
            "title": "Clear the CDN cache",
            "symptoms": "old assets",
            "steps": "1. purge",
            "fix_kind": "configuration_change",
            "services": ["search"],
        },
    )
    item = KnownResolution.objects.get()
    assert response.url == f"/knowledge/{item.key}/"
    assert list(item.services.values_list("slug", flat=True)) == ["search"]
    assert "Clear the CDN cache" in html(client.get(response.url))


def test_edit(browser_as, known):
    client = browser_as("l2")
    page = html(client.get(f"/knowledge/{known[0].key}/edit/"))
    assert 'value="Restart the payment gateway"' in page
    client.post(
        f"/knowledge/{known[0].key}/edit/",
        {
            "title": "Restart the gateway pods",
            "symptoms": "502",
            "steps": "1. kubectl rollout",
            "fix_kind": "restart_service",
            "services": ["payments"],
        },
    )
    known[0].refresh_from_db()
    assert known[0].title == "Restart the gateway pods"


def test_knowledge_is_internal(browser_as, known):
    client = browser_as("cust_a")
    for url in ("/knowledge/", "/knowledge/new/", f"/knowledge/{known[0].key}/"):
        assert client.get(url).status_code == 404, url
    assert client.post("/knowledge/new/", {"title": "x"}).status_code == 404


def test_only_editors_write_the_knowledge_base(browser_as):
    response = browser_as("l1").post(
        "/knowledge/new/",
        {
            "title": "Clear the CDN cache",
            "symptoms": "old assets",
            "steps": "1. purge",
            "fix_kind": "configuration_change",
        },
    )
    assert response.status_code == 403
