"""The README's "first run without the demo", run line by line on an empty database: an
administrator, an organisation, a service, a team and users from the CLI alone; an L1 logs a
case, an L2 escalates it, the RTE triages and schedules it, a developer of the team takes it."""

from __future__ import annotations

import re
import shlex
from datetime import timedelta
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.utils import timezone

from casebridge.accounts.models import Team
from casebridge.audit.models import AuditEvent
from casebridge.cases.models import Case
from casebridge.workitems.models import WorkItem

README = Path(__file__).resolve().parents[2] / "README.md"


def first_run_lines() -> list[str]:
    text = README.read_text(encoding="utf-8")
    block = text.split("<!-- first-run:start -->")[1].split("<!-- first-run:end -->")[0]
    return [line for line in block.splitlines() if line.startswith("casebridge ")]


def _expand(line: str) -> list[str]:
    """The two shell substitutions the README uses: today and today + 13 days."""
    today = timezone.localdate()
    line = line.replace("$(date +%F)", today.isoformat())
    line = line.replace("$(date -d '+13 days' +%F)", (today + timedelta(days=13)).isoformat())
    assert "$(" not in line, line
    return shlex.split(line)[1:]


@pytest.mark.django_db(transaction=True)
def test_first_run_from_the_readme_works_command_by_command() -> None:
    lines = first_run_lines()
    assert len(lines) >= 15
    outputs = []
    for line in lines:
        args = _expand(line)
        if args[0] == "migrate":
            continue  # the test database is migrated already
        out = StringIO()
        call_command(*args, stdout=out, stderr=StringIO())
        outputs.append(out.getvalue())
    case = Case.objects.get(key="CB-1")
    item = WorkItem.objects.get(key="BUG-1")
    assert case.state == "escalated"
    assert case.organisation.slug == "acme" and case.reporter.username == "alice"
    assert item.status == "in_progress"
    assert [u.username for u in item.assignees.all()] == ["sofia"]
    assert item.team == Team.objects.get(slug="core-team")
    assert item.component is not None and item.component.critical
    assert AuditEvent.objects.filter(subject_type="case_policy", new="10").exists()
    assert re.search(r"bug +description", "\n".join(outputs))


def test_user_create_names_the_missing_organisation(db: None) -> None:
    """The complaint of the issue: with no way to create it, `--org acme` could only fail."""
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="No organisation 'acme'"):
        call_command(
            "user",
            "create",
            "bob",
            "--email",
            "bob@acme.example",
            "--role",
            "reporter",
            "--org",
            "acme",
            stdout=StringIO(),
        )
    call_command("org", "create", "Acme Retail", "--slug", "acme", stdout=StringIO())
    call_command(
        "user",
        "create",
        "bob",
        "--email",
        "bob@acme.example",
        "--role",
        "reporter",
        "--org",
        "acme",
        stdout=StringIO(),
    )
