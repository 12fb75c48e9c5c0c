"""The support dashboard: who may see it, its charts with their numbers, the cases behind each
number, the CSV of every table, the menu link, and the same data from the API."""

# ruff: noqa: E501

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from html import unescape

import pytest
import time_machine
from django.test import Client

from casebridge.cases.models import Case
from casebridge.cases.services import case_transition
from casebridge.reporting.support import BUILDERS
from tests import factories

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)  # a Monday
WINDOW = {"start": "2026-11-01", "end": "2026-11-14"}


def login(world: factories.World, name: str) -> Client:
    client = Client()
    client.force_login(world[name])
    return client


@pytest.fixture
def scene(world: factories.World) -> dict[str, Case]:
    """Three cases opened in the window: one resolved at L2, one escalated as a feature, one
    still new; and one opened before the window."""
    l2 = world["l2"]
    with time_machine.travel(T0 - timedelta(days=20), tick=False):
        old = factories.make_case(world, title="Before the window")
    with time_machine.travel(T0, tick=False):
        resolved = case_transition(actor=l2, case=factories.make_case(world), action="take")
        escalated = case_transition(actor=l2, case=factories.make_case(world), action="take")
        fresh = factories.make_case(world, org="b", title="Still new")
    with time_machine.travel(T0 + timedelta(hours=3), tick=False):
        resolved = case_transition(actor=l2, case=resolved, action="resolve",
                                   data={"resolution": "no_fault", "note": "By design"})  # fmt: skip
        escalated = case_transition(
            actor=l2, case=escalated, action="escalate",
            data={"category": "feature", "docs": {"justification": "x", "impact_assessment": "y"}},
        )  # fmt: skip
    return {"old": old, "resolved": resolved, "escalated": escalated, "fresh": fresh}


# Pages x callers: the dashboard, the list behind a number, a table's CSV.
# fmt: off
PAGES = """
path                                               anon cust_a partner l1  l2  rte pm  dev3 devops admin
/reports/support/                                  302  404    404     403 200 200 200 403  403    200
/reports/support/cases/?metric=outcomes:resolved   302  404    404     403 200 200 200 403  403    200
/reports/support/volume.csv                        302  404    404     403 200 200 200 403  403    200
"""
# fmt: on


def _matrix() -> list[tuple[str, str, int]]:
    lines = PAGES.strip().splitlines()
    callers = lines[0].split()[1:]
    return [
        (row.split()[0], who, int(code))
        for row in lines[1:]
        for who, code in zip(callers, row.split()[1:], strict=True)
    ]


@pytest.mark.parametrize(("path", "who", "status"), _matrix())
def test_who_may_see_the_dashboard(
    world: factories.World, path: str, who: str, status: int
) -> None:
    client = Client() if who == "anon" else login(world, who)
    assert client.get(path).status_code == status


def test_the_menu_links_the_dashboard_for_the_readers(world: factories.World) -> None:
    for who, shown in (("l2", True), ("rte", True), ("pm", True), ("admin", True),
                       ("l1", False), ("dev3", False)):  # fmt: skip
        page = login(world, who).get("/cases/" if who != "admin" else "/settings/").content
        assert (b'href="/reports/support/"' in page) is shown, who


def test_every_table_has_a_chart_its_numbers_a_definition_and_a_csv(world, scene) -> None:
    with time_machine.travel(T0 + timedelta(days=5), tick=False):
        page = login(world, "l2").get("/reports/support/", WINDOW).content.decode()
    for name in BUILDERS:
        section = page.split(f'data-testid="kpi-{name}"')[1].split("</section>")[0]
        assert f"/reports/support/{name}.csv?" in section, name
        assert 'class="muted kpi-definition"' in section, name
    outcomes = page.split('data-testid="kpi-outcomes"')[1].split("</section>")[0]
    assert "<svg" in outcomes and 'role="img"' in outcomes and "<desc" in outcomes
    assert "not rejections" not in outcomes  # the definition written out
    assert "a rejection does not count" in outcomes
    # L2 resolution rate: one resolved case, resolved at L2 -> 100%
    rows = re.findall(r"<tr><td>Resolved at L2</td><td><a href=\"([^\"]+)\">(\d+)</a>", outcomes)
    assert rows and rows[0][1] == "1"
    escalations = page.split('data-testid="kpi-escalations"')[1].split("</section>")[0]
    assert re.search(r"<td>feature</td><td><a href=\"[^\"]+\">1</a></td><td><a [^>]+>3</a>",
                     escalations)  # fmt: skip


def test_each_number_links_to_the_cases_behind_it(world, scene) -> None:
    client = login(world, "l2")
    with time_machine.travel(T0 + timedelta(days=5), tick=False):
        page = client.get("/reports/support/", WINDOW).content.decode()
        links = {
            m: unescape(href)
            for href, m in re.findall(r'<a href="([^"]*metric=([^"&]+)[^"]*)"', page)
        }
        volume_opened = next(h for m, h in links.items() if m.startswith("volume%3Aopened"))
        listed = client.get(volume_opened).content.decode()
        keys = set(re.findall(r">(CB-\d+)</a>", listed))
        assert keys == {scene[k].key for k in ("resolved", "escalated", "fresh")}
        escalated = client.get(links["escalations%3Afeature"]).content.decode()
        assert set(re.findall(r">(CB-\d+)</a>", escalated)) == {scene["escalated"].key}
        bad = client.get("/reports/support/cases/", {"metric": "volume:nothing"})
        assert bad.status_code == 422 and "No such number" in bad.content.decode()


def test_bad_filters_are_named_beside_the_form(world: factories.World) -> None:
    page = login(world, "rte").get(
        "/reports/support/", {"start": "2026-11-10", "end": "2026-11-01"}
    )
    assert page.status_code == 422
    assert "The start must come before the end." in page.content.decode()


def test_the_csv_of_the_load_table(world: factories.World) -> None:
    response = login(world, "admin").get("/reports/support/load.csv")
    text = b"".join(response.streaming_content).decode()
    lines = text.strip().splitlines()
    assert lines[0].startswith("level,developers,open_items,per_developer,critical,outside_intent")
    assert [line.split(",")[0] for line in lines[1:]] == ["L1", "L2", "L3", "L4"]


def test_the_api_gives_the_tables_their_links_and_the_cases_behind(world, scene, api) -> None:
    params = {"start": "2026-11-01T00:00:00Z", "end": "2026-11-14T00:00:00Z"}
    with time_machine.travel(T0 + timedelta(days=5), tick=False):
        tables = {t["name"]: t for t in api("rte").get("/reports/support", **params).json()}
        assert set(tables) == set(BUILDERS)
        outcomes = tables["outcomes"]
        assert outcomes["links"][0][1] == "outcomes:at_l2"
        found = api("rte").get("/reports/support/cases", metric="outcomes:at_l2", **params)
        assert found.json() == {"metric": "outcomes:at_l2", "title": "Resolved at L2", "count": 1,
                                "kind": "case", "keys": [scene["resolved"].key]}  # fmt: skip
        bad = api("rte").get("/reports/support/cases", metric="nope", **params)
        assert bad.status_code == 422 and "metric" in bad.json()["fields"]
        assert api("dev3").get("/reports/support/cases", metric="outcomes:at_l2").status_code == 403
