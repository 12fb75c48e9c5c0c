"""Data in and out: a JSON lines export imported into an empty database gives back the same cases,
comments and work items with their keys and links, importing twice changes nothing, a bad file
writes nothing; cases from another tool's CSV with a column mapping."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from casebridge.cases.models import Case, Comment
from casebridge.cases.services import comment_add
from casebridge.core.errors import ValidationFailed
from casebridge.transfer.jsonl import export_lines, import_lines
from casebridge.workitems.conversation import work_item_comment_add, work_item_link_set
from casebridge.workitems.models import WorkItem, WorkItemComment
from tests import factories

pytestmark = pytest.mark.django_db


def _snapshot() -> dict[str, Any]:
    return {
        "cases": list(
            Case.objects.order_by("key").values_list(
                "key", "title", "state", "reporter__username", "work_item__key", "created_at"
            )
        ),
        "comments": list(
            Comment.objects.order_by("case__key", "created_at").values_list(
                "case__key", "author__username", "body", "internal", "created_at"
            )
        ),
        "items": list(
            WorkItem.objects.order_by("key").values_list("key", "title", "status", "dev_link")
        ),
        "item_comments": list(
            WorkItemComment.objects.order_by("work_item__key", "created_at").values_list(
                "work_item__key", "author__username", "body", "created_at"
            )
        ),
    }


def _escalated(world: factories.World) -> Case:
    case = factories.make_case(world, title="Refunds stuck")
    from casebridge.cases.services import case_transition

    case_transition(actor=world["l2"], case=case, action="take", data={})
    docs = {
        "steps_to_reproduce": "1. Refund an order",
        "expected_result": "Refund issued",
        "actual_result": "Stuck",
        "version": "4.2.1",
        "log_excerpt": "2026-12-06 09:00:01 ERROR refund stuck",
    }
    case_transition(
        actor=world["l2"], case=case, action="escalate", data={"category": "bug", "docs": docs}
    )
    case.refresh_from_db()
    return case


def test_an_export_comes_back_the_same_in_an_empty_database(world: factories.World) -> None:
    escalated = _escalated(world)
    other = factories.make_case(world, title="Login slow")
    comment_add(actor=world["l2"], case=other, body="Looking at it", internal=True)
    comment_add(actor=world["cust_a"], case=other, body="Thanks!")
    assert escalated.work_item is not None
    item = escalated.work_item
    work_item_comment_add(actor=world["dev3"], item=item, body="Reproduced, @l2 thanks")
    work_item_link_set(actor=world["dev3"], item=item, url="https://git.example.com/shop/pull/7")
    before = _snapshot()
    assert before["item_comments"] and before["items"][0][3]
    lines = list(export_lines())
    kinds = [json.loads(line)["type"] for line in lines]
    order = ["work_item", "case", "comment", "work_item_comment"]
    assert kinds == sorted(kinds, key=order.index)

    WorkItemComment.objects.all().delete()
    Comment.objects.all().delete()
    Case.objects.all().delete()
    WorkItem.objects.all().delete()

    result = import_lines(lines)
    assert result.created == {
        "work_item": 1,
        "case": 2,
        "comment": len(before["comments"]),
        "work_item_comment": 1,
    }
    assert _snapshot() == before

    again = import_lines(lines)
    assert again.created == dict.fromkeys(order, 0)
    assert _snapshot() == before

    fresh = factories.make_case(world, title="After the import")
    assert fresh.key not in {row[0] for row in before["cases"]}


def test_a_file_with_a_bad_line_imports_nothing_and_names_the_line(
    world: factories.World,
) -> None:
    case = factories.make_case(world)
    lines = list(export_lines())
    Case.objects.all().delete()
    broken = json.loads(lines[0])
    broken["reporter"] = "nobody-here"
    bad = [*lines, json.dumps(broken), "{not json", json.dumps({"type": "ticket"})]
    with pytest.raises(ValidationFailed) as refused:
        import_lines(bad)
    text = refused.value.fields["file"]
    assert "line 2: reporter: no user 'nobody-here'" in text
    assert "line 3: json: not JSON" in text and "line 4: type: use one of" in text
    assert not Case.objects.filter(key=case.key).exists()


def test_export_since_takes_only_what_changed(world: factories.World) -> None:
    factories.make_case(world, title="Old one")
    Case.objects.update(created_at="2026-01-01T00:00:00Z", updated_at="2026-01-01T00:00:00Z")
    new = factories.make_case(world, title="New one")
    out = io.StringIO()
    call_command("export", "--since", "2026-06-01", stdout=out)
    # the command writes to the process's stdout; read through export_lines for the content
    from casebridge.transfer.management.commands.export import since_value

    keys = [json.loads(line).get("key") for line in export_lines(since=since_value("2026-06-01"))]
    assert new.key in keys and len([k for k in keys if k and k.startswith("CB-")]) == 1
    with pytest.raises(CommandError, match="--since"):
        call_command("export", "--since", "yesterday")


def test_cases_from_another_tools_csv_with_a_column_mapping(
    world: factories.World, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "from-jira.csv"
    path.write_text(
        "Summary,Details,Product,Severity\n"
        "Checkout times out,Since 9:00,payments,high\n"
        "Invoices missing,Two customers,payments,\n",
        encoding="utf-8",
    )
    maps = [
        "--map",
        "title=Summary",
        "--map",
        "description=Details",
        "--map",
        "service=Product",
        "--map",
        "impact=Severity",
    ]
    call_command("import", str(path), "--format", "csv", *maps, "--as", "l2", "--json")
    printed = json.loads(capsys.readouterr().out)
    assert printed["created"] == {"case": 2}
    first = Case.objects.get(key=printed["keys"][0])
    assert (first.title, first.description, first.impact) == (
        "Checkout times out",
        "Since 9:00",
        "high",
    )

    path.write_text("Summary,Product\nGood row,payments\nBad row,no-such-service\n")
    with pytest.raises(CommandError) as refused:
        call_command(
            "import",
            str(path),
            "--format",
            "csv",
            "--map",
            "title=Summary",
            "--map",
            "service=Product",
            "--as",
            "l2",
        )
    assert "row 3: service" in str(refused.value)
    assert not Case.objects.filter(title="Good row").exists()
    with pytest.raises(CommandError, match="no field 'titel'"):
        call_command("import", str(path), "--format", "csv", "--map", "titel=Summary", "--as", "l2")
