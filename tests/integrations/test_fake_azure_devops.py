"""The fake Azure DevOps itself: what it answers as the documentation says the service does, and the
service hooks it posts. Other tests trust it, so it is tested on its own."""

from __future__ import annotations

import json
import ssl
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.fakes.azure_devops import FakeAzureDevOps
from tests.integrations.conftest import PAT

PATCH = {"Content-Type": "application/json-patch+json"}
V = {"api-version": "7.1"}


@pytest.fixture
def http(ado: FakeAzureDevOps) -> Iterator[httpx.Client]:
    context = ssl.create_default_context(cafile=ado.ca_bundle)
    with httpx.Client(base_url=ado.url, auth=("", PAT), verify=context) as client:
        yield client


def create(http: httpx.Client, title: str = "Checkout fails", kind: str = "Bug") -> Any:
    body = [{"op": "add", "path": "/fields/System.Title", "value": title}]
    response = http.post(f"/Shop/_apis/wit/workitems/${kind}", params=V, json=body, headers=PATCH)
    assert response.status_code == 200, response.text
    return response.json()


def posted(ado: FakeAzureDevOps) -> list[dict[str, Any]]:
    """Subscribe everything to a recorder; returns the list the hooks land in."""
    landed: list[dict[str, Any]] = []

    def transport(url: str, headers: dict[str, str], body: bytes) -> int:
        landed.append({"url": url, "headers": headers, "body": json.loads(body)})
        return 202

    ado.hooks.transport = transport
    ado.hooks.subscribe("https://casebridge.example/hooks", username="ado", password="s3cret")
    return landed


def test_no_token_or_a_wrong_one_is_401_and_recorded(ado: FakeAzureDevOps) -> None:
    context = ssl.create_default_context(cafile=ado.ca_bundle)
    for auth in (None, ("", "nope")):
        response = httpx.get(f"{ado.url}/_apis/projects/Shop", params=V, auth=auth, verify=context)
        assert response.status_code == 401
        assert response.headers["WWW-Authenticate"].startswith("Basic")
    assert [r.status for r in ado.requests] == [401, 401]


def test_created_items_carry_the_system_fields(http: httpx.Client) -> None:
    item = create(http)
    fields = item["fields"]
    assert fields["System.TeamProject"] == "Shop" and fields["System.AreaPath"] == "Shop"
    assert fields["System.State"] == "New" and fields["System.Rev"] == 1
    assert fields["System.CreatedBy"]["uniqueName"] == "casebridge@fabrikam.example"
    assert item["url"].endswith(f"/_apis/wit/workItems/{item['id']}")


def test_json_patch_needs_its_content_type_and_comments_need_the_preview_version(
    http: httpx.Client,
) -> None:
    body = [{"op": "add", "path": "/fields/System.Title", "value": "x"}]
    refused = http.post("/Shop/_apis/wit/workitems/$Bug", params=V, json=body)
    assert refused.status_code == 415 and "application/json-patch+json" in refused.json()["message"]
    item = create(http)
    comment = http.post(
        f"/Shop/_apis/wit/workItems/{item['id']}/comments", params=V, json={"text": "x"}
    )
    assert comment.status_code == 400 and "VS800006" in comment.json()["message"]
    assert http.get(f"/Shop/_apis/wit/workitems/{item['id']}").status_code == 400  # no version


def test_the_whole_patch_applies_or_none_of_it(http: httpx.Client) -> None:
    item = create(http)
    ops = [
        {"op": "add", "path": "/fields/System.Description", "value": "half"},
        {"op": "test", "path": "/fields/System.Title", "value": "Not the title"},
    ]
    response = http.patch(
        f"/Shop/_apis/wit/workitems/{item['id']}", params=V, json=ops, headers=PATCH
    )
    assert response.status_code == 400
    again = http.get(f"/Shop/_apis/wit/workitems/{item['id']}", params=V).json()
    assert again["rev"] == 1 and "System.Description" not in again["fields"]


def test_a_batch_is_at_most_200_ids(http: httpx.Client) -> None:
    response = http.post(
        "/Shop/_apis/wit/workitemsbatch", params=V, json={"ids": list(range(1, 202))}
    )
    assert response.status_code == 400 and "VS402337" in response.json()["message"]


def test_wiql_filters_orders_and_understands_short_names(
    http: httpx.Client, ado: FakeAzureDevOps
) -> None:
    developer = ado.developer("Jamal Hartnett")
    for title, kind in (("a", "Bug"), ("b", "Task"), ("c", "Bug")):
        ado.create_item("Shop", kind, {"System.Title": title}, by=developer)
    ado.edit(3, {"System.State": "Active"}, by=developer)

    def ids(query: str) -> list[int]:
        response = http.post("/Shop/_apis/wit/wiql", params=V, json={"query": query})
        assert response.status_code == 200, response.text
        return [row["id"] for row in response.json()["workItems"]]

    base = "SELECT [System.Id] FROM WorkItems WHERE [System.TeamProject] = @project"
    assert ids(base + " AND [Work Item Type] = 'Bug' ORDER BY [System.Id] DESC") == [3, 1]
    assert ids(base + " AND [State] <> 'Active' AND [System.WorkItemType] IN ('Bug', 'Task')") == [
        1,
        2,
    ]
    assert ids(base + " AND ([State] = 'Active' OR [Title] CONTAINS 'B')") == [2, 3]
    assert ids(base + " AND [System.ChangedDate] >= @today - 1") == [1, 2, 3]
    assert ids(base + " AND [System.AreaPath] UNDER 'Shop'") == [1, 2, 3]
    bad = http.post("/Shop/_apis/wit/wiql", params=V, json={"query": "SELECT FROM"})
    assert bad.status_code == 400 and bad.json()["message"].startswith("TF51005")


