"""GET /api/v1/signatures and /api/v1/signatures/{id}: filters, where seen, counts; internal."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.base import ContentFile
from tests import factories

from casebridge.cases.attachments import attachment_add
from casebridge.knowledge.services import KnownResolutionInput, known_resolution_create
from casebridge.occurrences.models import LogSource, Signature
from casebridge.occurrences.services import log_source_parse

pytestmark = pytest.mark.django_db

LOG = (
    "2024-05-01 10:00:01,001 ERROR [pool-1] Gateway: connection to db-3 refused\n"
    "2024-05-01 10:00:02,001 ERROR [pool-1] Gateway: connection to db-4 refused\n"
    "2024-05-01 10:00:03,001 INFO [pool-1] Checkout: order 81 paid\n"
    "2024-05-01 10:00:04,001 INFO [pool-1] Checkout: order 82 paid\n"
)


@pytest.fixture
def seen(world: factories.World) -> dict[str, Any]:
    payments = factories.make_case(world)
    search = factories.make_case(
        world,
        org="b",
        title="Search is slow",
        service=world.services["search"],
        component=world.components["indexer"],
    )
    for case in (payments, search):
        attachment_add(
            actor=world["l2"], case=case, upload=ContentFile(LOG.encode()), filename="app.log"
        )
    for source in LogSource.objects.all():
        log_source_parse(source_id=source.pk)
    refused = Signature.objects.get(template__startswith="connection")
    fix = known_resolution_create(
        actor=world["l2"],
        data=KnownResolutionInput(
            title="Restart the DB proxy",
            symptoms="Connections refused",
            steps="Restart",
            fix_kind="restart_service",
            signatures=[refused.pk],
        ),
    )
    return {"payments": payments, "search": search, "refused": refused, "fix": fix}


def test_list_gives_where_seen_first_last_and_counts(api, seen):
    body = api("l2").get("/signatures").json()
    assert body["count"] == 2
    row = next(i for i in body["items"] if i["id"] == seen["refused"].pk)
    assert row["template"] == "connection to db-<*> refused"
    assert (row["level"], row["lines"], row["cases"], row["services"]) == ("error", 4, 2, 2)
    assert row["first_seen"] and row["last_seen"]


def test_filters_service_case_words_and_notable(api, seen):
    client = api("l2")
    by_service = client.get("/signatures", service="search").json()
    assert by_service["count"] == 2
    by_case = client.get("/signatures", case=seen["payments"].key.lower()).json()
    assert by_case["count"] == 2
    assert client.get("/signatures", q="refused db").json()["count"] == 1
    assert client.get("/signatures", q="nothing").json() == {"count": 0, "items": []}
    notable = client.get("/signatures", notable=True).json()
    assert [i["id"] for i in notable["items"]] == [seen["refused"].pk]
    assert client.get("/signatures", limit=1, offset=1).json()["count"] == 2
    assert len(client.get("/signatures", limit=1).json()["items"]) == 1
    assert client.get("/signatures", limit=0).status_code == 422


def test_one_signature_lists_the_cases_and_known_fixes(api, seen):
    body = api("l2").get(f"/signatures/{seen['refused'].pk}").json()
    assert {s["case"] for s in body["seen_in"]} == {seen["payments"].key, seen["search"].key}
    assert {s["service"] for s in body["seen_in"]} == {"payments", "search"}
    assert body["known_resolutions"] == [seen["fix"].key]
    assert api("l2").get("/signatures/0000000000000000").status_code == 404


def test_signatures_are_internal(api, seen):
    for who in ("cust_a", "cust_b", "partner"):
        assert api(who).get("/signatures").json() == {"count": 0, "items": []}
        assert api(who).get(f"/signatures/{seen['refused'].pk}").status_code == 404


def test_the_list_takes_a_bounded_number_of_queries(api, seen, django_assert_max_num_queries):
    client = api("l2")
    client.get("/signatures")  # warm the token cache path
    with django_assert_max_num_queries(8):
        client.get("/signatures")
