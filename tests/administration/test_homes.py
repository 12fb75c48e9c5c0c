"""A home per role, the menu (Planning for planners, Settings for admins), the new queues
(testing, DevOps, a team's unassigned items in My work) and sprints edited in the pages."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from casebridge.accounts.models import Team
from casebridge.sprints.models import Sprint
from casebridge.sprints.services import sprint_create
from casebridge.workitems.models import WorkItem
from casebridge.workitems.services import work_item_create, work_item_transition
from tests import factories
from tests.web.conftest import field_error, html

pytestmark = pytest.mark.django_db


def _menu(page: str) -> list[str]:
    nav = page.split('aria-label="Main"')[1].split("</nav>", maxsplit=1)[0]
    return re.findall(r'class="navlink" href="[^"]*"[^>]*>([^<]+)<', nav)


@pytest.mark.parametrize(
    ("username", "planning", "admin_menu"),
    [
        ("l1", False, False),
        ("l2", False, False),
        ("rte", True, False),
        ("pm", True, False),
        ("dev3", True, False),
        ("qa", False, False),
        ("admin", False, True),
    ],
)
def test_menu_per_role(
    browser_as: Callable[[str], Client], username: str, planning: bool, admin_menu: bool
) -> None:
    menu = _menu(html(browser_as(username).get("/knowledge/")))
    assert ("Planning" in menu) is planning
    assert ("Settings" in menu) is admin_menu


def test_qa_menu_has_the_testing_queue(browser_as: Callable[[str], Client]) -> None:
    assert "Testing" in _menu(html(browser_as("qa").get("/knowledge/")))
    assert "DevOps work" in _menu(html(browser_as("devops").get("/knowledge/")))


def _scheduled_bug(world: factories.World) -> tuple[WorkItem, Sprint]:
    today = timezone.localdate()
    sprint = sprint_create(
        actor=None,
        team=Team.objects.get(slug="core-team"),
        name="Sprint 1",
        start=today,
        end=today + timedelta(days=13),
    )
    item = work_item_create(actor=world["l2"], category="bug", title="Refund totals off", docs={})
    for action, data in (
        ("triage", {"priority": "major", "impact": "Refunds wrong"}),
        ("schedule", {"sprint": sprint.pk}),
    ):
        item = work_item_transition(actor=world["rte"], item=item, action=action, data=data)
    return item, sprint


def test_my_work_lists_the_teams_unassigned_items(
    world: factories.World, browser_as: Callable[[str], Client]
) -> None:
    item, _ = _scheduled_bug(world)
    assert item.key in html(browser_as("dev3").get("/work-items/queues/mine/"))  # Core team
    assert item.key not in html(browser_as("dev4").get("/work-items/queues/mine/"))  # no team
    work_item_transition(
        actor=world["dev3"], item=item, action="assign", data={"assignees": ["dev2"]}
    )
    assert item.key not in html(browser_as("dev3").get("/work-items/queues/mine/"))
    assert item.key in html(browser_as("dev2").get("/work-items/queues/mine/"))


def test_testing_queue_shows_items_in_testing(
    world: factories.World, browser_as: Callable[[str], Client]
) -> None:
    item, _ = _scheduled_bug(world)
    WorkItem.objects.filter(pk=item.pk).update(status="in_testing")
    page = html(browser_as("qa").get("/work-items/queues/testing/"))
    assert item.key in page
    assert browser_as("cust_a").get("/work-items/queues/testing/").status_code == 404


def test_l1_home_shows_the_intake_form_and_their_recent_cases(
    world: factories.World, browser_as: Callable[[str], Client]
) -> None:
    case = factories.make_case(world, by="l1")
    other = factories.make_case(world, by="l2", title="Search is slow")
    page = html(browser_as("l1").get("/cases/new/"))
    assert 'id="recent-cases"' in page and case.key in page and other.key not in page


def test_sprint_edited_in_the_pages(
    world: factories.World, browser_as: Callable[[str], Client]
) -> None:
    _, sprint = _scheduled_bug(world)
    rte = browser_as("rte")
    assert f"/sprints/{sprint.pk}/edit/" in html(rte.get(f"/sprints/{sprint.pk}/"))
    bad = rte.post(
        f"/sprints/{sprint.pk}/edit/",
        {"start": sprint.end.isoformat(), "end": sprint.start.isoformat(), "goal": ""},
    )
    assert bad.status_code == 422
    assert field_error(html(bad), "end") or "end" in html(bad)
    ok = rte.post(
        f"/sprints/{sprint.pk}/edit/",
        {
            "start": sprint.start.isoformat(),
            "end": (sprint.end + timedelta(days=1)).isoformat(),
            "capacity": "25",
            "goal": "Refunds right",
        },
    )
    assert ok.status_code == 302
    sprint.refresh_from_db()
    assert (sprint.capacity, sprint.goal) == (25, "Refunds right")
    body = {"start": sprint.start.isoformat(), "end": sprint.end.isoformat(), "goal": "x"}
    assert browser_as("dev3").post(f"/sprints/{sprint.pk}/edit/", body).status_code == 403
