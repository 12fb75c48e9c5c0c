"""/api/v1/sprints, /api/v1/backlog, /api/v1/program-increments: journeys, errors, permissions
and query counts."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from casebridge.workitems.models import WorkItem
from casebridge.workitems.services import work_item_transition
from tests.sprints.helpers import TODAY, bug, feature, improvement, reload, sprints

pytestmark = pytest.mark.django_db


def queries(call):  # type: ignore[no-untyped-def]
    call()  # warm up: the first use of a token records it
    with CaptureQueriesContext(connection) as ctx:
        response = call()
    assert response.status_code == 200, response.json()
    return len(ctx.captured_queries), response


def test_plan_from_the_proposal_edit_and_accept(api, world, monday):
    current, nxt = sprints(world, capacity=8, current_capacity=3)
    critical = bug(world, "Checkout down", "critical", 5)
    major = bug(world, "Refund stuck", "major", 5)
    minor = bug(world, "Typo on receipt", "minor", 2)
    fr = feature(world, "Wallet pay", (13, 8, 5, 2), 3)
    rte = api("rte")

    r = rte.get("/backlog/core-team/proposal")
    assert r.status_code == 200, r.json()
    body = r.json()
    assert [c["key"] for c in body["chosen"]] == [critical.key, major.key, minor.key]
    assert body["chosen"][0]["expedited"] and body["chosen"][0]["over_capacity"]
    assert body["chosen"][0]["target"] == "current"
    assert body["warnings"] == [
        f"{critical.key} (critical) takes Sprint 1 over capacity: 5 of 3 pts"
    ]
    assert [(c["key"], c["why"]) for c in body["left_out"]] == [(fr.key, "too_big")]
    assert body["sprint"] == {"id": nxt.pk, "name": "Sprint 2", "capacity": 8, "load": 0}

    r = rte.get(f"/sprints/{nxt.pk}/proposal", add=[fr.key], remove=[minor.key])
    assert [c["key"] for c in r.json()["chosen"]] == [critical.key, major.key, fr.key]
    shown = [c["key"] for c in r.json()["chosen"]]

    r = rte.post(
        f"/sprints/{nxt.pk}/accept", {"add": [fr.key], "remove": [minor.key], "expect": [major.key]}
    )
    assert r.status_code == 409
    assert r.json()["code"] == "plan_changed" and set(r.json()["fields"]) == {"expect"}

    r = rte.post(
        f"/sprints/{nxt.pk}/accept", {"add": [fr.key], "remove": [minor.key], "expect": shown}
    )
    assert r.status_code == 200, r.json()
    out = r.json()
    assert out["scheduled"] == [major.key, fr.key] and out["expedited"] == [critical.key]
    assert out["expedited_into"] == current.pk
    assert out["sprint"]["load"] == {"items": 2, "points": 8, "unestimated": 0}
    assert reload(minor).sprint is None

    r = rte.get(f"/sprints/{nxt.pk}/board")
    columns = {c["key"]: [i["key"] for i in c["items"]] for c in r.json()["columns"]}
    assert columns["todo"] == [major.key, fr.key]
    r = rte.get(f"/sprints/{current.pk}/burndown")
    days = r.json()["days"]
    assert len(days) == 14 and days[7]["scope"] == 5 and days[7]["remaining"] == 5
    assert days[8]["scope"] is None  # tomorrow


def test_errors_are_data(api, world, monday):
    _, nxt = sprints(world)
    rte = api("rte")
    r = rte.post(
        "/sprints",
        {"team": "core-team", "name": "Sprint 3", "start": "2026-12-01", "end": "2026-11-30"},
    )
    assert r.status_code == 422
    assert set(r.json()) == {"code", "message", "fields"} and "end" in r.json()["fields"]
    r = rte.post(
        "/sprints", {"team": "nope", "name": "S", "start": "2026-12-01", "end": "2026-12-02"}
    )
    assert r.status_code == 404 and r.json()["code"] == "not_found"
    r = rte.get("/backlog/core-team/proposal", add=["BUG-999"])
    assert r.status_code == 422 and "BUG-999" in r.json()["fields"]["add"]
    r = rte.post(f"/sprints/{nxt.pk}/accept", {})
    assert r.status_code == 422 and set(r.json()["fields"]) == {"add"}  # nothing to plan
    r = rte.post(f"/sprints/{nxt.pk}/accept", {"bogus": 1})
    assert r.status_code == 422 and "bogus" in r.json()["fields"]
    r = rte.post(f"/sprints/{nxt.pk}/close", {})
    assert r.status_code == 422 and "starts on" in r.json()["fields"]["sprint"]


@pytest.mark.parametrize("who", ["cust_a", "partner"])
def test_customers_and_partners_get_nothing(api, world, monday, who):
    current, nxt = sprints(world)
    item = bug(world, "Refund stuck", "major", 5)
    client = api(who)
    assert client.get("/sprints").json() == []
    assert client.get("/program-increments").json() == []
    for path in (
        f"/sprints/{nxt.pk}",
        f"/sprints/{nxt.pk}/board",
        f"/sprints/{nxt.pk}/burndown",
        f"/sprints/{nxt.pk}/proposal",
        "/backlog/core-team",
        "/backlog/core-team/proposal",
        "/sprints/velocity?team=core-team",
        "/sprints/teams/core-team",
        "/reports/flow",
    ):
        r = client.get(path)
        assert r.status_code == 404, (path, r.json())
        assert r.json()["code"] == "not_found"
    for path, body in (
        (f"/sprints/{nxt.pk}/accept", {}),
        (f"/sprints/{current.pk}/close", {}),
        ("/backlog/core-team/items/" + item.key + "/pin", {"position": 1}),
        ("/backlog/items/" + item.key + "/estimate", {"estimate": 3}),
        (
            "/sprints",
            {"team": "core-team", "name": "X", "start": "2027-01-01", "end": "2027-01-02"},
        ),
        ("/program-increments", {"name": "PI", "start": "2027-01-01", "end": "2027-03-01"}),
    ):
        r = client.post(path, body)
        assert r.status_code == 404, (path, r.json())


def test_roles_for_planning_writes(api, world, monday):
    current, nxt = sprints(world)
    item = bug(world, "Refund stuck", "major", 5)
    dev = api("dev3")
    assert dev.get(f"/sprints/{nxt.pk}/proposal").status_code == 200  # internal: may look
    r = dev.post(f"/sprints/{nxt.pk}/accept", {})
    assert r.status_code == 403 and r.json()["code"] == "permission_denied"
    assert dev.post(f"/backlog/core-team/items/{item.key}/pin", {"position": 1}).status_code == 403
    assert dev.post(f"/sprints/{current.pk}/close", {}).status_code == 403
    r = dev.post(f"/backlog/items/{item.key}/estimate", {"estimate": 8})
    assert r.status_code == 200 and r.json() == {"key": item.key, "estimate": 8}
    assert api("l2").post(f"/backlog/items/{item.key}/estimate", {"estimate": 1}).status_code == 403


def test_backlog_list_pin_move_unpin(api, world, monday):
    items = [bug(world, f"Bug number {n}", "major", 1) for n in range(4)]
    rte = api("rte")
    r = rte.get("/backlog/core-team")
    assert [i["key"] for i in r.json()["items"]] == [i.key for i in items]
    last = items[-1]
    r = rte.post(
        f"/backlog/core-team/items/{last.key}/pin", {"position": 1, "reason": "Customer escalation"}
    )
    assert r.status_code == 200, r.json()
    assert r.json()["items"][0]["key"] == last.key and r.json()["items"][0]["pinned"] == 1
    assert r.json()["items"][0]["reason"].startswith("Pinned at #1 by rte")
    r = rte.post(f"/backlog/core-team/items/{items[0].key}/move", {"offset": -1})
    assert [i["key"] for i in r.json()["items"]][:2] == [items[0].key, last.key]
    r = rte.post(f"/backlog/core-team/items/{last.key}/unpin", {})
    assert [i["key"] for i in r.json()["items"]][-1] == last.key
    r = rte.get("/backlog/core-team", limit=2, offset=1)
    assert r.json()["count"] == 4 and len(r.json()["items"]) == 2


def test_list_endpoints_do_not_grow_queries_with_rows(api, world, monday):
    rte = api("rte")
    sprints(world)
    few_backlog, _ = queries(lambda: rte.get("/backlog/core-team"))
    few_sprints, _ = queries(lambda: rte.get("/sprints"))
    for n in range(12):
        bug(world, f"Bug number {n}", "minor", 1)
        feature(world, f"Feature number {n}", estimate=2)
    from casebridge.sprints.services import sprint_create
    from tests.sprints.helpers import core

    for n in range(6):
        start = TODAY + timedelta(days=21 + 14 * n)
        sprint_create(
            actor=world["rte"],
            team=core(world),
            name=f"Later {n}",
            start=start,
            end=start + timedelta(days=13),
        )
    many_backlog, r = queries(lambda: rte.get("/backlog/core-team"))
    assert r.json()["count"] == 24
    many_sprints, r = queries(lambda: rte.get("/sprints"))
    assert len(r.json()) == 8
    assert many_backlog == few_backlog
    assert many_sprints == few_sprints
    nxt = r.json()[-1]
    triaged = list(WorkItem.objects.filter(status="triaged"))

    def schedule(item: WorkItem) -> None:
        work_item_transition(
            actor=world["rte"], item=item, action="schedule", data={"sprint": nxt["id"]}
        )

    schedule(triaged[0])
    board_few, _ = queries(lambda: rte.get(f"/sprints/{nxt['id']}/board"))
    for item in triaged[1:]:
        schedule(item)
    board_many, r = queries(lambda: rte.get(f"/sprints/{nxt['id']}/board"))
    assert r.json()["count"] == 12
    assert board_many == board_few


def test_increments_team_units_and_velocity(api, world, monday):
    rte = api("rte")
    r = rte.post(
        "/program-increments", {"name": "PI 26.4", "start": "2026-11-16", "end": "2027-01-24"}
    )
    assert r.status_code == 201, r.json()
    pi = r.json()["id"]
    r = rte.client.put(
        "/api/v1/sprints/teams/core-team",
        '{"unit": "hours", "default_capacity": 80}',
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {rte.token}",
    )
    assert r.status_code == 200 and r.json()["unit"] == "hours"
    r = rte.post(
        "/sprints",
        {
            "team": "core-team",
            "name": "Sprint 1",
            "start": "2026-11-16",
            "end": "2026-11-29",
            "increment": pi,
        },
    )
    assert r.status_code == 201, r.json()
    sprint = r.json()
    assert (sprint["capacity"], sprint["unit"], sprint["increment"], sprint["state"]) == (
        80,
        "hours",
        "PI 26.4",
        "current",
    )
    r = rte.patch(f"/sprints/{sprint['id']}", {"capacity": 60, "goal": "Checkout stable"})
    assert (
        r.status_code == 200
        and r.json()["capacity"] == 60
        and r.json()["goal"] == "Checkout stable"
    )
    assert rte.get("/program-increments").json()[0]["sprints"] == ["core-team/Sprint 1"]
    r = rte.post(
        "/sprints",
        {"team": "core-team", "name": "Sprint 2", "start": "2026-11-30", "end": "2026-12-13"},
    )
    item = improvement(world, "Faster builds", estimate=13)
    work_item_transition(
        actor=world["rte"], item=item, action="schedule", data={"sprint": sprint["id"]}
    )
    r = rte.post(f"/sprints/{sprint['id']}/close", {})
    assert r.status_code == 200, r.json()
    assert r.json()["carried_over"] == [item.key]
    r = rte.get("/sprints/velocity", team="core-team")
    assert r.json()["unit"] == "hours"
    assert r.json()["sprints"] == [
        {
            "id": sprint["id"],
            "name": "Sprint 1",
            "committed": 0,
            "committed_done": 0,
            "done": 0,
            "carried_over": 13,
            "added": 13,
            "predictability": None,
        }
    ]
