"""``casebridge case create --attach`` and ``case escalate --log-file`` (issue 10): a command and
its files are all or nothing, and the files' visibility is an explicit choice, internal by
default for staff."""

from __future__ import annotations

from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from casebridge.cases.models import Attachment, Case
from casebridge.cases.services import case_transition
from tests import factories
from tests.contract.support import media_files, snapshot

LOG = b"2025-03-03 09:00:01 ERROR upstream gw-7.internal timed out\n" * 3


def cli(*args: str) -> str:
    out = StringIO()
    call_command("case", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def create_args(*extra: str) -> list[str]:
    return [
        "create",
        "--as",
        "l1",
        "--title",
        "Checkout fails with 502",
        "--service",
        "payments",
        "--environment",
        "production",
        "--org",
        "acme",
        *extra,
    ]


@pytest.fixture
def files(tmp_path: Path) -> dict[str, str]:
    paths = {"log": tmp_path / "gateway.log", "big": tmp_path / "big.log"}
    paths["log"].write_bytes(LOG)
    paths["big"].write_bytes(LOG * 10)
    return {name: str(path) for name, path in paths.items()} | {
        "missing": str(tmp_path / "nowhere.log")
    }


def refused(*args: str) -> CommandError:
    before = snapshot()
    with pytest.raises(CommandError) as error:
        cli(*args)
    assert error.value.returncode == 2
    assert snapshot() == before, "a refused command wrote something"
    assert media_files() == []
    return error.value


@pytest.mark.django_db
def test_create_with_a_missing_file_creates_no_case(
    world: factories.World, files: dict[str, str]
) -> None:
    error = refused(*create_args("--attach", files["log"], "--attach", files["missing"]))
    assert "nowhere.log" in str(error)
    assert not Case.objects.exists()


@pytest.mark.django_db
def test_create_with_a_file_too_large_creates_no_case_and_keeps_no_file(
    world: factories.World, files: dict[str, str], settings: Any
) -> None:
    settings.ATTACHMENT_MAX_BYTES = len(LOG) * 2
    refused(*create_args("--attach", files["log"], "--attach", files["big"]))
    assert not Case.objects.exists() and not Attachment.objects.exists()


@pytest.mark.django_db
def test_create_with_files_attaches_them_internal_unless_public_is_chosen(
    world: factories.World, files: dict[str, str]
) -> None:
    cli(*create_args("--attach", files["log"]))
    cli(*create_args("--attach", files["log"], "--public"))
    first, second = Case.objects.order_by("id")
    assert [a.internal for a in first.attachments.all()] == [True]
    assert [a.internal for a in second.attachments.all()] == [False]
    assert len(media_files()) == 2


def investigating(world: factories.World) -> Case:
    return case_transition(actor=world["l2"], case=factories.make_case(world), action="take")


ESCALATE = [
    "--as",
    "l2",
    "--category",
    "bug",
    "--steps-to-reproduce",
    "Pay by card",
    "--expected-result",
    "Paid",
    "--actual-result",
    "502",
]


@pytest.mark.django_db
def test_a_refused_escalation_keeps_no_log_file(
    world: factories.World, files: dict[str, str]
) -> None:
    case = investigating(world)
    error = refused(
        "escalate", case.key, "--as", "l2", "--category", "bug", "--log-file", files["log"]
    )
    assert "steps to reproduce" in str(error).lower()
    assert not case.attachments.exists()
    assert Case.objects.get(pk=case.pk).state == "investigating"


@pytest.mark.django_db
def test_an_escalation_with_a_log_file_counts_it_as_evidence_and_keeps_it_internal(
    world: factories.World, files: dict[str, str]
) -> None:
    case = investigating(world)
    cli("escalate", case.key, *ESCALATE, "--log-file", files["log"], "--version", "4.3.0")
    case.refresh_from_db()
    assert case.state == "escalated" and case.version == "4.3.0"
    [log] = case.attachments.all()
    assert log.is_log and log.internal


@pytest.mark.django_db
def test_internal_and_public_exclude_each_other(
    world: factories.World, files: dict[str, str]
) -> None:
    with pytest.raises(CommandError):
        cli(*create_args("--attach", files["log"], "--public", "--internal"))
