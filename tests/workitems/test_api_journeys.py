"""API journeys through the development workflows (issue 3 acceptance)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import time_machine

from casebridge.accounts.models import Team
from casebridge.cases.models import Case
from casebridge.cases.services import case_transition
from casebridge.sprints.services import sprint_create
from tests.factories import make_case

TODAY = date(2026, 11, 23)


def escalate(world, category: str, docs: dict[str, str]) -> Case:
    case = case_transition(actor=world["l2"], case=make_case(world), action="take")
    return case_transition(
        actor=world["l2"], case=case, action="escalate", data={"category": category, "docs": docs}
    )


FEATURE_DOCS = {"justification": "Night shifts ask for it", "impact_assessment": "1,200 users"}
WSJF = {"business_value": 8, "time_criticality": 5, "risk_reduction": 3, "job_size": 4}


@pytest.mark.django_db
@time_machine.travel("2026-11-23 10:00Z", tick=False)
def test_feature_pm_approves_rte_defers_then_both_approve(api, world):
    case = escalate(world, "feature", FEATURE_DOCS)
    key = case.work_item.key
    assert key.startswith("FR-")
    pm, rte = api("pm"), api("rte")

    r = pm.post(f"/work-items/{key}/transition", {"action": "approve", "data": WSJF})
    assert r.status_code == 200, r.json()
    assert r.json()["status"] == "under_review"
    assert r.json()["pm_decision"] == "approve"

    r = rte.post(f"/work-items/{key}/transition", {"action": "defer", "data": {"reason": "Q1"}})
    assert r.status_code == 409
    assert set(r.json()["fields"]) == {"revisit_on"}

    revisit = (TODAY + timedelta(days=30)).isoformat()
    r = rte.post(
        f"/work-items/{key}/transition",
        {"action": "defer", "data": {"reason": "After the Q1 freeze", "revisit_on": revisit}},
    )
    assert r.status_code == 200, r.json()
    assert r.json()["status"] == "deferred"
    assert r.json()["revisit_on"] == revisit

    r = rte.post(f"/work-items/{key}/transition", {"action": "reconsider"})
    assert r.json()["status"] == "under_review"
    assert r.json()["pm_decision"] == r.json()["rte_decision"] == ""

    r = pm.post(f"/work-items/{key}/transition", {"action": "approve", "data": WSJF})
    assert r.json()["status"] == "under_review"
    r = rte.post(f"/work-items/{key}/transition", {"action": "approve"})
    assert r.status_code == 200, r.json()
    body = r.json()
    assert body["status"] == "approved"
    assert (body["pm_decision"], body["rte_decision"]) == ("approve", "approve")
    assert body["wsjf"] == 4.0  # (8 + 5 + 3) / 4


@pytest.mark.django_db
def test_feature_approval_without_wsjf_lists_every_missing_input(api, world):
    key = escalate(world, "feature", FEATURE_DOCS).work_item.key
    r = api("pm").post(
        f"/work-items/{key}/transition", {"action": "approve", "data": {"job_size": 3}}
    )
    assert r.status_code == 409
    assert set(r.json()["fields"]) == {"business_value", "time_criticality", "risk_reduction"}


@pytest.mark.django_db
def test_improvement_to_devops_carried_to_done(api, world):
    docs = {
        "rationale": "Mail delays reach us late",
        "expected_benefit": "5 min",
        "area": "reliability",
    }
    case = escalate(world, "improvement", docs)
    key = case.work_item.key
    assert key.startswith("IMP-")
    rte = api("rte")
    r = rte.post(f"/work-items/{key}/transition", {"action": "approve"})
    assert r.status_code == 409 and "team" in r.json()["fields"]
    r = rte.post(
        f"/work-items/{key}/transition", {"action": "approve", "data": {"team": "platform"}}
    )
    assert r.status_code == 200, r.json()
    assert r.json()["status"] == "approved" and r.json()["team"] == "platform"

    r = rte.post(f"/work-items/{key}/assign", {"assignees": ["dev3"]})
    assert r.status_code == 409
    assert "Platform implements this" in r.json()["fields"]["assignees"]
    r = rte.post(f"/work-items/{key}/assign", {"assignees": ["devops"]})
    assert r.status_code == 200, r.json()

    devops = api("devops")
    assert (
        devops.post(f"/work-items/{key}/transition", {"action": "start"}).json()["status"]
        == "in_progress"
    )
    assert (
        devops.post(f"/work-items/{key}/transition", {"action": "submit_review"}).json()["status"]
        == "in_review"
    )
    r = api("l2").post(f"/work-items/{key}/transition", {"action": "verify"})
    assert r.status_code == 409 and "approved review" in r.json()["message"]
    r = devops.post(f"/work-items/{key}/transition", {"action": "approve_review"})
    assert r.status_code == 409 and "never an assignee" in r.json()["message"]
    r = api("dev3").post(f"/work-items/{key}/transition", {"action": "approve_review"})
    assert r.status_code == 200, r.json()
    r = api("l2").post(f"/work-items/{key}/transition", {"action": "verify"})
    assert r.status_code == 200, r.json()
    assert r.json()["status"] == "done"
    case.refresh_from_db()
    assert (case.state, case.resolution) == ("resolved", "fixed")


@pytest.mark.django_db
def test_refusal_at_the_api_lists_every_reason(api, world):
    key = escalate(
        world,
        "bug",
        {
            "steps_to_reproduce": "x",
            "expected_result": "y",
            "actual_result": "z",
            "log_excerpt": "E",
        },
    ).work_item.key
    r = api("dev2").post(
        f"/work-items/{key}/transition", {"action": "schedule", "data": {"sprint": 999}}
    )
    assert r.status_code == 409
    codes = {reason["code"] for reason in r.json()["reasons"]}
    assert codes == {"invalid", "state", "role"}, r.json()


@pytest.mark.django_db
def test_unknown_data_field_is_named(api, world):
    key = escalate(world, "feature", FEATURE_DOCS).work_item.key
    r = api("pm").post(
        f"/work-items/{key}/transition", {"action": "approve", "data": {"colour": "red"}}
    )
    assert r.status_code == 422
    assert "data.colour" in r.json()["fields"]


@pytest.mark.django_db
def test_sprint_listing_and_schedule(api, world):
    team = Team.objects.get(slug="core-team")
    sprint = sprint_create(
        actor=world["rte"],
        team=team,
        name="S1",
        start=date.today(),
        end=date.today() + timedelta(days=13),
    )
    r = api("rte").get("/sprints")
    assert r.status_code == 200 and r.json()[0]["id"] == sprint.pk and r.json()[0]["current"]
    assert api("cust_a").get("/sprints").json() == []
