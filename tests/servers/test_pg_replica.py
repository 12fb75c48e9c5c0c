"""The replica fixture: a real streaming replica of the test cluster (PostgreSQL only)."""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest
from django.db import connection

from tests.servers._support import wait_until
from tests.servers.pg_replica import PgReplica

pytestmark = pytest.mark.postgres_only


@pytest.fixture
def scratch(transactional_db: None) -> Iterator[str]:
    """A table in the test database, written through Django's connection (committed)."""
    with connection.cursor() as cursor:
        cursor.execute("create table replica_scratch (id serial primary key, note text)")
    yield "replica_scratch"
    with connection.cursor() as cursor:
        cursor.execute("drop table replica_scratch")


def _insert(note: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute("insert into replica_scratch (note) values (%s)", [note])


def _notes(replica: PgReplica) -> list[str]:
    with psycopg.connect(replica.dsn, autocommit=True) as replica_connection:
        rows = replica_connection.execute("select note from replica_scratch order by id")
        return [row[0] for row in rows]


def test_the_replica_serves_the_test_database(pg_replica: PgReplica) -> None:
    assert pg_replica.dbname == connection.settings_dict["NAME"]
    assert pg_replica.query("select pg_is_in_recovery()") is True
    # Taken after the test database was made: Django's tables are there.
    assert pg_replica.query("select count(*) from django_migrations") > 0
    settings = pg_replica.database_settings(connection.settings_dict)
    assert (settings["HOST"], settings["PORT"]) == ("127.0.0.1", str(pg_replica.port))


def test_a_committed_row_reaches_the_replica(pg_replica: PgReplica, scratch: str) -> None:
    _insert("hello")
    pg_replica.wait_caught_up()
    assert _notes(pg_replica) == ["hello"]
    with (
        psycopg.connect(pg_replica.dsn, autocommit=True) as replica_connection,
        pytest.raises(psycopg.errors.ReadOnlySqlTransaction),
    ):
        replica_connection.execute("insert into replica_scratch (note) values ('no')")


def test_paused_replay_shows_lag_until_resumed(pg_replica: PgReplica, scratch: str) -> None:
    _insert("before")
    pg_replica.wait_caught_up()
    pg_replica.pause_replay()
    _insert("while paused")
    assert pg_replica.lag_bytes() > 0
    wait_until(lambda: pg_replica.lag_seconds() > 0.2, "lag_seconds to grow", timeout=5)
    assert _notes(pg_replica) == ["before"]  # the replica still shows the past

    pg_replica.resume_replay()
    pg_replica.wait_caught_up()
    assert _notes(pg_replica) == ["before", "while paused"]


@pytest.mark.django_db(transaction=True, databases=["default", "replica"])
def test_the_replica_is_the_django_database_replica(pg_replica: PgReplica) -> None:
    from django.contrib.contenttypes.models import ContentType
    from django.db import connections

    with connections["replica"].cursor() as cursor:
        cursor.execute("select pg_is_in_recovery(), current_database()")
        assert cursor.fetchone() == (True, connection.settings_dict["NAME"])
    assert ContentType.objects.using("replica").count() == ContentType.objects.count() > 0
