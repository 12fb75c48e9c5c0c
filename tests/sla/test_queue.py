"""The L2 queue sorts by time to breach and by impact, on an index; rows show the time to breach
in words; the case page shows the clocks, to customers only what the policy lets them see."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django.test import Client

from casebridge.cases.selectors import CaseFilters, _ids, case_list_for
from casebridge.sla.calendars import calendar_create
from casebridge.sla.policies import policy_create, policy_update
from casebridge.sla.services import sla_tick
from tests import factories

T0 = datetime(2026, 11, 9, 8, 0, tzinfo=UTC)


@pytest.fixture
def queue(world: factories.World) -> dict[str, str]:
    always = calendar_create(actor=None, name="24x7", always_open=True)
    policy_create(
        actor=None, name="Critical", calendar=always, impacts=["critical"],
        first_response_minutes=60, customer_visible=True,
    )  # fmt: skip
    policy_create(actor=None, name="High", calendar=always, impacts=["high"],
                  first_response_minutes=8 * 60)  # fmt: skip
    keys = {}
    with time_machine.travel(T0, tick=False):
        keys["high_old"] = factories.make_case(world, impact="high").key
    with time_machine.travel(T0 + timedelta(hours=1), tick=False):
        keys["low"] = factories.make_case(world, impact="low").key
    with time_machine.travel(T0 + timedelta(hours=2), tick=False):
        keys["critical"] = factories.make_case(world, impact="critical").key
        sla_tick()
    return keys


def order(world: factories.World, sort: str) -> list[str]:
    return [c.key for c in case_list_for(world["l2"], CaseFilters.queue(sort=sort))]


def test_the_queue_sorts_by_time_to_breach_impact_or_age(world, queue) -> None:
    assert order(world, "oldest") == [queue["high_old"], queue["low"], queue["critical"]]
    # critical is due at T0+3h, the old high case at T0+8h, the low case has no clock
    assert order(world, "breach") == [queue["critical"], queue["high_old"], queue["low"]]
    assert order(world, "impact") == [queue["critical"], queue["high_old"], queue["low"]]


def test_the_queue_page_shows_time_to_breach_in_words(world, queue) -> None:
    client = Client()
    client.force_login(world["l2"])
    with time_machine.travel(T0 + timedelta(hours=2, minutes=50), tick=False):
        page = client.get("/cases/?sort=breach").content.decode()
    assert "At risk: 10 min left" in page  # the critical case, past 75% of its hour
    assert "On track: 5 h left" in page
    assert 'class="sla sla-warning"' in page
    with time_machine.travel(T0 + timedelta(hours=3, minutes=5), tick=False):
        page = client.get("/cases/?sort=breach").content.decode()
    assert "Breached 5 min ago" in page


def test_customers_see_commitments_only_when_the_policy_says_so(world, queue) -> None:
    client = Client()
    client.force_login(world["cust_a"])
    with time_machine.travel(T0 + timedelta(hours=2, minutes=10), tick=False):
        critical = client.get(f"/portal/cases/{queue['critical']}/").content.decode()
        high = client.get(f"/portal/cases/{queue['high_old']}/").content.decode()
    assert "Our commitments" in critical and "First response" in critical
    assert "Critical" not in critical.split("Our commitments")[1].split("</section>")[0]
    assert "Our commitments" not in high
    staff = Client()
    staff.force_login(world["l2"])
    with time_machine.travel(T0 + timedelta(hours=2, minutes=10), tick=False):
        page = staff.get(f"/cases/{queue['critical']}/").content.decode()
    assert "Service level" in page and "Critical · 24x7" in page
    assert "On track: 50 min left" in page


def test_a_policy_change_reaches_open_cases_through_the_tick(world, queue) -> None:
    from casebridge.sla.models import Policy

    with time_machine.travel(T0 + timedelta(hours=2), tick=False):
        policy_update(actor=None, policy=Policy.objects.get(slug="high"),
                      changes={"first_response_minutes": 60})  # fmt: skip
        sla_tick()
    assert order(world, "breach")[:2] == [queue["high_old"], queue["critical"]]


@pytest.mark.parametrize(
    "sort,index", [("breach", "case_queue_breach"), ("impact", "case_queue_impact")]
)
def test_the_sorted_queue_reads_an_index(world, queue, sort, index) -> None:
    """The open states are found on an index led by the state, as the age sorts are; SQLite
    picks the sort's own index. (PostgreSQL scans a table this small: seq scans are switched
    off to see that an index serves.)"""
    query = _ids(world["l2"], CaseFilters.queue(sort=sort))[:50]
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL enable_seqscan = off")
        plan = query.explain()
        assert "Index" in plan and "Seq Scan" not in plan, plan
    else:
        plan = query.explain()
        assert f"INDEX {index} (state=?)" in plan, plan
