"""Reads that may lag go to a read replica, while it keeps up.

With ``CASEBRIDGE_REPLICA_URL`` set (a PostgreSQL streaming replica of ``DATABASE_URL``), the
requests whose reads can be a few seconds old (reports, search, similar cases, CSV exports: the
paths in ``LAGGING_PATHS``) read from the replica; every write, and every other read, goes to the
primary. When the replica lags more than ``CASEBRIDGE_REPLICA_MAX_LAG_SECONDS`` (5) behind, or
cannot be reached, those reads go to the primary too. The lag is read from the replica at most
once a second per process (``pg_last_xact_replay_timestamp()`` while received WAL waits to be
applied).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

import structlog
from django.conf import settings
from django.db import DatabaseError, connections
from django.db.models import Model
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse

log = structlog.get_logger("casebridge.replica")

PRIMARY = "default"
REPLICA = "replica"
#: GET requests under these paths read from the replica (``?format=csv`` exports anywhere too).
LAGGING_PATHS = (
    "/reports/",
    "/api/v1/reports/",
    "/search/",
    "/api/v1/search",
    "/cases/export.csv",
)
LAG_CHECK_SECONDS = 1.0
LAG_SQL = (
    "select case when pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() then 0 "
    "else coalesce(extract(epoch from now() - pg_last_xact_replay_timestamp()), 0) end"
)

#: Who may act is always read from the primary: a user deactivated or a token revoked a second
#: ago must not act through a replica that has not seen it yet.
PRIMARY_ONLY_APPS = frozenset(
    {"accounts", "auth", "sessions", "axes", "otp_totp", "otp_static", "account", "socialaccount"}
)

_reads_from: ContextVar[str | None] = ContextVar("casebridge_lagging_reads", default=None)
_checked: dict[str, float] = {"at": -1e9, "lag": float("inf")}


def _configured() -> bool:
    """A replica is set up (``CASEBRIDGE_REPLICA_URL``) and Django has its connection."""
    return bool(settings.REPLICA_ENABLED) and REPLICA in connections.settings


def forget_lag() -> None:
    """Measure the lag again at the next read (tests, and after a failover)."""
    _checked.update(at=-1e9, lag=float("inf"))


def replica_lag() -> float | None:
    """Seconds the replica is behind (cached a second); ``None`` without a usable replica."""
    if not _configured():
        return None
    now = time.monotonic()
    if now - _checked["at"] >= LAG_CHECK_SECONDS:
        try:
            with connections[REPLICA].cursor() as cursor:
                cursor.execute(LAG_SQL)
                row = cursor.fetchone()
            lag = float(row[0]) if row else float("inf")
        except DatabaseError:
            log.warning("replica_unreachable")
            connections[REPLICA].close()
            lag = float("inf")
        _checked.update(at=now, lag=lag)
    return _checked["lag"]


def lagging_alias() -> str:
    """Where a read that may lag goes now: the replica while it keeps up, else the primary."""
    lag = replica_lag()
    if lag is None or lag > settings.REPLICA_MAX_LAG_SECONDS:
        return PRIMARY
    return REPLICA


@contextmanager
def lagging_reads() -> Iterator[str]:
    """Inside, ORM reads go to :func:`lagging_alias` (writes still go to the primary)."""
    token = _reads_from.set(lagging_alias())
    try:
        yield _reads_from.get() or PRIMARY
    finally:
        _reads_from.reset(token)


class ReplicaRouter:
    """Reads inside :func:`lagging_reads` to the replica; everything else to the primary."""

    def db_for_read(self, model: type[Model], **hints: object) -> str | None:
        if model._meta.app_label in PRIMARY_ONLY_APPS:
            return PRIMARY
        return _reads_from.get()

    def db_for_write(self, model: type[Model], **hints: object) -> str:
        return PRIMARY  # also for an object that was read from the replica

    def allow_relation(self, obj1: Model, obj2: Model, **hints: object) -> bool:
        return {obj1._state.db, obj2._state.db} <= {PRIMARY, REPLICA, None}

    def allow_migrate(self, db: str, app_label: str, **hints: object) -> bool:
        return db != REPLICA


def _streamed(alias: str, chunks: Iterable[object]) -> Iterator[object]:
    """A streamed body read in the same place as its view (the view has returned by now)."""
    iterator = iter(chunks)
    while True:
        token = _reads_from.set(alias)
        try:
            chunk = next(iterator)
        except StopIteration:
            return
        finally:
            _reads_from.reset(token)
        yield chunk


class LaggingReadsMiddleware:
    """Applies :func:`lagging_reads` to the GET requests that may read the past."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not _configured() or request.method != "GET":
            return self.get_response(request)
        if not (request.path.startswith(LAGGING_PATHS) or request.GET.get("format") == "csv"):
            return self.get_response(request)
        with lagging_reads() as alias:
            response = self.get_response(request)
        if isinstance(response, StreamingHttpResponse) and alias == REPLICA:
            response.streaming_content = _streamed(alias, response.streaming_content)
        return response
