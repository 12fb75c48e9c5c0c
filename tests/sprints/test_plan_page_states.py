"""Issue 10: /sprints/devops/plan/ answered 422. The planning page renders for every state of a
team: no sprint at all (it says so and offers a new sprint), a link to a sprint that can no
longer be planned, a shared link whose edits went stale."""

from __future__ import annotations

from datetime import timedelta
from html import unescape

import pytest

from casebridge.sprints.models import Sprint
from casebridge.sprints.services import sprint_close
from tests.sprints.helpers import TODAY, bug, client_for, schedule, sprints

pytestmark = pytest.mark.django_db


def text(response) -> str:  # type: ignore[no-untyped-def]
    return unescape(response.content.decode())


def test_a_team_without_sprints_gets_a_page_and_can_create_one(world, monday):
    rte = client_for(world, "rte")
    page = rte.get("/sprints/platform/plan/")  # the DevOps team of the factories
    assert page.status_code == 200
    html = text(page)
    assert 'data-testid="no-sprint"' in html and "Platform has no sprint to plan" in html
    assert 'action="/sprints/platform/sprints/new/"' in html
    assert 'name="new-name" value="Sprint 1"' in html
    assert 'name="new-start" value="2026-11-23"' in html  # today
    assert 'name="new-end" value="2026-12-06"' in html  # two weeks

    refused = rte.post(
        "/sprints/platform/sprints/new/",
        {"new-name": "Sprint/1", "new-start": "2026-11-23", "new-end": "2026-11-20"},
    )
    assert refused.status_code == 422  # a refused form, with the messages beside its fields
    html = text(refused)
    assert "Name the sprint (at most 120 characters, no '/')." in html
    assert "The sprint ends before it starts." in html
    assert not Sprint.objects.filter(team__slug="platform").exists()

    r = rte.post(
        "/sprints/platform/sprints/new/",
        {"new-name": "Sprint 1", "new-start": "2026-11-23", "new-end": "2026-12-06"},
    )
    sprint = Sprint.objects.get(team__slug="platform")
    assert r.status_code == 302 and r["Location"] == f"/sprints/platform/plan/?sprint={sprint.pk}"
    html = text(rte.get(r["Location"]))
    assert "Sprint 1 created: 2026-11-23 to 2026-12-06." in html
    assert "Plan Sprint 1 (running) · Platform" in html

    dev = client_for(world, "dev3")
    page = dev.get("/sprints/core-team/plan/")
    assert page.status_code == 200 and "The RTE creates sprints." in text(page)
    assert "sprints/new/" not in text(page)
    assert dev.post("/sprints/core-team/sprints/new/", {}).status_code in (403, 422)


def test_the_new_sprint_form_starts_after_the_teams_sprints(world, monday):
    current, nxt = sprints(world)
    html = text(client_for(world, "rte").get("/sprints/core-team/plan/"))
    assert 'name="new-name" value="Sprint 3"' in html
    assert 'name="new-start" value="2026-12-14"' in html  # the day after Sprint 2
    sprint_close(actor=world["rte"], sprint=current)  # early: Sprint 1's days free up today
    html = text(client_for(world, "rte").get("/sprints/core-team/plan/"))
    assert 'name="new-start" value="2026-11-23"' in html
    assert 'name="new-end" value="2026-11-29"' in html  # up to Sprint 2
    assert nxt.start == TODAY + timedelta(days=7)


def test_links_to_sprints_that_cannot_be_planned_and_stale_edits(world, monday):
    current, nxt = sprints(world)
    item = bug(world, "Refund stuck", "major", 3)
    other = bug(world, "Typo", "minor", 1)
    bug(world, "Still in the backlog", "minor", 1)
    sprint_close(actor=world["rte"], sprint=current)
    rte = client_for(world, "rte")
    page = rte.get(f"/sprints/core-team/plan/?sprint={current.pk}")
    assert page.status_code == 200
    html = text(page)
    assert "That sprint cannot be planned" in html and "Sprint 1 is closed." in html
    assert "Plan Core team's next sprint instead" in html

    schedule(world, item, nxt)  # someone scheduled it after the link was shared
    page = rte.get(f"/sprints/core-team/plan/?add={item.key}&remove={other.key}")
    assert page.status_code == 200
    html = text(page)
    assert f"No longer in the backlog, so your edit was dropped: {item.key}." in html
    assert f'name="remove" value="{other.key}"' in html  # the edit that still applies
    assert f'name="add" value="{item.key}"' not in html
