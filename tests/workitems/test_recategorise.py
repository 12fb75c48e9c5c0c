"""Re-categorising a bug (issue 10): the new feature request or improvement is documented as the
escalation gate asks for its category; a refusal names every missing field, through the API,
the work item's page and the CLI."""

from __future__ import annotations

import re
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client

from casebridge.workitems.models import EscalationPolicy, WorkItem
from tests import factories
from tests.contract.support import snapshot
from tests.web.work_items import new_item

IMPROVEMENT = {
    "rationale": "Pods are restarted by hand twice a week",
    "expected_benefit": "No manual restarts",
    "area": "reliability",
}
FEATURE = {
    "justification": "Finance teams ask for CSV exports",
    "impact_assessment": "12 customers, renewal risk for two",
}


def recategorise(api: Any, item: WorkItem, **data: Any) -> Any:
    body = {"action": "recategorise", "data": {"reason": "Not a defect", **data}}
    return api("rte").post(f"/work-items/{item.key}/transition", body)


@pytest.mark.django_db
@pytest.mark.parametrize(("category", "docs"), [("improvement", IMPROVEMENT), ("feature", FEATURE)])
def test_the_api_refuses_until_the_new_category_is_documented(
    api: Any, world: factories.World, category: str, docs: dict[str, str]
) -> None:
    bug = new_item(world, "bug")
    cases = [c.key for c in bug.cases.all()]
    before = snapshot()
    refused = recategorise(api, bug, category=category)
    assert refused.status_code == 409
    assert set(refused.json()["fields"]) == set(docs)
    assert snapshot() == before
    done = recategorise(api, bug, category=category, **docs)
    assert done.status_code == 200, done.json()
    new_key = done.json()["superseded_by"]
    new = api("rte").get(f"/work-items/{new_key}").json()
    assert new["category"] == category
    for name, value in docs.items():
        assert new[name] == value
    assert new["description"] == bug.description
    assert new["cases"] == cases


@pytest.mark.django_db
def test_an_unknown_area_is_named(api: Any, world: factories.World) -> None:
    bug = new_item(world, "bug")
    response = recategorise(api, bug, category="improvement", **{**IMPROVEMENT, "area": "moon"})
    assert response.status_code == 409
    assert set(response.json()["fields"]) == {"area"}


@pytest.mark.django_db
def test_the_admins_policy_for_the_category_applies(api: Any, world: factories.World) -> None:
    EscalationPolicy.objects.create(category="improvement", required=["rationale"])
    bug = new_item(world, "bug")
    response = recategorise(api, bug, category="improvement", rationale="Toil")
    assert response.status_code == 200, response.json()


@pytest.mark.django_db
def test_the_page_asks_for_the_documentation_and_names_what_is_missing(
    world: factories.World,
) -> None:
    bug = new_item(world, "bug")
    rte = Client()
    rte.force_login(world["rte"])
    page = rte.get(f"/work-items/{bug.key}/").content.decode()
    for name in ("rationale", "expected_benefit", "area", "justification", "impact_assessment"):
        assert f'name="recategorise-{name}"' in page, name
    form = {"recategorise-category": "improvement", "recategorise-reason": "Toil, not a bug"}
    response = rte.post(f"/work-items/{bug.key}/actions/recategorise/", form)
    assert response.status_code == 409
    page = response.content.decode()
    for field in ("rationale", "expected_benefit", "area"):
        assert re.search(rf'field-{field} has-error">.*?field-error', page, re.S), field
    assert "Toil, not a bug</textarea>" in page
    form |= {f"recategorise-{k}": v for k, v in IMPROVEMENT.items()}
    assert rte.post(f"/work-items/{bug.key}/actions/recategorise/", form).status_code == 302
    new = WorkItem.objects.get(category="improvement")
    assert (new.expected_benefit, new.area) == ("No manual restarts", "reliability")


@pytest.mark.django_db
def test_the_cli_takes_the_documentation(world: factories.World) -> None:
    bug = new_item(world, "bug")
    args = ["work-item", "transition", bug.key, "recategorise", "--as", "rte"]
    args += ["--reason", "Toil", "--set", "category=improvement"]
    with pytest.raises(CommandError) as refused:
        call_command(*args, stdout=StringIO(), stderr=StringIO())
    for field in ("rationale", "expected_benefit", "area"):
        assert f"[{field}]" in str(refused.value)
    for name, value in IMPROVEMENT.items():
        args += ["--set", f"{name}={value}"]
    call_command(*args, stdout=StringIO(), stderr=StringIO())
    assert WorkItem.objects.get(category="improvement").area == "reliability"
