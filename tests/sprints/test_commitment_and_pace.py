"""Issue 10, planning and charts that looked broken to a new user:

* velocity showed "Committed 0" for every closed sprint (work planned on a sprint's first day
  counted as added during the sprint) and an empty predictability chart;
* a future sprint's burndown had an ideal line at 0 (an axis from -1 to 1) with 8 points planned;
* the planner filled a sprint far beyond the team's recent velocity without a word, and offered
  "Accept plan: schedule 0 items" when it had nothing to schedule.
"""

from __future__ import annotations

import json
from datetime import timedelta
from html import unescape

import pytest

from casebridge.audit.models import AuditEvent
from casebridge.sprints.models import EntryKind, SprintEntry
from casebridge.sprints.selectors.backlog import proposal_for
from casebridge.sprints.selectors.boards import burndown_for
from casebridge.sprints.selectors.velocity import velocity_for
from casebridge.sprints.services import sprint_close, sprint_create
from tests.sprints.helpers import TODAY, bug, cli, client_for, core, deliver, schedule, sprints

pytestmark = pytest.mark.django_db


def test_work_planned_on_a_sprints_first_day_is_committed(world, monday):
    """Sprint planning is held on the sprint's first morning: what is scheduled then is the
    commitment; what comes the day after is added."""
    _, nxt = sprints(world)
    planned = bug(world, "Refund stuck", "major", 5)
    late = bug(world, "Typo on the receipt", "minor", 3)
    monday.move_to("2026-11-30 09:00Z")  # Sprint 2's first day
    schedule(world, planned, nxt)
    monday.move_to("2026-12-01 09:00Z")
    schedule(world, late, nxt)
    kinds = dict(SprintEntry.objects.values_list("item__key", "kind"))
    assert kinds == {planned.key: EntryKind.PLANNED, late.key: EntryKind.ADDED}

    deliver(world, planned)
    sprint_create(
        actor=world["rte"],
        team=core(world),
        name="Sprint 3",
        start=TODAY + timedelta(days=21),
        end=TODAY + timedelta(days=34),
    )
    monday.move_to("2026-12-14 08:00Z")
    closed = sprint_close(actor=world["rte"], sprint=nxt)
    assert (closed.committed_points, closed.committed_done_points) == (5, 5)
    event = AuditEvent.objects.get(subject_type="sprint", action="closed")
    assert event.data["committed_points"] == 5

    (row,) = velocity_for(world["rte"], core(world))
    assert (row.committed, row.committed_done, row.done, row.added, row.carried_over) == (
        5,
        5,
        5,
        3,
        3,
    )
    assert row.predictability == 1.0
    html = unescape(client_for(world, "rte").get("/sprints/core-team/velocity/").content.decode())
    assert 'data-chart="predictability"' in html and "100%" in html


def test_velocity_page_explains_an_empty_predictability_chart(world, monday):
    current, _ = sprints(world)
    added = bug(world, "Refund stuck", "major", 5)
    schedule(world, added, current)  # day 8 of Sprint 1: added, not committed
    sprint_close(actor=world["rte"], sprint=current)
    html = unescape(client_for(world, "rte").get("/sprints/core-team/velocity/").content.decode())
    assert 'data-testid="no-commitment"' in html
    assert "Nothing was committed in these sprints" in html
    assert 'data-chart="predictability"' not in html  # no empty chart
    assert 'data-chart="velocity"' in html


def test_a_future_sprints_burndown_starts_from_what_is_planned(world, monday, api):
    _, nxt = sprints(world, capacity=10)
    for title, size in (("Refund stuck", 5), ("Typo on the receipt", 3)):
        schedule(world, bug(world, title, "major", size), nxt)
    chart = burndown_for(world["rte"], nxt)
    assert chart.days[0].ideal == 8.0 and chart.days[-1].ideal == 0.0
    assert [d.ideal for d in chart.days[:3]] == [8.0, 7.38, 6.77]
    assert all(d.scope is None for d in chart.days)  # nothing measured before the start
    days = api("rte").get(f"/sprints/{nxt.pk}/burndown").json()["days"]
    assert days[0]["ideal"] == 8.0
    html = unescape(client_for(world, "rte").get(f"/sprints/{nxt.pk}/").content.decode())
    data = json.loads(html.split('id="sprint-chart" type="application/json">')[1].split("<")[0])
    assert data["ideal"][0] == 8.0 and data["capacity"] == 10


def _closed_sprint_with_done_points(world, points: int) -> None:  # type: ignore[no-untyped-def]
    """Sprint 0 (two weeks before Sprint 1), closed with ``points`` delivered."""
    past = sprint_create(
        actor=world["rte"],
        team=core(world),
        name="Sprint 0",
        start=TODAY - timedelta(days=21),
        end=TODAY - timedelta(days=8),
    )
    deliver(world, schedule(world, bug(world, "Old bug", "major", points), past))
    sprint_close(actor=world["rte"], sprint=past)


def test_a_plan_over_the_recent_velocity_is_flagged_with_numbers(world, monday, api):
    sprints(world, capacity=30)
    _closed_sprint_with_done_points(world, 2)
    for n in range(3):
        bug(world, f"Bug number {n}", "major", 3)
    warning = (
        "Sprint 2 would hold 9 pts, more than the team's recent velocity: 2.0 pts done per "
        "sprint on average over the last 1 closed sprint (2)"
    )
    proposal = proposal_for(world["rte"], core(world))
    assert proposal.over_velocity and warning in proposal.warnings

    html = unescape(client_for(world, "rte").get("/sprints/core-team/plan/").content.decode())
    assert warning in html
    assert "Recent velocity: <strong>2.0 pts</strong> done per sprint" in html
    assert "this plan holds <strong>9 pts</strong>" in html
    out = api("rte").get("/backlog/core-team/proposal").json()
    assert (out["velocity"], out["velocity_sprints"], out["over_velocity"]) == (2.0, [2], True)
    assert warning in out["warnings"]

    lighter = proposal_for(world["rte"], core(world), remove=proposal.keys[:2])
    assert lighter.load == 3 and lighter.over_velocity  # 3 pts is still more than 2.0
    empty = proposal_for(world["rte"], core(world), remove=proposal.keys)
    assert empty.load == 0 and not empty.over_velocity


def test_a_plan_that_schedules_nothing_offers_no_accept_and_says_why(world, monday, api):
    _, nxt = sprints(world)
    rte = client_for(world, "rte")
    html = unescape(rte.get("/sprints/core-team/plan/").content.decode())
    assert "Accept plan" not in html and 'id="accept-form"' not in html
    assert "Nothing is ready to plan: the backlog is empty" in html

    unestimated = bug(world, "Refund stuck", "major")
    bug(world, "Huge bug", "major", 40)
    reason = (
        "Nothing to schedule into Sprint 2: 1 item needs an estimate; "
        "1 item does not fit in the 10 pts left."
    )
    html = unescape(rte.get("/sprints/core-team/plan/").content.decode())
    assert "Accept plan" not in html and reason in html
    text = cli("plan", "--team", "core-team", "--as", "rte")
    assert reason in text and "Accept:" not in text
    assert api("rte").get("/backlog/core-team/proposal").json()["empty_reason"] == reason
    r = api("rte").post(f"/sprints/{nxt.pk}/accept", {})
    assert r.status_code == 422 and r.json()["fields"]["add"] == reason

    html = unescape(rte.get(f"/sprints/core-team/plan/?add={unestimated.key}").content.decode())
    assert "Accept plan: schedule 1 item" in html  # added by hand: something to accept
