"""``casebridge incident list|show|declare``: its options read as their types, acting as --as."""

from __future__ import annotations

import contextlib
import io
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from casebridge.incidents.models import Incident
from tests import factories

pytestmark = pytest.mark.django_db


def cli(*args: str) -> str:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        call_command(*args, stdout=out)
    return out.getvalue()


def test_declare_list_and_show_from_the_shell(world: factories.World) -> None:
    case = factories.make_case(world)
    declared = json.loads(
        cli(
            "incident",
            "declare",
            "--title",
            "Card payments fail",
            "--severity",
            "sev2",
            "--lead",
            "dev3",
            "--case",
            case.key,
            "--summary",
            "502 at checkout",
            "--json",
            "--as",
            "l2",
        )
    )
    incident = Incident.objects.get(key=declared["key"])
    assert (incident.lead, incident.case, incident.summary) == (
        world["dev3"],
        case,
        "502 at checkout",
    )
    assert incident.key in cli("incident", "list", "--as", "l2")
    assert "no incidents" in cli("incident", "list", "--severity", "sev1", "--as", "l2")
    shown = json.loads(cli("incident", "show", incident.key, "--json", "--as", "l2"))
    assert shown["key"] == incident.key and shown["timeline"]
    text = cli("incident", "show", incident.key, "--as", "l2")
    assert f"from {case.key}" in text and "lead dev3" in text


def test_a_refused_declaration_is_a_message_and_a_non_zero_exit(world: factories.World) -> None:
    with pytest.raises(CommandError) as refused:
        cli(
            "incident",
            "declare",
            "--title",
            "Card payments fail",
            "--severity",
            "sev2",
            "--lead",
            "nobody-here",
            "--as",
            "l2",
        )
    assert refused.value.returncode == 2
