"""Copy that read wrong when the product was tried as a new user would (issue 10): plurals and
articles come from ``core.text``; an improvement's fix names no "unknown version"."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.messages import get_messages
from django.test import Client

from casebridge.cases.models import Case
from casebridge.cases.services import case_transition
from casebridge.workitems.services import work_item_create
from tests import factories
from tests.occurrences.test_recurring import _case, _detect
from tests.web.work_items import act, escalated

pytestmark = pytest.mark.django_db


def signed_in(world: factories.World, username: str) -> Client:
    client = Client()
    client.force_login(world[username])
    return client


def test_linking_a_cluster_of_one_open_case_says_1_case(world: factories.World) -> None:
    """Issue 10: "1 cases of RC-8"."""
    cases = [_case(world, day, n=day) for day in (1, 2, 3)]
    _detect(4)
    for case in cases[1:]:
        case_transition(
            actor=world["l2"],
            case=case,
            action="resolve",
            data={"resolution": "no_fault", "note": "Works as designed"},
        )
    bug = work_item_create(actor=world["l2"], category="bug", title="DB refuses", docs={})
    from casebridge.occurrences.models import RecurringCluster

    cluster = RecurringCluster.objects.get(basis="signature")
    client = signed_in(world, "l2")
    response = client.post(f"/recurring/{cluster.key}/link/", {"link-work_item": bug.key})
    assert response.status_code == 302
    told = [str(m) for m in get_messages(response.wsgi_request)]
    assert told == [f"1 case of {cluster.key} follows {bug.key} (2 not open, left as they are)."], (
        told
    )


def test_an_improvement_refusal_says_an_improvement(world: factories.World, api: Any) -> None:
    """Issue 10: "needed for a improvement"."""
    case = case_transition(actor=world["l2"], case=factories.make_case(world), action="take")
    response = api("l2").post(
        f"/cases/{case.key}/escalate", {"category": "improvement", "rationale": "Slow"}
    )
    assert response.status_code == 409
    messages = [r["message"] for r in response.json()["reasons"]]
    assert messages and all(m.endswith("(needed for an improvement)") for m in messages)
    page = signed_in(world, "l2").post(
        f"/cases/{case.key}/escalate/checklist/", {"category": "improvement"}
    )
    assert "An improvement needs:" in page.content.decode()


def test_an_improvement_fixes_its_cases_without_an_unknown_version(
    world: factories.World,
) -> None:
    """Issue 10: "Fixed by IMP-5 in unknown version"."""
    case = escalated(world, "improvement")
    item = case.work_item
    assert item is not None
    act(world, "rte", item, "approve", team="platform")
    act(world, "rte", item, "assign", assignees=["devops"])
    act(world, "devops", item, "start")
    act(world, "devops", item, "submit_review")
    act(world, "dev3", item, "approve_review")
    act(world, "l2", item, "verify")
    case = Case.objects.get(pk=case.pk)
    assert (case.state, case.resolution) == ("resolved", "fixed")
    assert case.resolution_note == f"Fixed by {item.key}"
    assert (
        "unknown version"
        not in signed_in(world, "cust_a").get(f"/portal/cases/{case.key}/").content.decode()
    )
