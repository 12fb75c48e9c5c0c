"""``casebridge work-item list|show|transition`` and ``casebridge workflow show`` (issue 3).

A refused transition is a ``CommandError`` whose message lists every reason (with the field it
concerns) and whose return code is non-zero; it changes nothing.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import timedelta
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from casebridge.accounts.models import Team
from casebridge.cases.services import case_transition
from casebridge.sprints.models import Sprint
from casebridge.sprints.selectors.sprints import today
from casebridge.sprints.services import sprint_create
from casebridge.workflows.engine import StateGroup
from casebridge.workflows.render import as_mermaid
from casebridge.workitems.definitions import WORKFLOWS
from casebridge.workitems.models import WorkItem
from casebridge.workitems.services import work_item_transition
from tests import factories
from tests.contract.support import shared_by_module, snapshot

BUG_DOCS = {
    "steps_to_reproduce": "Pay with a Visa card",
    "expected_result": "Paid",
    "actual_result": "502",
    "log_excerpt": "ERROR gateway timeout",
}


@pytest.fixture(scope="module")
def shared(
    django_db_setup: None, django_db_blocker: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[factories.World, Sprint]]:
    with django_db_blocker.unblock(), shared_by_module(tmp_path_factory.mktemp("media")):
        world = factories.build_world()
        day = today()
        sprint = sprint_create(
            actor=None,
            team=Team.objects.get(slug="core-team"),
            name="Now",
            start=day - timedelta(days=2),
            end=day + timedelta(days=11),
        )
        yield world, sprint


@pytest.fixture
def world(shared: tuple[factories.World, Sprint], db: None) -> factories.World:
    return shared[0]


@pytest.fixture
def sprint(shared: tuple[factories.World, Sprint], db: None) -> Sprint:
    return shared[1]


def escalated_bug(world: factories.World) -> WorkItem:
    """A bug escalated by L2 from a case (on the critical Checkout API component)."""
    case = case_transition(actor=world["l2"], case=factories.make_case(world), action="take")
    case = case_transition(
        actor=world["l2"], case=case, action="escalate", data={"category": "bug", "docs": BUG_DOCS}
    )
    assert case.work_item is not None
    return case.work_item


def cli(*args: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out, stderr=StringIO())
    return out.getvalue()


def refused(*args: str) -> CommandError:
    before = snapshot()
    with pytest.raises(CommandError) as error:
        cli(*args)
    assert snapshot() == before, "a refused command changed nothing"
    return error.value


@pytest.mark.django_db
def test_a_refused_transition_lists_every_reason_and_exits_non_zero(
    world: factories.World,
) -> None:
    key = escalated_bug(world).key
    error = refused(
        "work-item", "transition", key, "schedule", "--as", "dev2", "--set", "sprint=999"
    )
    assert error.returncode == 2
    message = str(error)
    assert message.startswith("Cannot schedule (3 reasons)"), message
    lines = message.splitlines()[1:]
    assert lines == [
        "  - No sprint 999 [sprint]",
        "  - Schedule is not possible from 'New' [action]",
        "  - Schedule needs the role: Release train engineer",
    ]
    assert WorkItem.objects.get(key=key).status == "new"


@pytest.mark.django_db
def test_a_refused_assignment_lists_every_broken_policy(
    world: factories.World, sprint: Sprint
) -> None:
    item = escalated_bug(world)
    item = work_item_transition(
        actor=world["rte"],
        item=item,
        action="triage",
        data={"priority": "critical", "impact": "All card payments"},
    )
    work_item_transition(
        actor=world["rte"], item=item, action="schedule", data={"sprint": sprint.pk}
    )
    error = refused(
        "work-item", "transition", item.key, "assign", "--as", "rte", "--set", "assignees=dev1"
    )
    assert error.returncode == 2
    reasons = [line for line in str(error).splitlines() if line.startswith("  - ")]
    assert len(reasons) == 3, str(error)
    assert "critical bug needs an L3+ developer" in reasons[0] and reasons[0].endswith(
        "[assignees]"
    )
    assert "works under guidance" in reasons[1] and reasons[1].endswith("[mentor]")
    assert "Checkout API is a critical component" in reasons[2]


@pytest.mark.django_db
def test_a_transition_with_input_applies_it(world: factories.World) -> None:
    key = escalated_bug(world).key
    out = cli(
        "work-item",
        "transition",
        key,
        "triage",
        "--as",
        "rte",
        "--set",
        "priority=major",
        "--set",
        "impact=3% of EU card payments fail",
    )
    assert out.strip() == f"{key}: triage -> triaged"
    item = WorkItem.objects.get(key=key)
    assert (item.priority, item.impact) == ("major", "3% of EU card payments fail")
    out = cli("work-item", "transition", key, "needs_info", "--as", "rte", "--reason", "Logs?")
    assert out.strip() == f"{key}: needs_info -> needs_info"


@pytest.mark.django_db
def test_transition_json_prints_the_item(
    world: factories.World, capsys: pytest.CaptureFixture[str]
) -> None:
    key = escalated_bug(world).key
    cli("work-item", "transition", key, "needs_info", "--as", "rte", "--reason", "Logs?", "--json")
    body = json.loads(capsys.readouterr().out)
    assert (body["key"], body["status"], body["group"]) == (key, "needs_info", "open")


@pytest.mark.django_db
def test_bad_command_lines_are_refused_with_code_2(world: factories.World) -> None:
    key = escalated_bug(world).key
    error = refused("work-item", "transition", key, "triage", "--as", "rte", "--set", "priority")
    assert (error.returncode, str(error)) == (2, "--set takes name=value, not 'priority'")
    error = refused("work-item", "transition", key, "triage", "--as", "nobody")
    assert error.returncode == 2 and "no active user 'nobody'" in str(error)
    error = refused("work-item", "transition", key, "teleport", "--as", "rte")
    assert error.returncode == 2 and "Unknown action 'teleport'" in str(error)
    error = refused("work-item", "show", "BUG-999", "--as", "rte")
    assert error.returncode == 2 and "No work item BUG-999" in str(error)
    error = refused("work-item", "show", key, "--as", "cust_a")  # customers never see items
    assert error.returncode == 2 and f"No work item {key}" in str(error)


@pytest.mark.django_db
def test_show_lists_allowed_actions_and_why_the_others_are_not(world: factories.World) -> None:
    item = escalated_bug(world)
    out = cli("work-item", "show", item.key, "--as", "rte")
    lines = out.splitlines()
    assert lines[0] == f"{item.key}  {item.title}"
    assert lines[1] == "  bug, new (open)"
    assert "  actions:" in lines
    assert "    + triage (needs priority, impact)" in lines
    assert "    + mark_duplicate (needs duplicate_of)" in lines
    assert any(line.startswith("  cases: CB-") for line in lines)
    out = cli("work-item", "show", item.key, "--as", "dev3")
    assert "    - triage: Triage needs the role: Release train engineer" in out.splitlines()
    assert "+ " not in out  # a developer may do nothing with a new bug


@pytest.mark.django_db
def test_list_json_filters_and_hides_items_from_customers(
    world: factories.World, capsys: pytest.CaptureFixture[str]
) -> None:
    first, second = escalated_bug(world), escalated_bug(world)
    work_item_transition(
        actor=world["rte"], item=second, action="needs_info", data={"reason": "Logs?"}
    )
    cli("work-item", "list", "--as", "rte", "--json")
    rows = json.loads(capsys.readouterr().out)
    assert [r["key"] for r in rows] == [second.key, first.key]
    assert set(rows[0]) >= {"key", "category", "title", "status", "group", "assignees", "cases"}
    cli("work-item", "list", "--as", "rte", "--json", "--status", "needs_info")
    assert [r["key"] for r in json.loads(capsys.readouterr().out)] == [second.key]
    cli("work-item", "list", "--as", "rte", "--json", "--category", "feature")
    assert json.loads(capsys.readouterr().out) == []
    cli("work-item", "list", "--as", "cust_a", "--json")
    assert json.loads(capsys.readouterr().out) == []
    out = cli("work-item", "list", "--as", "rte", "--group", "open")
    assert [line.split()[0] for line in out.splitlines()] == [second.key, first.key]


@pytest.mark.parametrize("name", list(WORKFLOWS))
def test_workflow_show_mermaid_draws_every_transition(name: str) -> None:
    out = cli("workflow", "show", name, "--format", "mermaid")
    workflow = WORKFLOWS[name]
    assert out.strip() == as_mermaid(workflow).strip()
    lines = out.splitlines()
    assert lines[0] == "stateDiagram-v2"
    assert f"    [*] --> {workflow.initial}" in lines
    drawn = {
        match.groups()
        for line in lines
        if (match := re.fullmatch(r"    (\w+) --> (\w+): (\w+)", line))
    }
    expected = {
        (source, target or source, t.action)
        for t in workflow.transitions
        for source in t.sources
        for target in (t.targets() or {None})
    }
    assert drawn == expected
    done = workflow.states_in(StateGroup.DONE, StateGroup.REJECTED)
    assert all(f"    {state} --> [*]" in lines for state in done)


def test_workflow_show_text_names_every_action() -> None:
    out = cli("workflow", "show", "bug")
    for t in WORKFLOWS["bug"].transitions:
        assert t.action in out
    assert "awaiting_validation" in out
