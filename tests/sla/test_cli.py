"""casebridge sla: calendars and policies from the shell, JSON output, clear errors."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from tests import factories


def sla(*args: str) -> str:
    out = StringIO()
    call_command("sla", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def test_admin_creates_lists_updates_and_deletes(world: factories.World) -> None:
    created = json.loads(
        sla(
            "calendar", "create", "--as", "admin", "--name", "Berlin office",
            "--timezone", "Europe/Berlin", "--weekdays", "09:00-17:00",
            "--holiday-country", "DE", "--holiday-subdivision", "BE", "--json",
        )
    )  # fmt: skip
    assert created["slug"] == "berlin-office"
    assert created["hours"]["fri"] == [["09:00", "17:00"]]
    sla("policy", "create", "--as", "admin", "--name", "Critical", "--calendar", "berlin-office",
        "--impacts", "critical", "--first-response", "60", "--resolution", "480")  # fmt: skip
    sla("policy", "create", "--as", "admin", "--name", "Standard", "--calendar", "berlin-office",
        "--first-response", "240")  # fmt: skip
    listing = sla("policy", "list", "--as", "l2")
    assert listing.index("critical") < listing.index("standard")
    assert "impacts=critical -> first response 60 min, resolution 480 min" in listing
    sla("policy", "order", "standard", "critical", "--as", "admin")
    order = [p["slug"] for p in json.loads(sla("policy", "list", "--as", "admin", "--json"))]
    assert order == ["standard", "critical"]
    updated = json.loads(
        sla("policy", "update", "critical", "--as", "admin", "--warn-percent", "80", "--json")
    )
    assert updated["warn_percent"] == 80
    assert "deleted policy standard" in sla("policy", "delete", "standard", "--as", "admin")


def test_errors_name_the_field_and_exit_non_zero(world: factories.World) -> None:
    with pytest.raises(CommandError) as refused:
        sla("calendar", "create", "--as", "l2", "--name", "X", "--always-open", "yes")
    assert "administrator" in str(refused.value)
    with pytest.raises(CommandError) as bad:
        sla("calendar", "create", "--as", "admin", "--name", "X", "--timezone", "Mars/Base")
    assert "timezone: Use an IANA time zone" in str(bad.value)
    assert bad.value.returncode == 2
    with pytest.raises(CommandError) as missing:
        sla("policy", "create", "--as", "admin", "--name", "P", "--calendar", "nope",
            "--first-response", "5")  # fmt: skip
    assert "calendar: No calendar 'nope'" in str(missing.value)
    with pytest.raises(CommandError) as unknown:
        sla("policy", "show", "nope", "--as", "admin")
    assert "No policy nope" in str(unknown.value)


def test_admin_adds_a_fix_target_for_work_items(world: factories.World) -> None:
    sla("calendar", "create", "--as", "admin", "--name", "24x7", "--always-open", "yes")
    out = json.loads(sla("item-target", "--as", "admin", "--name", "Critical bugs",
                         "--calendar", "24x7", "--categories", "bug", "--priorities", "critical",
                         "--fix-minutes", "2880", "--json"))  # fmt: skip
    assert out == {"slug": "critical-bugs", "categories": ["bug"], "priorities": ["critical"],
                   "fix_minutes": 2880, "calendar": "24x7"}  # fmt: skip
    with pytest.raises(CommandError, match="administrator"):
        sla("item-target", "--as", "l2", "--name", "X", "--calendar", "24x7", "--fix-minutes", "60")
    with pytest.raises(CommandError, match="priorities"):
        sla("item-target", "--as", "admin", "--name", "Y", "--calendar", "24x7",
            "--priorities", "urgent", "--fix-minutes", "60")  # fmt: skip
