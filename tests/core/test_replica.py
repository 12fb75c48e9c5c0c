"""Reads that may lag go to a real streaming replica while it keeps up (``core.replica``)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.db import connections
from django.test.utils import CaptureQueriesContext

from casebridge.cases.models import Case
from casebridge.core import replica
from tests import factories
from tests.servers._support import wait_until
from tests.servers.pg_replica import PgReplica

BOTH = ["default", "replica"]


@pytest.fixture
def fresh(settings) -> Iterator[None]:
    # the fixture's "replica" alias serves this test only: other tests never read from it
    settings.REPLICA_ENABLED = "replica" in connections.settings
    settings.REPLICA_MAX_LAG_SECONDS = 1.0
    replica.forget_lag()
    yield
    replica.forget_lag()


def test_without_a_replica_everything_reads_from_the_primary(fresh):
    if "replica" in connections.settings:
        pytest.skip("a replica is configured in this process")
    with replica.lagging_reads() as alias:
        assert alias == "default"
        assert Case.objects.all().db == "default"


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True, databases=BOTH)
def test_lagging_reads_go_to_the_replica_and_back_to_the_primary_when_it_lags(
    pg_replica: PgReplica, fresh
):
    world = factories.build_world()
    case = factories.make_case(world)
    pg_replica.wait_caught_up()
    with replica.lagging_reads() as alias:
        assert alias == "replica"
        assert Case.objects.filter(key=case.key).exists()  # read on the replica
        assert Case.objects.all().db == "replica"
    assert Case.objects.all().db == "default"  # outside: the primary
    # a write inside goes to the primary, also for an object read from the replica
    with replica.lagging_reads():
        read = Case.objects.get(key=case.key)
        read.title = "Changed through the primary"
        read.save(update_fields=["title"])
    assert Case.objects.using("default").get(key=case.key).title == read.title

    pg_replica.pause_replay()
    try:
        factories.make_case(world)  # the replica cannot apply it: it falls behind
        wait_until(lambda: pg_replica.lag_seconds() > 1.5, "the replica to lag", timeout=10)
        replica.forget_lag()
        with replica.lagging_reads() as alias:
            assert alias == "default"
            assert Case.objects.count() == 2  # the primary's present, not the replica's past
    finally:
        pg_replica.resume_replay()
        pg_replica.wait_caught_up()
    replica.forget_lag()
    assert replica.lagging_alias() == "replica"


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True, databases=BOTH)
def test_a_report_and_a_csv_export_read_from_the_replica(pg_replica: PgReplica, fresh, client):
    world = factories.build_world()
    factories.make_case(world)
    pg_replica.wait_caught_up()
    client.force_login(world["l2"])
    with CaptureQueriesContext(connections["replica"]) as on_replica:
        export = client.get("/cases/export.csv")
        body = b"".join(export.streaming_content)
    assert export.status_code == 200 and body.count(b"\n") >= 2
    assert any("cases_case" in q["sql"] for q in on_replica.captured_queries)
    # who may act is read from the primary: a revoked token or a deactivated user acts no more
    read_there = " ".join(q["sql"] for q in on_replica.captured_queries)
    assert 'FROM "accounts_' not in read_there and 'FROM "django_session"' not in read_there
    with CaptureQueriesContext(connections["replica"]) as on_replica:
        assert client.get("/cases/").status_code == 200  # the queue: always the primary
    assert on_replica.captured_queries == []
