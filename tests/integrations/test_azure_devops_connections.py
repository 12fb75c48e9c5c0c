# ruff: noqa: E501
"""Connecting to Azure DevOps (checked against the server first, nothing half-saved), the token
sealed and never shown, and the mapping: sound defaults for every process, and an editor that
refuses what would not work, naming the field."""

from __future__ import annotations

import socket
from typing import Any

import pytest
from django.db import connection as db

from casebridge.accounts.services import team_create
from casebridge.audit.models import AuditEvent
from casebridge.core.errors import PermissionDenied, ValidationFailed
from casebridge.integrations.azure_devops import processes
from casebridge.integrations.azure_devops.mapping import check
from casebridge.integrations.azure_devops.models import Connection
from casebridge.integrations.azure_devops.services import connection_connect, connection_map
from casebridge.integrations.delivery.models import DeliverySource
from casebridge.workitems.definitions import WORKFLOWS
from tests import factories
from tests.fakes.azure_devops import FakeAzureDevOps
from tests.integrations.conftest import PAT

pytestmark = pytest.mark.django_db


def connect(world: factories.World, ado: FakeAzureDevOps, **given: Any) -> tuple[Connection, str]:
    data: dict[str, Any] = {
        "name": "Shop",
        "organization_url": ado.url,
        "project": "Shop",
        "pat": PAT,
    }
    return connection_connect(actor=world["admin"], **(data | given))


def nothing_saved() -> None:
    assert not Connection.objects.exists()
    assert not DeliverySource.objects.exists()
    assert not AuditEvent.objects.filter(subject_type="azure_devops_connection").exists()


# --- connecting -------------------------------------------------------------------------------------


def test_connecting_reads_the_project_and_who_the_token_is(
    world: factories.World, ado: FakeAzureDevOps
) -> None:
    made, secret = connect(world, ado)
    assert made.project_id == ado.store.project("Shop").id
    assert (made.process, made.deployment) == ("agile", "server")  # loopback is not dev.azure.com
    assert made.service_account == "casebridge@fabrikam.example"
    assert (made.area_path, made.iteration_path) == ("Shop", "Shop")
    assert set(made.mapping) == {"bug", "feature", "improvement"}
    assert made.mapping["feature"]["type"] == "User Story"
    assert made.hook_source.door == "/api/v1/intake/azure-devops/shop"
    assert secret.startswith("cbd_") and made.hook_source.secret == secret
    event = AuditEvent.objects.get(subject_key="shop", action="connected")
    assert event.actor == world["admin"] and event.data["project"] == "Shop"
    assert PAT not in str(event.data) and secret not in str(event.data)
    assert [r.path for r in ado.requests] == [
        "/fabrikam/_apis/projects/Shop",
        "/fabrikam/_apis/connectionData",
    ]


def test_the_token_is_sealed_at_rest_and_never_shown(
    world: factories.World, ado: FakeAzureDevOps
) -> None:
    made, secret = connect(world, ado)
    with db.cursor() as cursor:
        cursor.execute("SELECT pat FROM azure_devops_connection WHERE slug = 'shop'")
        (stored,) = cursor.fetchone()
        cursor.execute("SELECT secret FROM delivery_deliverysource")
        (stored_secret,) = cursor.fetchone()
    assert stored.startswith("sealed:v1:") and PAT not in stored
    assert stored_secret.startswith("sealed:v1:") and secret not in stored_secret
    loaded = Connection.objects.get(slug="shop")
    assert loaded.pat == PAT and made.pat_hint == "…" + PAT[-4:]
    for shown in (
        repr(loaded),
        str(loaded),
        repr(loaded.pat),
        repr(made.pat),
        repr(loaded.__dict__),
    ):
        assert PAT not in shown


