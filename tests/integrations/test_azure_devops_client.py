"""The Azure DevOps client against the fake server: JSON Patch with a tested revision, batches of
200, WIQL since a watermark, comments, attachments, and how it behaves when the service throttles,
fails or refuses the token."""

from __future__ import annotations

import logging
import ssl
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from casebridge.integrations.azure_devops.client import AzureDevOpsClient
from casebridge.integrations.azure_devops.errors import (
    Conflict,
    Invalid,
    NotFound,
    RateLimited,
    Unauthorized,
    Unavailable,
)
from casebridge.integrations.azure_devops.wire import (
    attached_file,
    hyperlink,
    remove_field,
    set_field,
)
from tests.fakes.azure_devops import FakeAzureDevOps
from tests.integrations.conftest import PAT


class Sleeps(list[float]):
    """Records the pauses the client asks for instead of sleeping."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
def client(ado: FakeAzureDevOps, sleeps: Sleeps) -> Iterator[AzureDevOpsClient]:
    with AzureDevOpsClient(
        organization_url=ado.url,
        project="Shop",
        pat=PAT,
        verify=ado.ca_bundle,
        sleep=sleeps,
    ) as made:
        yield made


def bug(client: AzureDevOpsClient, title: str = "Checkout fails") -> int:
    return client.create("Bug", [set_field("System.Title", title)]).id


def test_create_sends_json_patch_and_reads_the_item_back(
    client: AzureDevOpsClient, ado: FakeAzureDevOps
) -> None:
    item = client.create(
        "Bug",
        [
            set_field("System.Title", "Checkout fails for Visa cards"),
            set_field("Microsoft.VSTS.TCM.ReproSteps", "<ol><li>Pay with Visa</li></ol>"),
            set_field("Microsoft.VSTS.Common.Priority", 1),
            set_field("Microsoft.VSTS.Common.Severity", "1 - Critical"),
            hyperlink("https://casebridge.example/work-items/BUG-7", "BUG-7 in Casebridge"),
        ],
    )
    assert (item.id, item.rev, item.type, item.state) == (1, 1, "Bug", "New")
    assert item.get("Microsoft.VSTS.Common.Priority") == 1
    assert item.relations[0]["rel"] == "Hyperlink"
    assert item.relations[0]["attributes"]["comment"] == "BUG-7 in Casebridge"
    assert (
        item.changed_by is not None and item.changed_by.unique_name == "casebridge@fabrikam.example"
    )
    sent = ado.requests[-1]
    assert sent.method == "POST" and sent.path == "/fabrikam/Shop/_apis/wit/workitems/$Bug"
    assert sent.query["api-version"] == "7.1"
    assert sent.headers["content-type"] == "application/json-patch+json"
    assert sent.json()[0] == {"op": "add", "path": "/fields/System.Title", "value": item.title}


def test_a_type_with_a_space_is_encoded_in_the_path(
    client: AzureDevOpsClient, ado: FakeAzureDevOps
) -> None:
    item = client.create("User Story", [set_field("System.Title", "Pay by invoice")])
    assert item.type == "User Story"
    assert ado.requests[-1].path.endswith("/_apis/wit/workitems/$User%20Story")


def test_an_update_tests_the_revision_and_a_stale_one_is_a_conflict(
    client: AzureDevOpsClient, ado: FakeAzureDevOps
) -> None:
    item_id = bug(client)
    updated = client.update(item_id, [set_field("System.State", "Active")], expected_rev=1)
    assert (updated.rev, updated.state) == (2, "Active")
    assert ado.requests[-1].json()[0] == {"op": "test", "path": "/rev", "value": 1}

    ado.edit(item_id, {"System.Title": "Edited by a developer"}, by=ado.developer("Jamal Hartnett"))
    with pytest.raises(Conflict) as refused:
        client.update(item_id, [set_field("System.State", "Resolved")], expected_rev=2)
    assert refused.value.status == 412
    assert "TF26071" in refused.value.message
    assert client.get(item_id).state == "Active"  # nothing of the refused update was applied


def test_azure_devops_server_answers_a_stale_revision_with_409(settings: object) -> None:
    with FakeAzureDevOps(flavour="server") as server:
        server.add_project("Shop")
        server.add_pat(PAT, "Casebridge", "casebridge@contoso.example")
        assert server.url.endswith("/tfs/DefaultCollection")
        with AzureDevOpsClient(
            organization_url=server.url, project="Shop", pat=PAT, verify=server.ca_bundle
        ) as client:
            item_id = bug(client)
            client.update(item_id, [set_field("System.State", "Active")], expected_rev=1)
            with pytest.raises(Conflict) as refused:
                client.update(item_id, [remove_field("System.Description")], expected_rev=1)
    assert refused.value.status == 409


def test_an_update_without_a_revision_is_not_tested(client: AzureDevOpsClient) -> None:
    item_id = bug(client)
    client.update(item_id, [set_field("System.Title", "A")], expected_rev=None)
    assert client.update(item_id, [set_field("System.Title", "B")], expected_rev=None).rev == 3


def test_reads_of_many_items_go_200_at_a_time_and_skip_deleted_ones(
    client: AzureDevOpsClient, ado: FakeAzureDevOps
) -> None:
    developer = ado.developer("Jamal Hartnett")
    ids = [
        ado.create_item("Shop", "Task", {"System.Title": f"T{n}"}, by=developer)["id"]
        for n in range(450)
    ]
    ado.delete(ids[7], by=developer)
    before = len(ado.requests)
    found = client.get_many([*ids, 99999])
    batches = ado.requests[before:]
    assert [len(r.json()["ids"]) for r in batches] == [200, 200, 51]
    assert all(r.path.endswith("/_apis/wit/workitemsbatch") for r in batches)
    assert [i.id for i in found] == [i for i in ids if i != ids[7]]
    assert found[0].title == "T0"


def test_changed_since_asks_wiql_for_the_project_after_a_watermark(
    client: AzureDevOpsClient, ado: FakeAzureDevOps
) -> None:
    first = bug(client, "Old")
    watermark = datetime.now(UTC)
    time.sleep(0.01)
    second = bug(client, "New")
    ado.add_project("Other")
    ado.create_item("Other", "Bug", {"System.Title": "Elsewhere"}, by=ado.developer("Ann Lee"))
    client.update(first, [set_field("System.State", "Active")], expected_rev=1)

    assert client.changed_since(watermark) == [second, first]
    query = ado.requests[-1]
    assert query.query["timePrecision"] == "true"
    assert "[System.TeamProject] = 'Shop'" in query.json()["query"]
    assert client.changed_since(watermark, types=["Task"]) == []
    assert client.changed_since(watermark + timedelta(days=1)) == []


def test_wiql_without_time_precision_refuses_a_time_of_day(
    client: AzureDevOpsClient, ado: FakeAzureDevOps
) -> None:
    bug(client)
    query = "SELECT [System.Id] FROM WorkItems WHERE [System.ChangedDate] > '2020-01-01T10:00:00Z'"
    assert client.query(query) == [1]  # the client always asks with timePrecision=true
    response = httpx.post(
        f"{ado.url}/Shop/_apis/wit/wiql",
        params={"api-version": "7.1"},
        json={"query": query},
        auth=("", PAT),
        verify=ssl.create_default_context(cafile=ado.ca_bundle),
    )
    assert response.status_code == 400 and "timePrecision" in response.json()["message"]


def test_comments_are_added_and_read_back_in_order_across_pages(
    client: AzureDevOpsClient, ado: FakeAzureDevOps
) -> None:
    item_id = bug(client)
    for n in range(205):
        ado.comment(item_id, f"note {n}", by=ado.developer("Jamal Hartnett"))
    ours = client.add_comment(item_id, "**From Casebridge** (L2): logs attached")
    assert ado.requests[-1].query["api-version"] == "7.1-preview.4"
    comments = client.comments(item_id)
    assert [c.text for c in comments[:2]] == ["note 0", "note 1"]
    assert comments[-1] == ours and len(comments) == 206
    assert (
        comments[0].created_by is not None
        and comments[0].created_by.display_name == "Jamal Hartnett"
    )
    assert client.get(item_id).get("System.CommentCount") == 206


def test_an_uploaded_attachment_is_linked_as_an_attached_file(
    client: AzureDevOpsClient, ado: FakeAzureDevOps
) -> None:
    item_id = bug(client)
    attachment = client.attach("checkout.log", b"ERROR PKIX path building failed\n")
    assert ado.requests[-1].headers["content-type"] == "application/octet-stream"
    item = client.update(item_id, [attached_file(attachment.url, "from CB-12")], expected_rev=1)
    assert item.relations[0]["rel"] == "AttachedFile"
    assert item.relations[0]["url"] == attachment.url
    with pytest.raises(Invalid):
        client.update(
            item_id, [attached_file(f"{ado.url}/_apis/wit/attachments/nope")], expected_rev=2
        )


def test_revisions_and_updates_tell_the_history(
    client: AzureDevOpsClient, ado: FakeAzureDevOps
) -> None:
    item_id = bug(client)
    client.update(item_id, [set_field("System.State", "Active")], expected_rev=1)
    ado.edit(
        item_id, {"System.AssignedTo": "jamal@fabrikam.example"}, by=ado.developer("Jamal Hartnett")
    )
    assert [r.rev for r in client.revisions(item_id)] == [1, 2, 3]
    updates = client.updates(item_id)
    assert updates[1]["fields"]["System.State"] == {"oldValue": "New", "newValue": "Active"}
    assert updates[2]["revisedBy"]["uniqueName"] == "jamal@fabrikam.example"


def test_a_429_is_waited_out_for_its_retry_after_then_retried(
    client: AzureDevOpsClient, ado: FakeAzureDevOps, sleeps: Sleeps
) -> None:
    ado.faults.throttle_next(1, retry_after=3)
    item_id = bug(client)  # a blocked create was not applied: retrying it is safe
    assert item_id == 1 and len(ado.store.items) == 1
    assert [r.status for r in ado.requests[-2:]] == [429, 200]
    assert sleeps and sleeps[0] == pytest.approx(3, abs=0.1)


def test_a_long_retry_after_is_raised_for_the_outbox_to_try_later(
    client: AzureDevOpsClient, ado: FakeAzureDevOps
) -> None:
    ado.faults.throttle_next(1, retry_after=120)
    with pytest.raises(RateLimited) as raised:
        bug(client)
    assert raised.value.retryable and raised.value.retry_after == 120
    sent = len(ado.requests)
    with pytest.raises(RateLimited):  # still blocked: nothing is even sent
        client.get(1)
    assert len(ado.requests) == sent


def test_the_client_slows_down_as_the_rate_budget_runs_low_before_being_blocked(
    client: AzureDevOpsClient, ado: FakeAzureDevOps, sleeps: Sleeps
) -> None:
    ado.faults.rate_limit(limit=20, window=3600)  # 20 requests an hour: no refill meanwhile
    item_id = bug(client)
    for _ in range(15):
        client.get(item_id)
    assert client.throttle.last["x-ratelimit-remaining"] == "4"
    assert not sleeps and client.throttle.slowed == 0  # 20% left: no need to slow down yet
    client.get(item_id)
    assert client.throttle.last["x-ratelimit-remaining"] == "3"
    assert client.throttle.slowed == 1 and not sleeps  # the pause comes before the next request
    client.get(item_id)
    assert sleeps == [
        pytest.approx(5.0, abs=0.1)
    ]  # (reset - now) / remaining is ~17 minutes: capped at max_pace
    assert all(r.status != 429 for r in ado.requests)


def test_5xx_on_a_read_is_retried_and_reported_unavailable_when_it_persists(
    client: AzureDevOpsClient, ado: FakeAzureDevOps
) -> None:
    item_id = bug(client)
    ado.faults.fail_next(1, status=503)
    assert client.get(item_id).id == item_id
    ado.faults.fail_next(5, status=500)
    with pytest.raises(Unavailable) as raised:
        client.get(item_id)
    assert raised.value.retryable and raised.value.status == 500
    assert [r.status for r in ado.requests[-3:]] == [500, 500, 500]


def test_a_create_that_met_a_5xx_is_not_retried_it_might_have_been_made(
    client: AzureDevOpsClient, ado: FakeAzureDevOps
) -> None:
    ado.faults.fail_next(1, status=502)
    with pytest.raises(Unavailable):
        bug(client)
    assert [r.status for r in ado.requests] == [502]


def test_no_answer_at_all_is_unavailable(ado: FakeAzureDevOps) -> None:
    url = ado.url
    ado.stop()
    with (
        AzureDevOpsClient(
            organization_url=url, project="Shop", pat=PAT, retries=0, timeout=2
        ) as client,
        pytest.raises(Unavailable) as raised,
    ):
        client.get(1)
    assert "did not answer GET" in raised.value.message


def test_latency_is_added_to_every_answer(client: AzureDevOpsClient, ado: FakeAzureDevOps) -> None:
    ado.faults.latency = 0.05
    started = time.perf_counter()
    bug(client)
    assert time.perf_counter() - started >= 0.05


def test_a_wrong_token_is_unauthorized_and_never_shown(
    ado: FakeAzureDevOps, caplog: pytest.LogCaptureFixture
) -> None:
    secret = "wrong-" + PAT[6:]
    caplog.set_level(logging.DEBUG)
    with AzureDevOpsClient(
        organization_url=ado.url, project="Shop", pat=secret, verify=ado.ca_bundle
    ) as client:
        with pytest.raises(Unauthorized) as raised:
            client.get_project()
        shown = [repr(client), str(raised.value), repr(raised.value), caplog.text]
    assert ado.requests[-1].status == 401
    assert not raised.value.retryable
    for text in shown:
        assert secret not in text and PAT not in text
        assert "d3Jvbmct" not in text  # nor its base64


def test_unknown_items_and_projects_are_not_found(
    client: AzureDevOpsClient, ado: FakeAzureDevOps
) -> None:
    with pytest.raises(NotFound) as missing:
        client.get(4242)
    assert "TF401232" in missing.value.message
    client.project = "Nope"
    with pytest.raises(NotFound):
        client.get_project()


def test_the_project_and_the_token_s_identity(
    client: AzureDevOpsClient, ado: FakeAzureDevOps
) -> None:
    project = client.get_project()
    assert (project.name, project.process) == ("Shop", "Agile")
    me = client.me()
    assert (me.display_name, me.unique_name) == ("Casebridge Sync", "casebridge@fabrikam.example")


def test_bad_patches_are_invalid_and_change_nothing(client: AzureDevOpsClient) -> None:
    item_id = bug(client)
    for ops in (
        [set_field("System.State", "Doing")],
        [set_field("System.Rev", 9)],
        [set_field("Nope.Field", 1)],
        [set_field("System.AreaPath", "Elsewhere")],
        [set_field("System.AssignedTo", "nobody@nowhere.example")],
    ):
        with pytest.raises(Invalid):
            client.update(item_id, ops, expected_rev=1)
    assert client.get(item_id).rev == 1
