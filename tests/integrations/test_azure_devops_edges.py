# ruff: noqa: E501
"""The edges of the Azure DevOps connections: the API (admin only, in the OpenAPI), the CLI
(``--as``, ``--json``) and the settings pages (admin only, 404 for anyone else)."""

from __future__ import annotations

import contextlib
import io
import json
import sys
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from casebridge.integrations.azure_devops.models import Connection
from casebridge.integrations.delivery.models import DeliverySource
from tests import factories
from tests.fakes.azure_devops import FakeAzureDevOps
from tests.integrations.conftest import PAT

pytestmark = pytest.mark.django_db


def body(ado: FakeAzureDevOps, **changes: Any) -> dict[str, Any]:
    return {"name": "Shop", "organization_url": ado.url, "project": "Shop", "pat": PAT} | changes


# --- API --------------------------------------------------------------------------------------------


def test_an_admin_connects_through_the_api_and_sees_the_hook_secret_once(
    api: Any, ado: FakeAzureDevOps
) -> None:
    admin = api("admin")
    made = admin.post("/azure-devops/connections", body(ado, types={"improvement": "Issue"}))
    assert made.status_code == 201, made.content
    created = made.json()
    assert created["hook_secret"].startswith("cbd_")
    assert created["hook_url"] == "/api/v1/intake/azure-devops/shop"
    assert created["token"] == "sealed …" + PAT[-4:]
    assert created["mapping"]["improvement"]["type"] == "Issue"
    listed = admin.get("/azure-devops/connections")
    assert listed.status_code == 200 and [c["slug"] for c in listed.json()] == ["shop"]
    shown = admin.get("/azure-devops/connections/shop")
    assert shown.status_code == 200 and shown.json()["pending_hooks"] == 0
    for answer in (listed.content, shown.content):
        assert PAT.encode() not in answer and created["hook_secret"].encode() not in answer


def test_a_failed_check_is_a_422_naming_the_field(api: Any, ado: FakeAzureDevOps) -> None:
    refused = api("admin").post("/azure-devops/connections", body(ado, pat="x" * 52))
    assert refused.status_code == 422
    assert refused.json()["code"] == "connection_check_failed"
    assert "Refused (401)" in refused.json()["fields"]["pat"]
    unknown_team = api("admin").post("/azure-devops/connections", body(ado, team="nope"))
    assert unknown_team.status_code == 422 and unknown_team.json()["fields"] == {
        "team": "No team 'nope'."
    }
    extra = api("admin").post("/azure-devops/connections", body(ado, colour="blue"))
    assert extra.status_code == 422 and "colour" in extra.json()["fields"]
    assert not Connection.objects.exists() and not DeliverySource.objects.exists()


def test_the_mapping_is_edited_through_the_api(
    api: Any, connection: tuple[Connection, str]
) -> None:
    admin = api("admin")
    changed = admin.patch(
        "/azure-devops/connections/shop/mapping/bug",
        {"to_ado": {"in_review": "Active"}, "from_ado": {"Resolved": "in_testing"}},
    )
    assert changed.status_code == 200, changed.content
    assert changed.json()["mapping"]["bug"]["to_ado"]["in_review"] == "Active"
    refused = admin.patch(
        "/azure-devops/connections/shop/mapping/bug", {"from_ado": {"Doing": "new"}}
    )
    assert refused.status_code == 422
    assert "'Doing' is not a state of Bug" in refused.json()["fields"]["mapping.bug.from_ado.Doing"]


def test_only_administrators_reach_the_connections(
    api: Any, connection: tuple[Connection, str], ado: FakeAzureDevOps
) -> None:
    for username in ("rte", "dev3", "l2", "cust_a"):
        caller = api(username)
        assert caller.get("/azure-devops/connections").status_code == 403
        assert caller.post("/azure-devops/connections", body(ado, slug="x")).status_code == 403
        assert caller.get("/azure-devops/connections/shop").status_code == 404
        patch = caller.patch("/azure-devops/connections/shop/mapping/bug", {"reset": True})
        assert patch.status_code == 404
    assert api(None).get("/azure-devops/connections").status_code == 401


def test_the_endpoints_are_in_the_openapi_document() -> None:
    paths = Client().get("/api/v1/openapi.json").json()["paths"]
    assert "/api/v1/azure-devops/connections" in paths
    assert "patch" in paths["/api/v1/azure-devops/connections/{slug}/mapping/{category}"]
    for door in (
        "azure-devops/{connection}",
        "azure-pipelines/{source}",
        "azure-repos/{source}",
        "github/{source}",
        "deployments/{source}",
    ):
        assert f"/api/v1/intake/{door}" in paths


# --- CLI --------------------------------------------------------------------------------------------


def run(command: str, *args: str, stdin: str = "") -> str:
    """The command's output, what it writes itself and the JSON it prints to sys.stdout."""
    out = io.StringIO()
    old = sys.stdin
    sys.stdin = io.StringIO(stdin)
    try:
        with contextlib.redirect_stdout(out):
            call_command(command, *args, stdout=out)
    finally:
        sys.stdin = old
    return out.getvalue()


def cli(*args: str, stdin: str = "") -> str:
    return run("azure-devops", *args, stdin=stdin)