def test_a_token_from_the_environment_is_read_at_each_use(
    world: factories.World, ado: FakeAzureDevOps, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SHOP_ADO_PAT", PAT)
    made, _ = connect(world, ado, pat="", pat_env="SHOP_ADO_PAT")
    assert made.pat == "" and made.pat_env == "SHOP_ADO_PAT"
    monkeypatch.delenv("SHOP_ADO_PAT")
    with pytest.raises(ValidationFailed) as refused:
        connect(world, ado, pat="", pat_env="SHOP_ADO_PAT", slug="other", category="bug")
    assert "SHOP_ADO_PAT" in refused.value.fields["pat_env"]


@pytest.mark.parametrize(
    ("given", "field", "says"),
    [
        ({"pat": "not-the-token-" + "x" * 20}, "pat", "Refused (401)"),
        ({"project": "Nope"}, "project", "No project 'Nope'"),
        ({"organization_url": "unreachable"}, "organization_url", "Unreachable"),
    ],
    ids=["wrong token", "unknown project", "unreachable"],
)
def test_a_failed_check_is_reported_by_field_and_saves_nothing(
    world: factories.World, ado: FakeAzureDevOps, given: dict[str, str], field: str, says: str
) -> None:
    if given.get("organization_url") == "unreachable":
        with socket.socket() as sock:  # a port nobody listens on
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        given = {"organization_url": f"https://127.0.0.1:{port}/fabrikam"}
    with pytest.raises(ValidationFailed) as refused:
        connect(world, ado, **given)
    assert refused.value.code == "connection_check_failed"
    assert says in refused.value.fields[field]
    nothing_saved()


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("http://dev.azure.com/fabrikam", "Use https://"),
        ("https://dev.azure.com/", "the organisation only"),
        ("https://dev.azure.com/fabrikam/Shop", "the organisation only"),
        ("https://ado.contoso.example", "Name the collection"),
        ("https://me:pw@dev.azure.com/fabrikam", "Leave credentials out"),
        ("https://dev.azure.com/fabrikam?x=1", "without ? or #"),
        ("https://fabrikam.visualstudio.com/DefaultCollection", "without a path"),
        ("https://ado.contoso.example/tfs/Default/_apis/wit", "not a page or an API"),
        ("ftp://ado.contoso.example/tfs/Default", "Use https://"),
        ("https://ado.contoso.example:99999/tfs", "not a URL"),
    ],
)
def test_only_an_https_organisation_or_collection_url_is_accepted(
    world: factories.World, url: str, says: str
) -> None:
    with pytest.raises(ValidationFailed) as refused:
        connection_connect(
            actor=world["admin"], name="X", organization_url=url, project="P", pat=PAT
        )
    assert says in refused.value.fields["organization_url"]
    nothing_saved()


def test_services_and_server_urls_are_told_apart() -> None:
    from casebridge.integrations.azure_devops.addresses import organization_url

    assert organization_url("https://dev.azure.com/fabrikam/")[:2] == (
        "https://dev.azure.com/fabrikam",
        "services",
    )
    assert organization_url("https://fabrikam.visualstudio.com")[1] == "services"
    assert organization_url("https://ado.contoso.example/tfs/DefaultCollection")[1] == "server"


def test_local_mistakes_are_named_together_before_any_request(
    world: factories.World, ado: FakeAzureDevOps
) -> None:
    with pytest.raises(ValidationFailed) as refused:
        connection_connect(
            actor=world["admin"],
            name="",
            slug="Not A Slug",
            organization_url=ado.url,
            project="Shop/Web",
            pat=PAT,
            pat_env="ALSO_THIS",
            category="epic",
            process="kanban",
        )
    assert set(refused.value.fields) == {"name", "slug", "project", "pat", "category", "process"}
    assert ado.requests == []


def test_paths_must_live_under_the_project(world: factories.World, ado: FakeAzureDevOps) -> None:
    with pytest.raises(ValidationFailed) as refused:
        connect(world, ado, area_path="Other\\Web", iteration_path="Shop/Sprint 1")
    assert set(refused.value.fields) == {"area_path", "iteration_path"}
    made, _ = connect(world, ado, area_path="Shop\\Web", iteration_path="Shop\\Sprint 1")
    assert made.area_path == "Shop\\Web"


def test_one_connection_per_team_and_category(world: factories.World, ado: FakeAzureDevOps) -> None:
    team = team_create(actor=None, name="Payments team")
    connect(world, ado, slug="all")
    connect(world, ado, slug="bugs", category="bug")
    connect(world, ado, slug="payments", team=team)
    connect(world, ado, slug="payments-bugs", team=team, category="bug")
    with pytest.raises(ValidationFailed) as refused:
        connect(world, ado, slug="again", team=team, category="bug")
    assert "'payments-bugs' already connects bugs of Payments team" in refused.value.fields["team"]
    with pytest.raises(ValidationFailed) as refused:
        connect(world, ado, slug="everything")
    assert "'all' already connects" in refused.value.fields["category"]
    bugs = Connection.objects.get(slug="bugs")
    assert list(bugs.mapping) == ["bug"] and bugs.categories == ("bug",)


