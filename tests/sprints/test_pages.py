"""The planning pages through Django's test client: rendering, actions, permissions, queries."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from casebridge.audit.models import AuditEvent
from casebridge.sprints.models import BacklogPin
from casebridge.workitems.services import work_item_transition
from tests.sprints.helpers import bug, client_for, feature, reload, sprints

pytestmark = pytest.mark.django_db


def test_plan_page_shows_the_proposal_with_reasons_and_accepts(world, monday):
    current, nxt = sprints(world, capacity=8, current_capacity=3)
    critical = bug(world, "Checkout down", "critical", 5)
    major = bug(world, "Refund stuck", "major", 5)
    fr = feature(world, "Wallet pay", (13, 8, 5, 2), 5)
    rte = client_for(world, "rte")
    page = rte.get("/sprints/core-team/plan/")
    html = page.content.decode()
    assert page.status_code == 200
    assert "Expedited into the running sprint Sprint 1" in html
    assert "takes Sprint 1 over capacity: 5 of 3 pts" in html
    assert "Major bug; no linked case; today. Fits: 5 pts of 8 left" in html
    assert "Does not fit: 5 pts, 3 left" in html
    assert 'data-action="up"' in html and 'data-action="take"' in html
    assert "Accept plan: schedule 2 items" in html

    edited = rte.get(
        f"/sprints/core-team/plan/?add={fr.key}&remove={major.key}", HTTP_HX_REQUEST="true"
    )
    assert edited.status_code == 200
    assert edited.content.decode().lstrip().startswith('<div id="planner"')  # the partial

    r = rte.post(
        "/sprints/core-team/plan/accept/",
        {
            "sprint": nxt.pk,
            "add": [fr.key],
            "remove": [major.key],
            "expect": [critical.key, fr.key],
        },
    )
    assert r.status_code == 302 and r["Location"] == f"/sprints/{nxt.pk}/"
    assert reload(fr).sprint == nxt and reload(critical).sprint == current
    assert reload(major).sprint is None
    board = rte.get(r["Location"])
    assert (
        "Sprint 2 is planned: 1 item scheduled; 1 critical bug expedited into Sprint 1."
        in board.content.decode()
    )
    assert fr.key in board.content.decode()


def test_stale_accept_tells_and_changes_nothing(world, monday):
    _, nxt = sprints(world)
    major = bug(world, "Refund stuck", "major", 5)
    bug(world, "Another one", "major", 1)
    r = client_for(world, "rte").post(
        "/sprints/core-team/plan/accept/", {"sprint": nxt.pk, "expect": [major.key]}, follow=True
    )
    assert "The backlog changed since the proposal was shown" in r.content.decode()
    assert reload(major).sprint is None


def test_backlog_page_moves_pins_and_estimates(world, monday):
    a, b = bug(world, "First bug", "major", 1), bug(world, "Second bug", "major", 1)
    rte = client_for(world, "rte")
    html = rte.get("/sprints/core-team/backlog/").content.decode()
    assert html.index(a.key) < html.index(b.key)
    r = rte.post(
        "/sprints/core-team/backlog/move/",
        {"key": b.key, "offset": "-1", "next": "/sprints/core-team/backlog/"},
    )
    assert r.status_code == 302
    assert BacklogPin.objects.get(item=b).position == 1
    html = rte.get("/sprints/core-team/backlog/").content.decode()
    assert html.index(b.key) < html.index(a.key) and "Pinned #1" in html
    rte.post("/sprints/core-team/backlog/move/", {"key": a.key, "position": "1"})
    assert BacklogPin.objects.get(item=a).reason == "Dragged to #1"
    rte.post("/sprints/core-team/backlog/unpin/", {"key": a.key})
    assert not BacklogPin.objects.filter(item=a).exists()
    dev = client_for(world, "dev3")
    dev.post("/sprints/estimate/", {"key": a.key, "estimate": "8"})
    assert reload(a).estimate == 8
    r = dev.post("/sprints/core-team/backlog/move/", {"key": a.key, "offset": "1"}, follow=True)
    assert "Only the RTE orders the backlog" in r.content.decode()
    assert AuditEvent.objects.filter(subject_key=a.key, field="backlog_position").count() == 2


def test_board_burndown_velocity_flow_and_close(world, monday):
    current, nxt = sprints(world)
    item = bug(world, "Refund stuck", "major", 5)
    work_item_transition(
        actor=world["rte"], item=item, action="schedule", data={"sprint": current.pk}
    )
    rte = client_for(world, "rte")
    html = rte.get(f"/sprints/{current.pk}/").content.decode()
    assert item.key in html and 'id="sprint-chart"' in html and "Close sprint" in html
    assert "chart-4.6.1.umd.min.js" in html
    r = rte.post(f"/sprints/{current.pk}/close/", follow=True)
    assert "Sprint 1 is closed: 0 done, 1 carried over to Sprint 2." in r.content.decode()
    assert reload(item).sprint == nxt
    html = rte.get("/sprints/core-team/velocity/").content.decode()
    assert "Sprint 1" in html and 'id="velocity-chart"' in html
    html = rte.get("/reports/flow/?team=core-team&days=14").content.decode()
    assert 'data-testid="throughput"' in html
    assert rte.get("/sprints/").status_code == 200


@pytest.mark.parametrize("who", ["cust_a", "partner"])
def test_planning_pages_do_not_exist_for_customers(world, monday, who):
    current, _ = sprints(world)
    client = client_for(world, who)
    for path in (
        "/sprints/",
        "/sprints/core-team/backlog/",
        "/sprints/core-team/plan/",
        f"/sprints/{current.pk}/",
        "/sprints/core-team/velocity/",
        "/reports/flow/",
    ):
        assert client.get(path).status_code == 404, path
    assert client.post(f"/sprints/{current.pk}/close/").status_code == 404


def test_board_queries_do_not_grow_with_items(world, monday):
    current, _ = sprints(world)
    rte = client_for(world, "rte")

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert rte.get(f"/sprints/{current.pk}/").status_code == 200
        return len(ctx.captured_queries)

    item = bug(world, "Bug number 0", "major", 1)
    work_item_transition(
        actor=world["rte"], item=item, action="schedule", data={"sprint": current.pk}
    )
    few = count()
    for n in range(1, 10):
        item = bug(world, f"Bug number {n}", "major", 1)
        work_item_transition(
            actor=world["rte"], item=item, action="schedule", data={"sprint": current.pk}
        )
    assert count() == few


def test_board_cards_escape_what_people_typed(world, monday):
    current, _ = sprints(world)
    item = bug(world, "<script>alert('x')</script> & more", "major", 2)
    work_item_transition(
        actor=world["rte"], item=item, action="schedule", data={"sprint": current.pk}
    )
    html = client_for(world, "rte").get(f"/sprints/{current.pk}/").content.decode()
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; &amp; more" in html
    assert f'href="/work-items/{item.key}/"' in html
