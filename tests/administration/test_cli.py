"""The administration verbs of the CLI: JSON output, --as checked, errors named, exit non-zero."""

from __future__ import annotations

import json
from contextlib import redirect_stdout
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from casebridge.accounts.models import User
from casebridge.audit.models import AuditEvent
from casebridge.catalog.models import Component
from tests import factories


def cli_json(*args: str) -> Any:
    """``print_json`` writes to the process's standard output."""
    out = StringIO()
    with redirect_stdout(out):
        call_command(*args, "--json", stdout=out)
    return json.loads(out.getvalue())


def test_org_create_list_show_update(world: factories.World) -> None:
    created = cli_json("org", "create", "Cobalt Air", "--domain", "cobalt.example", "--as", "admin")
    assert created == {
        "slug": "cobalt-air",
        "name": "Cobalt Air",
        "email_domains": ["cobalt.example"],
        "members": [],
        "partners": [],
    }
    updated = cli_json("org", "update", "cobalt-air", "--partner", "partner", "--as", "admin")
    assert updated["partners"] == ["partner"]
    assert [o["slug"] for o in cli_json("org", "list")] == ["acme", "borealis", "cobalt-air"]
    assert cli_json("org", "show", "acme")["members"] == ["cust_a"]
    with pytest.raises(CommandError, match="email_domains: Not a mail domain"):
        call_command("org", "update", "acme", "--domain", "not a domain", stdout=StringIO())
    with pytest.raises(CommandError, match="Only an administrator"):
        call_command("org", "create", "Dune", "--as", "l2", stdout=StringIO())


def test_service_and_component_verbs(world: factories.World) -> None:
    service = cli_json(
        "service",
        "create",
        "Ledger",
        "--owner-team",
        "core-team",
        "--critical",
        "Posting",
        "--as",
        "admin",
    )
    assert service["owner_team"] == "core-team"
    assert service["components"] == [{"slug": "posting", "name": "Posting", "critical": True}]
    cli_json("component", "create", "ledger", "Exports", "--as", "admin")
    cli_json("component", "update", "ledger", "posting", "--not-critical", "--as", "admin")
    assert not Component.objects.get(slug="posting").critical
    assert cli_json("service", "update", "ledger", "--owner-team", "")["owner_team"] is None
    with pytest.raises(CommandError, match="owner_team: No team 'nope'"):
        call_command("service", "update", "ledger", "--owner-team", "nope", stdout=StringIO())


def test_team_verbs(world: factories.World) -> None:
    team = cli_json("team", "create", "Mobile", "--member", "dev3", "--as", "admin")
    assert team["members"] == ["dev3"]
    assert cli_json("team", "add-member", "mobile", "dev2", "--as", "admin")["members"] == [
        "dev2",
        "dev3",
    ]
    assert cli_json("team", "remove-member", "mobile", "dev3")["members"] == ["dev2"]
    with pytest.raises(CommandError, match="customer or partner"):
        call_command("team", "add-member", "mobile", "cust_a", stdout=StringIO())


def test_user_update_and_deactivate(world: factories.World) -> None:
    out = cli_json("user", "update", "dev2", "--level", "L3", "--role", "developer", "--role", "qa")
    assert (out["level"], out["roles"]) == ("L3", ["developer", "qa"])
    assert cli_json("user", "deactivate", "dev2", "--as", "admin")["active"] is False
    assert not User.objects.get(username="dev2").is_active
    assert "dev2" not in [u["username"] for u in cli_json("user", "list")]
    assert "dev2" in [u["username"] for u in cli_json("user", "list", "--all")]
    with pytest.raises(CommandError, match="last administrator"):
        call_command("user", "deactivate", "admin", stdout=StringIO())
    token = cli_json("user", "token", "l2", "--scope", "write")
    assert token["token"].startswith("cbt_")
    listed = cli_json("user", "tokens", "l2")
    assert token["prefix"] in [t["prefix"] for t in listed]


def test_policy_and_gate_verbs(world: factories.World) -> None:
    row = cli_json("policy", "set", "critical_component", "--level", "4", "--as", "admin")
    assert (row["enabled"], row["min_level"]) == (True, 4)
    assert cli_json("policy", "set", "recurring", "--min-cases", "5")["min_cases"] == 5
    names = [r["policy"] for r in cli_json("policy", "list")]
    assert names[-2:] == ["recurring", "auto_close"] and len(names) == 11
    with pytest.raises(CommandError, match="auto_close_days: Use 1 to 365"):
        call_command("policy", "set", "auto_close", "--days", "0", stdout=StringIO())
    gate = cli_json("gate", "set", "feature", "--require", "justification", "--as", "admin")
    assert gate == {"feature": ["justification"]}
    with pytest.raises(CommandError, match="required: Unknown item nonsense"):
        call_command("gate", "set", "bug", "--require", "nonsense", stdout=StringIO())
    actors = set(
        AuditEvent.objects.filter(subject_type="ladder_policy").values_list(
            "actor__username", flat=True
        )
    )
    assert actors == {"admin"}


def test_a_customer_is_placed_in_the_organisation_of_their_mail_domain(
    world: factories.World,
) -> None:
    cli_json("org", "update", "acme", "--domain", "acme.example", "--as", "admin")
    out = cli_json("user", "create", "eve", "--email", "eve@ACME.example", "--role", "reporter")
    assert out["organisation"] == "acme"
    with pytest.raises(CommandError, match="org: A customer reporter belongs to an organisation"):
        call_command(
            "user",
            "create",
            "zed",
            "--email",
            "zed@elsewhere.example",
            "--role",
            "reporter",
            stdout=StringIO(),
        )