def test_the_process_is_read_from_the_project_or_asked_for(
    world: factories.World, ado: FakeAzureDevOps
) -> None:
    ado.add_project("Board", process="Scrum")
    scrum, _ = connect(world, ado, project="Board", slug="board")
    assert scrum.process == "scrum"
    assert scrum.mapping["feature"]["type"] == "Product Backlog Item"
    ado.store.project("Board").process = "Fabrikam Scrum"  # an inherited process of its own name
    with pytest.raises(ValidationFailed) as refused:
        connect(world, ado, project="Board", slug="board-2", category="bug")
    assert "Fabrikam Scrum" in refused.value.fields["process"]


def test_only_administrators_connect(world: factories.World, ado: FakeAzureDevOps) -> None:
    for username in ("rte", "dev4", "l2"):
        with pytest.raises(PermissionDenied):
            connection_connect(
                actor=world[username], name="S", organization_url=ado.url, project="Shop", pat=PAT
            )
    assert ado.requests == []


def test_a_type_the_process_does_not_offer_is_refused(
    world: factories.World, ado: FakeAzureDevOps
) -> None:
    with pytest.raises(ValidationFailed) as refused:
        connect(world, ado, types={"improvement": "Impediment"})
    assert refused.value.fields["types.improvement"] == (
        "'Impediment' is not offered for improvements by the Agile process: use 'Task', 'Issue'."
    )
    made, _ = connect(world, ado, types={"improvement": "Issue"})
    assert made.mapping["improvement"]["type"] == "Issue"
    assert made.mapping["improvement"]["from_ado"] == {"Active": "proposed", "Closed": "done"}


# --- the default mappings ---------------------------------------------------------------------------


COMBINATIONS = [
    (process, category, type_name)
    for process in processes.PROCESSES
    for category in processes.CATEGORIES
    for type_name in processes.TYPES[process][category]
]


@pytest.mark.parametrize(("process", "category", "type_name"), COMBINATIONS)
def test_every_default_mapping_is_sound_and_round_trips(
    process: str, category: str, type_name: str
) -> None:
    mapping = processes.default_mapping(process, category, type_name)
    assert check(process, category, mapping) == {}
    ours = [state.name for state in WORKFLOWS[category].states]
    assert set(mapping["to_ado"]) == set(ours)
    assert set(mapping["from_ado"]) == set(processes.ado_states(process, type_name))
    for theirs, state in mapping["from_ado"].items():
        assert mapping["to_ado"][state] == theirs


def test_the_process_tables_agree_with_the_fake_built_from_microsoft_s_pages() -> None:
    from tests.fakes.azure_devops.processes import PROCESSES as DOCUMENTED

    for process, types in processes.TYPE_STATES.items():
        for type_name, states in types.items():
            assert list(states) == DOCUMENTED[processes.PROCESS_LABELS[process]][type_name]


@pytest.mark.parametrize(
    ("process", "type_name", "expected"),
    [
        ("agile", "Bug", {"New": "new", "Active": "in_progress", "Resolved": "in_review", "Closed": "closed"}),
        ("scrum", "Bug", {"New": "new", "Approved": "triaged", "Committed": "in_progress", "Done": "awaiting_validation", "Removed": "rejected"}),
        ("basic", "Issue", {"To Do": "new", "Doing": "in_progress", "Done": "awaiting_validation"}),
        ("cmmi", "Bug", {"Proposed": "new", "Active": "in_progress", "Resolved": "in_review", "Closed": "closed"}),
    ],
)  # fmt: skip
def test_the_bug_defaults_per_process(
    process: str, type_name: str, expected: dict[str, str]
) -> None:
    mapping = processes.default_mapping(process, "bug", type_name)
    assert mapping["from_ado"] == expected
    assert mapping["to_ado"]["awaiting_validation"] in ("Resolved", "Done")
    assert mapping["to_ado"]["rejected"] in ("Closed", "Removed", "Done")


# --- editing a mapping ------------------------------------------------------------------------------


@pytest.fixture
def shop(world: factories.World, ado: FakeAzureDevOps) -> Connection:
    return connect(world, ado)[0]


def test_an_edit_is_saved_and_audited_entry_by_entry(
    world: factories.World, shop: Connection
) -> None:
    changed = connection_map(
        actor=world["admin"],
        connection=shop,
        category="bug",
        to_ado={"in_review": "Active"},
        from_ado={"Resolved": "in_testing"},
        fields={"version": "Custom.AffectedVersion"},
    )
    bug = Connection.objects.get(pk=shop.pk).mapping["bug"]
    assert bug["to_ado"]["in_review"] == "Active" and bug["from_ado"]["Resolved"] == "in_testing"
    assert bug["fields"]["version"] == "Custom.AffectedVersion"
    events = AuditEvent.objects.filter(subject_key="shop", action="mapping_changed")
    assert {(e.field, e.old, e.new) for e in events} == {
        ("mapping.bug.to_ado.in_review", "Resolved", "Active"),
        ("mapping.bug.from_ado.Resolved", "in_review", "in_testing"),
        ("mapping.bug.fields.version", "Microsoft.VSTS.Build.FoundIn", "Custom.AffectedVersion"),
    }
    assert changed.mapping["feature"] == shop.mapping["feature"]


