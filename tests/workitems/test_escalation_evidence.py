"""What development receives from an escalation (issue 10): everything the gate demanded reaches
the work item, through the API and on the work item's page."""

from __future__ import annotations

from typing import Any

import pytest

from casebridge.cases.models import Case
from casebridge.occurrences.models import LogSource
from casebridge.occurrences.services import log_source_parse
from tests import factories

LOG = (
    "2025-03-03 09:00:01,120 INFO [pool-1] c.e.Checkout: request 4411 accepted\n"
    "2025-03-03 09:00:02,450 ERROR [pool-2] c.e.Gateway: upstream gw-7.internal timed out\n"
    "2025-03-03 09:00:03,451 ERROR [pool-2] c.e.Gateway: upstream gw-9.internal timed out\n"
)
DOCS = {
    "category": "bug",
    "steps_to_reproduce": "1. Add to cart\n2. Pay by card",
    "expected_result": "The order is paid",
    "actual_result": "HTTP 502 at the last step",
    "version": "4.3.0",
    "log_excerpt": "2025-03-03 09:00:02 ERROR upstream gw-7.internal timed out",
}


def escalated_by_api(api: Any, world: factories.World) -> tuple[Case, str]:
    """A case with a description and a log file, escalated through the API with steps,
    expected and actual results and a version (no description typed: the case's counts)."""
    case = factories.make_case(world, description="Card payments fail at checkout since 09:00.")
    l2 = api("l2")
    assert l2.post(f"/cases/{case.key}/take").status_code == 200
    upload = l2.upload(f"/cases/{case.key}/attachments", "gateway.log", LOG.encode())
    assert upload.status_code == 201, upload.json()
    log_source_parse(source_id=LogSource.objects.get(attachment_id=upload.json()["id"]).pk)
    response = l2.post(f"/cases/{case.key}/escalate", DOCS)
    assert response.status_code == 200, response.json()
    return case, response.json()["work_item"]["key"]


@pytest.mark.django_db
def test_the_work_item_api_carries_the_case_description_and_every_piece_of_evidence(
    api: Any, world: factories.World
) -> None:
    case, key = escalated_by_api(api, world)
    body = api("dev3").get(f"/work-items/{key}").json()
    assert body["description"] == "Card payments fail at checkout since 09:00."
    for name in ("steps_to_reproduce", "expected_result", "actual_result", "log_excerpt"):
        assert body[name] == DOCS[name]
    assert (body["service"], body["component"]) == ("payments", "checkout-api")
    assert (body["environment"], body["version"]) == ("production", "4.3.0")
    [log] = body["log_files"]
    assert (log["case"], log["filename"]) == (case.key, "gateway.log")
    assert log["download_url"] == f"/api/v1/cases/{case.key}/attachments/{log['id']}"
    assert api("dev3").get(log["download_url"].removeprefix("/api/v1")).status_code == 200
    signatures = {s["template"]: s for s in body["log_signatures"]}
    timed_out = next(s for t, s in signatures.items() if "timed out" in t)
    assert timed_out["notable"] and timed_out["level"] == "error"
    assert timed_out["cases"] == [case.key]
    assert timed_out["url"] == f"/api/v1/signatures/{timed_out['id']}"
    assert api("dev3").get(timed_out["url"].removeprefix("/api/v1")).status_code == 200


@pytest.mark.django_db
def test_the_version_given_at_escalation_becomes_the_cases_version(
    api: Any, world: factories.World
) -> None:
    case, _ = escalated_by_api(api, world)
    assert api("l2").get(f"/cases/{case.key}").json()["version"] == "4.3.0"
    changes = api("l2").get(f"/cases/{case.key}/timeline").json()
    assert any(e["field"] == "version" and e["new"] == "4.3.0" for e in changes)


@pytest.mark.django_db
def test_a_typed_description_wins_over_the_cases(api: Any, world: factories.World) -> None:
    case = factories.make_case(world, description="Short note from the call.")
    l2 = api("l2")
    l2.post(f"/cases/{case.key}/take")
    body = {**DOCS, "description": "Checkout answers 502 for every card payment."}
    key = l2.post(f"/cases/{case.key}/escalate", body).json()["work_item"]["key"]
    item = l2.get(f"/work-items/{key}").json()
    assert item["description"] == "Checkout answers 502 for every card payment."
    assert item["log_files"] == []


@pytest.mark.django_db
def test_the_work_item_page_shows_the_documentation_and_links_to_the_logs(
    api: Any, world: factories.World, client: Any
) -> None:
    case, key = escalated_by_api(api, world)
    client.force_login(world["dev3"])
    page = client.get(f"/work-items/{key}/")
    assert page.status_code == 200
    html = page.content.decode()
    docs = html[html.index('id="docs-h"') : html.index('id="cases-h"')]
    for text in (
        "Card payments fail at checkout since 09:00.",
        "Steps to reproduce",
        "1. Add to cart<br>2. Pay by card",
        "The order is paid",
        "HTTP 502 at the last step",
        "Production",
        "4.3.0",
        "upstream gw-7.internal timed out",
    ):
        assert text in docs, text
    log_id = case.attachments.get().pk
    assert f'href="/cases/{case.key}/attachments/{log_id}/"' in docs
    assert "gateway.log" in docs
    signature = api("dev3").get(f"/work-items/{key}").json()["log_signatures"][0]
    assert f'href="/signatures/{signature["id"]}/"' in docs
