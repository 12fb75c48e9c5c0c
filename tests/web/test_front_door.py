"""Login, logout and home: each person lands where their work is."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.web.conftest import html

pytestmark = pytest.mark.django_db


def test_anonymous_is_sent_to_login(world):
    client = Client()
    assert client.get("/").url == "/login/"
    response = client.get("/cases/")
    assert response.status_code == 302
    assert response.url == "/login/?next=/cases/"
    assert client.get("/portal/").status_code == 302
    partial = client.get("/cases/?state=new", headers={"HX-Request": "true"})
    assert partial["HX-Redirect"] == "/login/"  # not a login page inside the queue


@pytest.mark.parametrize(
    ("username", "home"),
    [
        ("cust_a", "/portal/"),
        ("partner", "/portal/"),
        ("l1", "/cases/new/"),
        ("l2", "/cases/"),
        ("rte", "/work-items/queues/triage/"),
        ("pm", "/work-items/queues/decisions/"),
        ("dev3", "/work-items/queues/mine/"),
        ("devops", "/work-items/queues/devops/"),
        ("qa", "/work-items/queues/testing/"),
        ("admin", "/settings/"),
    ],
)
def test_home_by_role(browser_as, username, home):
    response = browser_as(username).get("/")
    assert response.status_code == 302
    assert response.url == home


def test_login_form_signs_in_and_logout_needs_post(world):
    client = Client()
    page = client.get("/login/")
    assert page.status_code == 200
    assert 'autocomplete="username"' in html(page)
    bad = client.post("/login/", {"username": "l2", "password": "wrong"})
    assert bad.status_code == 200
    assert "Please enter a correct username and password" in html(bad)
    good = client.post("/login/", {"username": "l2", "password": "correct-horse-battery"})
    assert good.status_code == 302
    assert client.get("/cases/").status_code == 200
    assert client.get("/logout/").status_code == 405  # a link cannot sign anyone out
    assert client.post("/logout/").url == "/login/"
    assert client.get("/cases/").status_code == 302


def test_layout_shows_navigation_by_role(browser_as):
    staff = html(browser_as("l2").get("/cases/"))
    assert ">Queue</a>" in staff and ">New case</a>" in staff and ">Knowledge</a>" in staff
    assert "L2 engineer" in staff
    assert 'action="/logout/"' in staff
    developer = html(browser_as("dev3").get("/cases/"))
    assert ">New case</a>" not in developer  # a developer's role does not open cases
    assert "Developer · L3" in developer
    customer = html(browser_as("cust_a").get("/portal/"))
    assert ">Portal</a>" in customer and ">Knowledge</a>" not in customer


def test_vendored_static_files_are_served(browser_as):
    page = html(browser_as("l2").get("/cases/"))
    for asset in (
        "/static/vendor/htmx-2.0.11.min.js",
        "/static/vendor/pico-2.1.1.min.css",
        "/static/web/app.css",
    ):
        assert asset in page
    assert "https://" not in page.split("<body")[0]  # nothing from a CDN
    assert Client().get("/static/vendor/htmx-2.0.11.min.js").status_code == 200
