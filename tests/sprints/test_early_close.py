"""Issue 10: after a sprint closed early, a critical bug could be scheduled nowhere: the next
sprint "is not current", a sprint overlapping the closed one could not be created, and the
planner said "start one to expedite it" while nothing could. Now a future sprint can be started
today (page, API, CLI) and a new sprint may start on the day an early-closed sprint closed; the
critical bug is then expedited into it."""

from __future__ import annotations

from datetime import timedelta
from html import unescape

import pytest
from django.core.management import CommandError

from casebridge.audit.models import AuditEvent
from casebridge.core.errors import TransitionRefused, ValidationFailed
from casebridge.sprints.models import EntryKind, Sprint, SprintEntry
from casebridge.sprints.selectors import current_sprint
from casebridge.sprints.selectors.backlog import proposal_for
from casebridge.sprints.services import (
    sprint_close,
    sprint_create,
    sprint_plan_accept,
    sprint_start,
)
from tests.sprints.helpers import TODAY, bug, cli, client_for, core, reload, schedule, sprints

pytestmark = pytest.mark.django_db


def test_starting_the_next_sprint_today_lets_the_critical_bug_in(world, monday):
    current, nxt = sprints(world)
    with pytest.raises(ValidationFailed) as refused:
        sprint_start(actor=world["rte"], sprint=nxt)
    assert refused.value.fields["sprint"] == (
        "Sprint 1 is running until 2026-11-29: close it first to start Sprint 2 today."
    )
    sprint_close(actor=world["rte"], sprint=current)  # early: a week before its end
    critical = bug(world, "Checkout down", "critical", 5)

    proposal = proposal_for(world["rte"], core(world))
    (blocked,) = proposal.blocked
    assert "start Sprint 2 now (or create a sprint that starts today)" in blocked.reason
    assert (
        f"{critical.key} is a critical bug and no sprint is running: start Sprint 2 now to "
        "expedite it"
    ) in proposal.warnings
    with pytest.raises(TransitionRefused):
        schedule(world, critical, nxt)  # not current yet

    started = sprint_start(actor=world["rte"], sprint=nxt)
    assert (started.start, started.end) == (TODAY, TODAY + timedelta(days=20))
    assert current_sprint(core(world)) == nxt
    event = AuditEvent.objects.get(subject_type="sprint", action="started")
    assert (event.field, event.old, event.new) == ("start", "2026-11-30", "2026-11-23")
    with pytest.raises(ValidationFailed) as refused:
        sprint_start(actor=world["rte"], sprint=nxt)
    assert "started on 2026-11-23" in refused.value.fields["sprint"]

    proposal = proposal_for(world["rte"], core(world))  # no future sprint: plans the running one
    assert proposal.sprint.id == nxt.pk and proposal.keys == [critical.key]
    assert proposal.chosen[0].expedited and not proposal.blocked
    accepted = sprint_plan_accept(actor=world["rte"], team=core(world), expect=[critical.key])
    assert accepted.expedited == [critical.key]
    assert reload(critical).sprint == nxt and reload(critical).status == "scheduled"
    assert SprintEntry.objects.get(item=critical).kind == EntryKind.EXPEDITED


def test_a_new_sprint_may_start_on_the_day_an_early_closed_one_closed(world, monday):
    current, _ = sprints(world)
    team = core(world)
    sprint_close(actor=world["rte"], sprint=current)
    with pytest.raises(ValidationFailed) as refused:  # days it actually ran stay taken
        sprint_create(
            actor=world["rte"],
            team=team,
            name="Before",
            start=TODAY - timedelta(days=1),
            end=TODAY + timedelta(days=2),
        )
    assert "do not overlap" in refused.value.fields["start"]
    hotfix = sprint_create(
        actor=world["rte"], team=team, name="Hotfix", start=TODAY, end=TODAY + timedelta(days=6)
    )
    critical = bug(world, "Checkout down", "critical", 5)
    schedule(world, critical, hotfix)
    assert reload(critical).sprint == hotfix
    with pytest.raises(ValidationFailed) as refused:  # and the new one's days are taken
        sprint_create(
            actor=world["rte"],
            team=team,
            name="Clash",
            start=TODAY + timedelta(days=6),
            end=TODAY + timedelta(days=6),
        )
    assert "Hotfix runs" in refused.value.fields["start"]