def test_the_cli_connects_lists_shows_maps_and_checks(
    world: factories.World, ado: FakeAzureDevOps, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SHOP_PAT", PAT)
    text = cli(
        "connect",
        "--as",
        "admin",
        "--name",
        "Shop",
        "--url",
        ado.url,
        "--project",
        "Shop",
        "--pat-env",
        "SHOP_PAT",
        "--category",
        "bug",
    )
    assert "connected shop: Shop at" in text and "hook password (shown once" in text
    sealed = cli(
        "connect",
        "--as",
        "admin",
        "--name",
        "Board",
        "--url",
        ado.url,
        "--project",
        "Shop",
        "--pat-stdin",
        "--category",
        "feature",
        "--json",
        stdin=PAT + "\n",
    )
    assert json.loads(sealed)["token"] == "sealed …" + PAT[-4:]
    listed = json.loads(cli("list", "--as", "admin", "--json"))
    assert [row["slug"] for row in listed] == ["board", "shop"]
    assert {row["token"] for row in listed} == {"env:SHOP_PAT", "sealed …" + PAT[-4:]}
    shown = cli("show", "shop", "--as", "admin")
    assert (
        "in_review              -> Resolved" in shown
        and "Resolved               <- means in_review" in shown
    )
    mapped = json.loads(
        cli(
            "map",
            "shop",
            "--as",
            "admin",
            "--category",
            "bug",
            "--state",
            "in_review=Active",
            "--from-ado",
            "Resolved=in_testing",
            "--json",
        )
    )
    assert mapped["to_ado"]["in_review"] == "Active"
    status = json.loads(cli("status", "shop", "--as", "admin", "--check", "--json"))
    assert status["check"] == {"ok": True, "acting_as": "casebridge@fabrikam.example"}
    assert status["pending_hooks"] == 0
    for output in (text, sealed, shown):
        assert PAT not in output


def test_the_cli_prints_refusals_and_exits_non_zero(
    world: factories.World, connection: tuple[Connection, str]
) -> None:
    with pytest.raises(CommandError) as refused:
        cli("map", "shop", "--as", "admin", "--category", "bug", "--from-ado", "Doing=new")
    assert "mapping.bug.from_ado.Doing: 'Doing' is not a state of Bug" in str(refused.value)
    assert refused.value.returncode == 2
    with pytest.raises(CommandError):
        cli("list", "--as", "rte")
    with pytest.raises(CommandError):
        cli("show", "shop", "--as", "rte")
    with pytest.raises(CommandError) as bad_pair:
        cli("map", "shop", "--as", "admin", "--category", "bug", "--state", "in_review")
    assert "key=value" in str(bad_pair.value)


def test_the_delivery_source_cli(world: factories.World) -> None:
    made = json.loads(
        run("delivery-source", "create", "--kind", "github", "--name", "GitHub org", "--json")
    )
    assert made["url"] == "/api/v1/intake/github/github-org" and made["secret"].startswith("cbd_")
    rotated = run("delivery-source", "rotate", "github", "github-org")
    assert "secret (shown once" in rotated and made["secret"] not in rotated
    listed = json.loads(run("delivery-source", "list", "--json"))
    assert [row["slug"] for row in listed] == ["github-org"]
    assert json.loads(run("delivery-source", "events", "--json")) == []


# --- pages ------------------------------------------------------------------------------------------


def signed_in(world: factories.World, username: str) -> Client:
    client = Client()
    client.force_login(world[username])
    return client


def test_an_admin_connects_on_the_settings_page_and_sees_the_secret_once(
    world: factories.World, ado: FakeAzureDevOps
) -> None:
    admin = signed_in(world, "admin")
    assert admin.get("/settings/azure-devops/").status_code == 200
    assert admin.get("/settings/azure-devops/new/").status_code == 200
    refused = admin.post("/settings/azure-devops/new/", body(ado, pat="y" * 52, team=""))
    assert refused.status_code == 422
    assert b"Refused (401)" in refused.content and not Connection.objects.exists()
    made = admin.post("/settings/azure-devops/new/", body(ado, team=""))
    assert made.status_code == 201
    secret = DeliverySource.objects.get().secret
    assert secret.encode() in made.content and PAT.encode() not in made.content
    again = admin.get("/settings/azure-devops/shop/")
    assert again.status_code == 200 and secret.encode() not in again.content
    listed = admin.get("/settings/azure-devops/")
    assert b'data-connection="shop"' in listed.content


def test_the_mapping_page_saves_and_shows_errors_beside_the_fields(
    world: factories.World, connection: tuple[Connection, str]
) -> None:
    admin = signed_in(world, "admin")
    page = admin.get("/settings/azure-devops/shop/mapping/bug/")
    assert page.status_code == 200
    form = page.context["form"]
    data = {name: field.initial for name, field in form.fields.items()}
    resolved = next(name for state, name in form.from_ado if state == "Resolved")
    data[resolved] = "closed"  # maps back to Closed: refused
    refused = admin.post("/settings/azure-devops/shop/mapping/bug/", data)
    assert refused.status_code == 422
    assert refused.context["form"].errors[resolved][0].startswith("'Resolved' means 'closed'")
    in_review = next(name for state, name in form.to_ado if state == "in_review")
    data[resolved], data[in_review] = "in_testing", "Active"
    saved = admin.post("/settings/azure-devops/shop/mapping/bug/", data)
    assert saved.status_code == 302
    assert Connection.objects.get().mapping["bug"]["to_ado"]["in_review"] == "Active"
    assert admin.get("/settings/azure-devops/shop/mapping/epic/").status_code == 404


def test_the_settings_pages_do_not_exist_for_anyone_else(
    world: factories.World, connection: tuple[Connection, str]
) -> None:
    paths = [
        "/settings/azure-devops/",
        "/settings/azure-devops/new/",
        "/settings/azure-devops/shop/",
        "/settings/azure-devops/shop/mapping/bug/",
    ]
    for username in ("rte", "dev4", "l2", "cust_a"):
        client = signed_in(world, username)
        for path in paths:
            assert client.get(path).status_code == 404, (username, path)
    assert Client().get(paths[0]).status_code == 302  # to the sign-in page
