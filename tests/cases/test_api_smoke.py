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