def test_the_path_on_the_pages(world, monday):
    current, nxt = sprints(world)
    critical = bug(world, "Checkout down", "critical", 5)
    rte = client_for(world, "rte")
    rte.post(f"/sprints/{current.pk}/close/")
    html = unescape(rte.get("/sprints/core-team/plan/").content.decode())
    assert "no sprint is running: start Sprint 2 now" in html
    assert f'action="/sprints/{nxt.pk}/start/"' in html and "Start Sprint 2 today" in html
    board = unescape(rte.get(f"/sprints/{nxt.pk}/").content.decode())
    assert f'action="/sprints/{nxt.pk}/start/"' in board  # also on the sprint's page

    r = rte.post(f"/sprints/{nxt.pk}/start/", {"next": "/sprints/core-team/plan/"})
    assert r.status_code == 302 and r["Location"] == "/sprints/core-team/plan/"
    html = unescape(rte.get(r["Location"]).content.decode())
    assert "Sprint 2 started today; it runs until Sun 13 Dec 2026." in html
    assert "Plan Sprint 2 (running)" in html
    assert "Expedited into the current sprint Sprint 2" in html
    assert "Start Sprint 2 today" not in html
    r = rte.post("/sprints/core-team/plan/accept/", {"sprint": nxt.pk, "expect": [critical.key]})
    assert r.status_code == 302
    assert reload(critical).sprint == nxt

    again = unescape(rte.post(f"/sprints/{nxt.pk}/start/", follow=True).content.decode())
    assert "Sprint 2 started on 2026-11-23" in again
    assert Sprint.objects.get(pk=nxt.pk).start == TODAY


def test_only_the_rte_or_an_admin_starts_a_sprint(world, monday):
    current, nxt = sprints(world)
    sprint_close(actor=world["rte"], sprint=current)
    assert client_for(world, "dev3").post(f"/sprints/{nxt.pk}/start/").status_code == 403
    assert Sprint.objects.get(pk=nxt.pk).start == TODAY + timedelta(days=7)


def test_the_path_through_the_api(world, monday, api):
    current, nxt = sprints(world)
    critical = bug(world, "Checkout down", "critical", 5)
    rte = api("rte")
    r = rte.post(f"/sprints/{nxt.pk}/start", {})
    assert r.status_code == 422 and "close it first" in r.json()["fields"]["sprint"]
    assert rte.post(f"/sprints/{current.pk}/close", {}).status_code == 200
    proposal = rte.get("/backlog/core-team/proposal").json()
    assert proposal["left_out"][0]["why"] == "blocked"
    assert api("dev3").post(f"/sprints/{nxt.pk}/start", {}).status_code == 403
    r = rte.post(f"/sprints/{nxt.pk}/start", {})
    assert r.status_code == 200, r.json()
    assert (r.json()["state"], r.json()["start"]) == ("current", "2026-11-23")
    r = rte.post(f"/sprints/{nxt.pk}/accept", {"expect": [critical.key]})
    assert r.status_code == 200 and r.json()["expedited"] == [critical.key]
    assert r.json()["expedited_into"] == nxt.pk
    r = rte.post(
        "/sprints",
        {"team": "core-team", "name": "Sprint 3", "start": "2026-12-14", "end": "2026-12-27"},
    )
    assert r.status_code == 201


def test_the_path_through_the_cli(world, monday):
    _, nxt = sprints(world)
    critical = bug(world, "Checkout down", "critical", 5)
    cli("close", "core-team/Sprint 1", "--as", "rte")
    text = cli("plan", "--team", "core-team", "--as", "rte")
    assert f"Start Sprint 2 today: casebridge sprint start {nxt.pk}" in text
    with pytest.raises(CommandError) as refused:
        cli("start", "core-team/Sprint 2", "--as", "dev3")
    assert refused.value.returncode == 2 and "Only the RTE or an admin" in str(refused.value)
    assert cli("start", "core-team/Sprint 2", "--as", "rte") == (
        "started core-team/Sprint 2: 2026-11-23 .. 2026-12-13\n"
    )
    text = cli("accept", "--team", "core-team", "--as", "rte", "--expect", critical.key)
    assert f"core-team/Sprint 2: expedited {critical.key} (critical)" in text
    assert reload(critical).sprint == nxt
    text = cli(
        "create",
        "--team",
        "core-team",
        "--name",
        "Hotfix",
        "--start",
        "2026-12-14",
        "--end",
        "2026-12-20",
        "--as",
        "rte",
    )
    assert "created sprint" in text
