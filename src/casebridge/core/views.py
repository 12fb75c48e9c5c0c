"""Liveness and readiness probes for operators and load balancers."""

from __future__ import annotations

from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """The process is up. Touches no database."""
    return JsonResponse({"status": "ok"})


class _Migrations:
    applied = False


@never_cache
@require_GET
def readyz(request: HttpRequest) -> JsonResponse:
    """The process can serve: the database answers and migrations are applied."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        if not _Migrations.applied:
            executor = MigrationExecutor(connection)
            pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
            if pending:
                body = {"status": "migrations_pending", "pending": len(pending)}
                return JsonResponse(body, status=503)
            _Migrations.applied = True
    except Exception as exc:  # noqa: BLE001 - any failure means not ready
        return JsonResponse({"status": "unavailable", "error": type(exc).__name__}, status=503)
    return JsonResponse({"status": "ok", "database": connection.vendor})
