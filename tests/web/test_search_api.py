"""The global search from the API (GET /api/v1/search) and the CLI (casebridge search): the same
service as the page, so the same visibility; a key returns the object itself, words a ranked
list; bad input is a 422 naming the field, or exit 2 with the reason."""

from __future__ import annotations

import contextlib
import io
import json
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from casebridge.knowledge.services import KnownResolutionInput, known_resolution_create
from casebridge.workitems.services import work_item_create
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def found(world: factories.World) -> dict[str, str]:
    mine = factories.make_case(world, by="cust_a", title="Invoice export truncated")
    theirs = factories.make_case(world, by="cust_b", title="Totals wrong on the invoice page")
    item = work_item_create(actor=world["l2"], category="bug", title="Invoice rounding", docs={})
    known = known_resolution_create(
        actor=world["l2"],
        data=KnownResolutionInput(
            title="Rebuild the invoice cache",
            symptoms="Stale invoices",
            steps="Run it",
            fix_kind="workaround",
        ),
    )
    return {"mine": mine.key, "theirs": theirs.key, "item": item.key, "known": known.key}


def test_a_key_returns_the_object_itself(
    api: Any, world: factories.World, found: dict[str, str]
) -> None:
    body = api("l2").get("/search", q=found["item"].lower()).json()
    assert body["match"]["key"] == found["item"] and body["match"]["kind"] == "bug"
    assert body["match"]["url"] == f"/work-items/{found['item']}/"
    assert body["match"]["api_url"] == f"/api/v1/work-items/{found['item']}"
    assert body["object"]["key"] == found["item"] and body["object"]["title"] == "Invoice rounding"
    assert body["items"] == [] and body["count"] == 0
    case = api("cust_a").get("/search", q=f" {found['mine']} ").json()
    assert case["match"]["kind"] == "case" and case["object"]["key"] == found["mine"]
    assert case["match"]["url"] == f"/portal/cases/{found['mine']}/"
    known = api("l2").get("/search", q=found["known"]).json()
    assert known["object"]["key"] == found["known"] and known["match"]["kind"] == "known_fix"


def test_a_key_the_viewer_may_not_see_is_no_match(
    api: Any, world: factories.World, found: dict[str, str]
) -> None:
    for who, key in (("cust_b", found["mine"]), ("cust_a", found["item"]), ("cust_a", "KR-1")):
        body = api(who).get("/search", q=key).json()
        assert body["match"] is None and body["object"] is None, (who, key)
        assert key not in json.dumps(body["items"])


def test_words_are_ranked_and_follow_visibility(
    api: Any, world: factories.World, found: dict[str, str]
) -> None:
    staff = api("l2").get("/search", q="invoice").json()
    keys = [i["key"] for i in staff["items"]]
    assert set(keys) == {found["mine"], found["theirs"], found["item"], found["known"]}
    assert staff["count"] == 4
    scores = [i["score"] for i in staff["items"]]
    assert scores == sorted(scores, reverse=True)
    customer = api("cust_a").get("/search", q="invoice").json()
    assert [i["key"] for i in customer["items"]] == [found["mine"]]
    assert customer["items"][0]["api_url"] == f"/api/v1/cases/{found['mine']}"
    assert api("l2").get("/search", q="invoice", limit=2).json()["count"] == 2


def test_bad_input_is_a_422_naming_the_field(api: Any, world: factories.World) -> None:
    for params in ({}, {"q": ""}, {"q": "x" * 201}, {"q": "a", "limit": 0}):
        response = api("l2").get("/search", **params)
        assert response.status_code == 422, params
        field = "limit" if "limit" in params else "q"
        assert field in response.content.decode(), params
    assert api(None).get("/search", q="invoice").status_code == 401


def _cli(*args: str) -> str:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        call_command("search", *args, stdout=out)
    return out.getvalue()


def test_the_cli_searches_as_the_user(world: factories.World, found: dict[str, str]) -> None:
    text = _cli("invoice", "--as", "l2")
    for key in found.values():
        assert key in text
    assert _cli("invoice", "--as", "cust_a").split()[0] == found["mine"]
    assert found["theirs"] not in _cli("invoice", "--as", "cust_a")
    jump = _cli(found["item"], "--as", "l2")
    assert jump.startswith(f"{found['item']}  bug") and f"/work-items/{found['item']}/" in jump
    body = json.loads(_cli(found["mine"], "--json", "--as", "cust_a"))
    assert body["object"]["key"] == found["mine"] and body["match"]["kind"] == "case"
    assert "nothing found" in _cli("zebra", "--as", "l2")


def test_the_cli_refuses_bad_input_with_exit_2(world: factories.World) -> None:
    for args in (("invoice",), ("invoice", "--as", "nobody"), (" ", "--as", "l2")):
        with pytest.raises(CommandError) as refused:
            _cli(*args)
        assert refused.value.returncode == 2, args
    with pytest.raises(CommandError, match="--limit"):
        _cli("invoice", "--limit", "0", "--as", "l2")
