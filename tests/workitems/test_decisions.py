"""Decisions on feature requests and improvements (issue 10): a role decides once per review
round, the page then offers no button for it, and the reason of every decision (an approval's
too, from the CLI, the API or the page) is the decision's reason, not only the audit's."""

from __future__ import annotations

import json
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client

from casebridge.audit.models import AuditEvent
from casebridge.core.errors import TransitionRefused
from casebridge.workitems.models import WorkItem
from casebridge.workitems.services import work_item_transition
from tests import factories
from tests.contract.support import snapshot
from tests.web.conftest import html
from tests.web.work_items import new_item

pytestmark = pytest.mark.django_db

WSJF = {"business_value": 8, "time_criticality": 5, "risk_reduction": 3, "job_size": 2}


def act(world: factories.World, who: str, item: WorkItem, action: str, **data: Any) -> WorkItem:
    fresh = WorkItem.objects.get(pk=item.pk)
    return work_item_transition(actor=world[who], item=fresh, action=action, data=data)


def test_the_pm_approves_once(world: factories.World) -> None:
    item = new_item(world, "feature")
    item = act(world, "pm", item, "approve", **WSJF)
    assert (item.status, item.pm_decision) == ("under_review", "approve")
    before = snapshot()
    events = AuditEvent.objects.count()
    for action, data in (
        ("approve", {}),
        ("reject", {"reason": "Changed my mind"}),
        ("defer", {"reason": "Later", "revisit_on": "2999-01-01"}),
    ):
        with pytest.raises(TransitionRefused) as refused:
            act(world, "pm", item, action, **data)
        assert [r.code for r in refused.value.reasons] == ["decided"], action
        assert "The product manager already decided: approved by pm" in str(refused.value)
    assert AuditEvent.objects.count() == events, "a repeated decision writes nothing"
    assert snapshot() == before
    done = act(world, "rte", item, "approve")
    assert (done.status, done.rte_decision) == ("approved", "approve")


def test_the_approve_button_is_gone_once_the_pm_approved(world: factories.World) -> None:
    item = new_item(world, "feature")
    client = Client()
    client.force_login(world["pm"])
    page = html(client.get(f"/work-items/{item.key}/"))
    assert 'data-action="approve"' in page.split('id="unavailable"')[0]
    fields = {f"approve-{k}": str(v) for k, v in WSJF.items()}
    fields["approve-reason"] = "Night shifts lose an hour a day"
    response = client.post(f"/work-items/{item.key}/actions/approve/", fields)
    assert response.status_code == 302
    page = html(client.get(f"/work-items/{item.key}/"))
    offered, _, unavailable = page.partition('id="unavailable"')
    assert 'data-action="approve"' not in offered
    assert 'data-action="reject"' not in offered and 'data-action="defer"' not in offered
    assert "The product manager already decided: approved" in unavailable
    assert "Night shifts lose an hour a day" in page.split('data-testid="pm-decision"')[1]
    again = client.post(f"/work-items/{item.key}/actions/approve/", fields)
    assert again.status_code == 409
    assert WorkItem.objects.get(pk=item.pk).status == "under_review"


def test_someone_both_pm_and_rte_decides_once_per_role(world: factories.World) -> None:
    from casebridge.accounts.services import user_create

    both = user_create(
        actor=None, username="pmrte", email="pmrte@example.com", roles=["product_manager", "rte"]
    )
    item = new_item(world, "feature")
    item = work_item_transition(
        actor=both, item=item, action="approve", data={**WSJF, "as_role": "product_manager"}
    )
    options = {o.transition.action: o for o in _options(both, item)}
    assert not options["approve"].allowed
    assert [r.code for r in options["approve"].reasons] == ["same_person"]
    with pytest.raises(TransitionRefused) as refused:
        work_item_transition(
            actor=both,
            item=item,
            action="reject",
            data={"reason": "x", "as_role": "product_manager"},
        )
    assert [r.code for r in refused.value.reasons] == ["decided"]


def _options(user: Any, item: WorkItem) -> list[Any]:
    from casebridge.workitems.definitions import workflow_for

    return workflow_for(item.category).options_for(user, WorkItem.objects.get(pk=item.pk))


def test_approve_reason_from_the_cli_is_the_decisions_reason(
    world: factories.World, capsys: pytest.CaptureFixture[str]
) -> None:
    """Issue 10: ``approve --reason`` went only to the audit trail."""
    item = new_item(world, "feature")
    capsys.readouterr()
    args = ["work-item", "transition", item.key, "approve", "--as", "pm", "--json"]
    args += [f"--set={k}={v}" for k, v in WSJF.items()]
    call_command(*args, "--reason", "Fits the night-shift roadmap", stdout=StringIO())
    body = json.loads(capsys.readouterr().out)
    assert body["pm_decision"] == "approve"
    assert body["pm_decision_reason"] == "Fits the night-shift roadmap"
    assert body["decision_reason"] == "Fits the night-shift roadmap"
    call_command("work-item", "transition", item.key, "approve", "--as", "rte", stdout=StringIO())
    item = WorkItem.objects.get(pk=item.pk)
    assert item.status == "approved"
    assert item.pm_decision_reason == "Fits the night-shift roadmap"
    assert item.rte_decision_reason == ""
    assert item.decision_reason == "Fits the night-shift roadmap", "kept without a new reason"


def test_each_roles_reason_through_the_api(world: factories.World, api: Any) -> None:
    item = new_item(world, "feature")
    r = api("pm").post(
        f"/work-items/{item.key}/transition",
        {"action": "approve", "data": {**WSJF, "reason": "Worth it"}},
    )
    assert r.status_code == 200, r.json()
    r = api("rte").post(
        f"/work-items/{item.key}/transition",
        {"action": "defer", "data": {"reason": "No capacity", "revisit_on": "2999-01-01"}},
    )
    body = r.json()
    assert (body["status"], body["pm_decision_reason"], body["rte_decision_reason"]) == (
        "deferred",
        "Worth it",
        "No capacity",
    )
    assert body["decision_reason"] == "No capacity"
    r = api("rte").post(f"/work-items/{item.key}/transition", {"action": "reconsider"})
    body = r.json()
    assert (body["pm_decision"], body["pm_decision_reason"], body["rte_decision_reason"]) == (
        "",
        "",
        "",
    )
