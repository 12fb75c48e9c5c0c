from __future__ import annotations

import pytest


@pytest.mark.django_db
def test_case_from_intake_to_escalation(api, world):
    l1, l2 = api("l1"), api("l2")
    r = l1.post(
        "/cases",
        {
            "title": "Checkout 502",
            "service": "payments",
            "environment": "production",
            "organisation": "acme",
        },
    )
    assert r.status_code == 201, r.json()
    key = r.json()["key"]
    assert key.startswith("CB-")
    r = l2.post(f"/cases/{key}/take")
    assert r.status_code == 200, r.json()
    assert r.json()["state"] == "investigating"
    r = l2.post(f"/cases/{key}/escalate", {"category": "bug"})
    assert r.status_code == 409, r.json()
    fields = r.json()["fields"]
    assert set(fields) >= {"steps_to_reproduce", "expected_result", "actual_result", "log_excerpt"}
    r = l2.post(
        f"/cases/{key}/escalate",
        {
            "category": "bug",
            "description": "Checkout fails",
            "steps_to_reproduce": "1. add to cart 2. pay",
            "expected_result": "paid",
            "actual_result": "502",
            "version": "4.2.1",
            "log_excerpt": "ERROR upstream timed out",
        },
    )
    assert r.status_code == 200, r.json()
    assert r.json()["state"] == "escalated"
    assert r.json()["work_item"]["key"].startswith("BUG-")
    r = l2.get(f"/cases/{key}/timeline")
    assert [e["action"] for e in r.json()][:3] == ["created", "take", "take"]


@pytest.mark.django_db
def test_case_create_statement_budget(api, world, django_assert_max_num_queries):
    """``POST /cases``: the token with its user and roles (one statement), the service, its
    component and the organisation, then in one transaction the key, the case, its audit event,
    its index document and postings, and its outbox rows in one statement (plus BEGIN and COMMIT
    where the database reports them). The index takes the new case as written: no read back."""
    l1 = api("l1")
    body = {
        "title": "Checkout 502 on card payments",
        "description": "Customers see an error at the last step.",
        "service": "payments",
        "environment": "production",
        "organisation": "acme",
    }
    assert l1.post("/cases", body).status_code == 201  # the token's first use records it
    with django_assert_max_num_queries(12) as captured:
        r = l1.post("/cases", body)
    assert r.status_code == 201, r.json()
    outbox = [q["sql"] for q in captured if "integrations_outboxmessage" in q["sql"]]
    assert len(outbox) == 1
    assert not [q for q in captured if q["sql"].startswith('SELECT "cases_case"')]