def test_hooks_are_posted_in_the_documented_shape_with_basic_auth(
    http: httpx.Client, ado: FakeAzureDevOps
) -> None:
    landed = posted(ado)
    item = create(http)
    ado.edit(item["id"], {"System.State": "Active"}, by=ado.developer("Jamal Hartnett"))
    ado.comment(item["id"], "Looking at it", by=ado.developer("Jamal Hartnett"))
    ado.delete(item["id"], by=ado.developer("Jamal Hartnett"))
    assert landed == []  # queued until flushed: the test decides when Casebridge hears of it
    ado.hooks.flush()

    kinds = [hook["body"]["eventType"] for hook in landed]
    assert kinds == [
        "workitem.created",
        "workitem.updated",
        "workitem.updated",
        "workitem.commented",
        "workitem.deleted",
    ]
    assert landed[0]["headers"]["Authorization"] == "Basic YWRvOnMzY3JldA=="  # ado:s3cret
    created, updated, _, commented, deleted = (hook["body"] for hook in landed)
    for body in (created, updated, commented, deleted):
        assert body["publisherId"] == "tfs" and body["resourceVersion"] == "1.0"
        assert body["resourceContainers"]["project"]["id"] == ado.store.project("Shop").id
        assert set(body) >= {"subscriptionId", "notificationId", "id", "message", "createdDate"}
    assert created["resource"]["id"] == item["id"] and created["resource"]["rev"] == 1
    resource = updated["resource"]
    assert resource["workItemId"] == item["id"] and resource["rev"] == 2
    assert resource["fields"]["System.State"] == {"oldValue": "New", "newValue": "Active"}
    assert resource["fields"]["System.Rev"] == {"oldValue": 1, "newValue": 2}
    assert resource["revision"]["fields"]["System.State"] == "Active"
    assert resource["revisedBy"]["uniqueName"] == "jamal@fabrikam.example"
    assert commented["resource"]["fields"]["System.History"] == "Looking at it"
    assert deleted["resource"]["url"].endswith(f"/recyclebin/{item['id']}")
    assert "Bug #1 (Checkout fails) updated by Jamal Hartnett" in updated["message"]["text"]


def test_hooks_can_be_dropped_or_duplicated(http: httpx.Client, ado: FakeAzureDevOps) -> None:
    landed = posted(ado)
    ado.hooks.drop_next()
    create(http)
    ado.hooks.duplicate_next()
    create(http)
    ado.hooks.flush()
    assert len(ado.hooks.dropped) == 1
    assert [hook["body"]["resource"]["id"] for hook in landed] == [2, 2]
    assert landed[0]["body"]["id"] == landed[1]["body"]["id"]  # a repeat, not a new event


def test_hooks_post_over_http_from_a_background_thread(ado: FakeAzureDevOps) -> None:
    with FakeAzureDevOps(tls_enabled=False) as receiver:  # any HTTP server will do as a target
        receiver.add_pat("x" * 20, "Receiver", "r@example")
        ado.hooks.subscribe(f"{receiver.url}/_apis/hooks", username="", password="x" * 20)
        ado.hooks.start()
        ado.create_item("Shop", "Bug", {"System.Title": "t"}, by=ado.developer("Ann Lee"))
        for _ in range(100):
            if receiver.requests:
                break
            time.sleep(0.02)
        ado.hooks.stop()
    assert receiver.requests and receiver.requests[0].json()["eventType"] == "workitem.created"
    assert ado.hooks.delivered[0].status == 404  # the receiver has no such API: recorded


def test_developer_edits_go_through_the_same_rules(ado: FakeAzureDevOps) -> None:
    from tests.fakes.azure_devops.errors import ServiceError

    developer = ado.developer("Jamal Hartnett")
    item = ado.create_item("Shop", "Bug", {"System.Title": "t"}, by=developer)
    with pytest.raises(ServiceError) as refused:
        ado.edit(item["id"], {"System.State": "Done"}, by=developer)  # not an Agile Bug state
    assert refused.value.status == 400
    edited = ado.edit(item["id"], {"System.AssignedTo": "Jamal Hartnett"}, by=developer)
    assert edited["fields"]["System.AssignedTo"]["uniqueName"] == "jamal@fabrikam.example"
    assert ado.item(item["id"])["fields"]["System.ChangedBy"]["displayName"] == "Jamal Hartnett"