def test_a_no_op_edit_writes_nothing(world: factories.World, shop: Connection) -> None:
    before = Connection.objects.get(pk=shop.pk).updated_at
    connection_map(actor=world["admin"], connection=shop, category="bug", to_ado={"new": "New"})
    assert not AuditEvent.objects.filter(action="mapping_changed").exists()
    assert Connection.objects.get(pk=shop.pk).updated_at == before


@pytest.mark.parametrize(
    ("change", "field", "says"),
    [
        ({"to_ado": {"in_review": "Doing"}}, "mapping.bug.to_ado.in_review", "'Doing' is not a state of Bug in the Agile process"),
        ({"from_ado": {"Doing": "in_progress"}}, "mapping.bug.from_ado.Doing", "'Doing' is not a state of Bug"),
        ({"to_ado": {"launched": "Closed"}}, "mapping.bug.to_ado.launched", "not a state of the bug workflow"),
        ({"from_ado": {"Active": "launched"}}, "mapping.bug.from_ado.Active", "'launched' is not a state"),
        ({"from_ado": {"Active": "closed"}}, "mapping.bug.from_ado.Active", "maps back to 'Closed'"),
        ({"fields": {"title": ""}}, "mapping.bug.fields.title", "must map"),
        ({"fields": {"version": "System.State"}}, "mapping.bug.fields.version", "kept by Azure DevOps"),
        ({"fields": {"version": "not a reference"}}, "mapping.bug.fields.version", "not a field reference name"),
        ({"fields": {"version": "System.Title"}}, "mapping.bug.fields.version", "already the field of 'title'"),
        ({"fields": {"mood": "Custom.Mood"}}, "mapping.bug.fields.mood", "no field 'mood'"),
        ({"type_name": "Epic"}, "mapping.bug.type", "'Epic' is not offered for bugs by the Agile process: use 'Bug'."),
    ],
)  # fmt: skip
def test_a_wrong_mapping_is_refused_whole_naming_the_field(
    world: factories.World, shop: Connection, change: dict[str, Any], field: str, says: str
) -> None:
    with pytest.raises(ValidationFailed) as refused:
        connection_map(actor=world["admin"], connection=shop, category="bug", **change)
    assert says in refused.value.fields[field], refused.value.fields
    assert Connection.objects.get(pk=shop.pk).mapping == shop.mapping
    assert not AuditEvent.objects.filter(action="mapping_changed").exists()


def test_every_casebridge_state_must_map_somewhere(shop: Connection) -> None:
    broken = dict(shop.mapping["bug"])
    broken["to_ado"] = {k: v for k, v in broken["to_ado"].items() if k != "reopened"}
    errors = check("agile", "bug", broken)
    assert "Map 'reopened' to a state of Bug" in errors["mapping.bug.to_ado.reopened"]


def test_a_new_type_starts_from_its_defaults_and_reset_restores_them(
    world: factories.World, shop: Connection
) -> None:
    admin = world["admin"]
    issue = connection_map(actor=admin, connection=shop, category="improvement", type_name="Issue")
    assert issue.mapping["improvement"]["type"] == "Issue"
    assert set(issue.mapping["improvement"]["from_ado"]) == {"Active", "Closed"}
    connection_map(actor=admin, connection=shop, category="bug", to_ado={"in_review": "Active"},
                   from_ado={"Resolved": "in_testing"})  # fmt: skip
    reset = connection_map(actor=admin, connection=shop, category="bug", reset=True)
    assert reset.mapping["bug"] == processes.default_mapping("agile", "bug")


def test_a_category_the_connection_is_not_for_is_refused(
    world: factories.World, ado: FakeAzureDevOps
) -> None:
    bugs, _ = connect(world, ado, category="bug")
    with pytest.raises(ValidationFailed) as refused:
        connection_map(actor=world["admin"], connection=bugs, category="feature", reset=True)
    assert refused.value.fields == {"category": "Use bug."}


def test_only_administrators_edit_a_mapping(world: factories.World, shop: Connection) -> None:
    with pytest.raises(PermissionDenied):
        connection_map(actor=world["rte"], connection=shop, category="bug", reset=True)
