"""Previous occurrences through the product's index and selector."""

from __future__ import annotations

import pytest
import time_machine

from casebridge.cases.services import CaseInput, case_create, case_update
from casebridge.knowledge.services import KnownResolutionInput, known_resolution_create
from casebridge.occurrences.index import search
from casebridge.occurrences.index.search import DEFAULT_CANDIDATE_SETTINGS
from casebridge.occurrences.models import Document
from casebridge.occurrences.selectors import similar_for_case, similar_for_draft
from casebridge.occurrences.services import occurrences_refresh_stats

TEXTS = [
    ("Checkout fails with 502 for card payments", "PKIX path building failed in gateway-connector"),
    ("Card payments fail at the last step", "SSLHandshakeException PKIX path building failed"),
    ("Search results miss new products", "indexer bulk request rejected version conflict"),
    ("Password reset e-mails arrive late", "SMTP relay 421 try again later"),
    ("Dashboard shows zero for last week", "sales dashboard empty"),
    ("Export never finishes", "lease expired for job export-worker"),
]


def _case(world, title, description, service="payments", days=0):
    with time_machine.travel(f"2026-11-{1 + days:02d} 10:00Z", tick=False):
        data = CaseInput(
            title=title,
            description=description,
            service=world.services[service],
            environment="production",
            organisation=world.orgs["a"],
        )
        return case_create(actor=world["l1"], data=data)


@pytest.fixture
def history(world):
    cases = [_case(world, t, d, days=i) for i, (t, d) in enumerate(TEXTS)]
    # Filler so that document frequencies are informative.
    for i in range(20):
        _case(world, f"Unrelated question number {i}", "how do I change my avatar", "search", 7)
    occurrences_refresh_stats()
    return cases


@pytest.mark.django_db
def test_similar_case_finds_the_earlier_duplicate_with_reasons(world, history):
    query = _case(world, "Card payment error 502 at checkout", "PKIX path building failed", days=10)
    occurrences_refresh_stats()
    found = similar_for_case(world["l2"], query)
    keys = [o.key for o in found.cases]
    assert {history[0].key, history[1].key} == set(keys[:2])
    top = found.cases[0]
    assert {"checkout", "502"} <= set(top.reasons.shared_terms)
    assert top.reasons.same_service
    assert found.cases[0].score >= found.cases[1].score


@pytest.mark.django_db
def test_only_earlier_cases_are_candidates(world, history):
    found = similar_for_case(world["l2"], history[0])
    assert history[1].key not in [o.key for o in found.cases]


@pytest.mark.django_db
def test_draft_finds_cases_and_the_known_fix(world, history):
    fix = known_resolution_create(
        actor=world["l2"],
        data=KnownResolutionInput(
            title="Gateway connector rejects calls after certificate rotation",
            symptoms="PKIX path building failed; checkout 502",
            steps="Restart the connector",
            fix_kind="restart_service",
        ),
    )
    found = similar_for_draft(
        world["l2"], title="checkout 502", description="PKIX path building failed"
    )
    assert found.cases and found.cases[0].key in {history[0].key, history[1].key}
    assert [o.key for o in found.known_resolutions] == [fix.key]


@pytest.mark.django_db
def test_customers_get_no_occurrences(world, history):
    assert similar_for_case(world["cust_a"], history[0]).cases == []


@pytest.mark.django_db
def test_api_similar_gives_scores_and_reasons_to_staff_only(api, world, history):
    query = _case(world, "Card payment error 502 at checkout", "PKIX path building failed", days=10)
    occurrences_refresh_stats()
    body = api("l2").get(f"/cases/{query.key}/similar", k=3).json()
    assert {c["key"] for c in body["cases"]} == {history[0].key, history[1].key}
    first = body["cases"][0]
    assert first["key"] in {history[0].key, history[1].key}
    assert first["score"] > 0 and "checkout" in first["reasons"]["shared_terms"]
    assert first["reasons"]["same_service"] is True
    assert api("cust_a").get(f"/cases/{query.key}/similar").json() == {
        "cases": [],
        "work_items": [],
        "known_resolutions": [],
    }


@pytest.mark.django_db
def test_an_edited_case_is_indexed_with_its_new_words_only(world, history):
    doc = Document.objects.get(kind="case", object_id=history[2].pk)

    def found(term, **kw):
        return doc.pk in search.candidates(
            [term], cases=True, before=None, settings=DEFAULT_CANDIDATE_SETTINGS, **kw
        )

    assert found("indexer") and found("search", title_only=True)
    case_update(
        actor=world["l2"],
        case=history[2],
        changes={"title": "Avatar upload crashes", "description": "avatar upload crash"},
    )
    assert not found("indexer") and not found("search", title_only=True)
    assert found("crash") and found("avatar", title_only=True)


@pytest.mark.django_db
def test_the_shown_cases_planner_setting_ends_with_their_statement(world, history):
    """On PostgreSQL the shown cases are planned with ``join_collapse_limit = 1``; the setting
    never reaches the caller's later statements, inside its transaction or after it."""
    from django.db import connection, transaction

    if connection.vendor != "postgresql":
        pytest.skip("a PostgreSQL planner setting")

    def limit() -> str:
        with connection.cursor() as cursor:
            cursor.execute("SHOW join_collapse_limit")
            return str(cursor.fetchone()[0])

    before = limit()
    with transaction.atomic():
        found = similar_for_draft(world["l2"], title="Checkout 502 for card payments")
        assert found.cases
        assert limit() == before
    assert limit() == before
