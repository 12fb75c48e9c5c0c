"""casebridge sprint list|create|plan|accept|close."""

from __future__ import annotations

import json

import pytest
from django.core.management import CommandError

from casebridge.sprints.models import Sprint
from tests.sprints.helpers import bug, cli, feature, reload, sprints

pytestmark = pytest.mark.django_db


def test_plan_prints_reasons_accept_and_close(world, monday):
    current, nxt = sprints(world, capacity=8, current_capacity=3)
    critical = bug(world, "Checkout down", "critical", 5)
    major = bug(world, "Refund stuck", "major", 5)
    fr = feature(world, "Wallet pay", (13, 8, 5, 2), 5)

    text = cli("plan", "--team", "core-team", "--as", "rte")
    assert "Core team: Sprint 2" in text and "capacity 8 pts" in text
    assert "Expedited into the current sprint Sprint 1: 5 of 3 pts" in text
    assert f" !#1    {critical.key}" in text
    assert "Major bug; no linked case; today. Fits: 5 pts of 8 left" in text
    assert "Does not fit: 5 pts, 3 left" in text
    assert "Warnings:" in text and "over capacity" in text
    assert f"--expect {critical.key},{major.key}" in text

    data = json.loads(
        cli("plan", "--team", "core-team", "--as", "dev3", "--json", "--remove", major.key)
    )
    assert [c["key"] for c in data["chosen"]] == [critical.key, fr.key]
    assert data["removed"] == [major.key]

    with pytest.raises(CommandError) as refused:
        cli("accept", "--team", "core-team", "--as", "rte", "--expect", major.key)
    assert refused.value.returncode == 2 and "proposal changed" in str(refused.value)
    with pytest.raises(CommandError) as refused:
        cli("accept", "--team", "core-team", "--as", "dev3")
    assert "Only the RTE" in str(refused.value)

    text = cli(
        "accept",
        "--sprint",
        "core-team/Sprint 2",
        "--as",
        "rte",
        "--expect",
        f"{critical.key},{major.key}",
    )
    assert f"core-team/Sprint 2: scheduled 1 ({major.key})" in text
    assert f"core-team/Sprint 1: expedited {critical.key} (critical)" in text
    assert reload(major).sprint == nxt and reload(critical).sprint == current

    listing = cli("list", "--team", "core-team", "--as", "l2")
    assert "core-team/Sprint 2" in listing and "load 5/8 pts, 1 item\n" in listing
    rows = json.loads(cli("list", "--as", "l2", "--json", "--state", "current"))
    assert [r["key"] for r in rows] == ["core-team/Sprint 1"]

    out = json.loads(cli("close", str(current.pk), "--as", "rte", "--json"))
    assert out["carried_over"] == [critical.key] and out["carried_to"] == "core-team/Sprint 2"
    assert reload(critical).sprint == nxt


def test_create_and_errors(world, monday):
    text = cli(
        "create",
        "--team",
        "core-team",
        "--name",
        "Sprint 7",
        "--start",
        "2026-12-07",
        "--end",
        "2026-12-18",
        "--capacity",
        "21",
        "--as",
        "rte",
    )
    assert text.startswith("created sprint ") and "core-team/Sprint 7" in text
    assert Sprint.objects.get(name="Sprint 7").capacity == 21
    with pytest.raises(CommandError) as refused:
        cli("plan", "--as", "rte")
    assert "--team" in str(refused.value)
    with pytest.raises(CommandError) as refused:
        cli("plan", "--team", "core-team", "--as", "cust_a")
    assert "does not exist" in str(refused.value)
    with pytest.raises(CommandError) as refused:
        cli("close", "core-team/Nope", "--as", "rte")
    assert "No sprint core-team/Nope" in str(refused.value)
    with pytest.raises(CommandError):
        cli("list")  # nobody acts
