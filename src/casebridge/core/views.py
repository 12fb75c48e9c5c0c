"""Liveness and readiness probes for operators and load balancers, and the metrics door.

The probes answer a status word and nothing else (no database vendor, no error, no version): they
are open to anyone. The reason for a 503 goes to the log.
"""

from __future__ import annotations

import hmac
import ipaddress

from django.conf import settings
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from django_prometheus.exports import ExportToDjangoView  # type: ignore[import-untyped]

from casebridge.core.logs import get_logger

log = get_logger(__name__)


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
                log.warning("readyz.migrations_pending", pending=len(pending))
                return JsonResponse({"status": "unavailable"}, status=503)
            _Migrations.applied = True
    except Exception as exc:  # noqa: BLE001 - any failure means not ready
        log.warning("readyz.unavailable", error=type(exc).__name__)
        return JsonResponse({"status": "unavailable"}, status=503)
    return JsonResponse({"status": "ok"})


def _loopback(request: HttpRequest) -> bool:
    try:
        return ipaddress.ip_address(request.META.get("REMOTE_ADDR", "")).is_loopback
    except ValueError:
        return False


@never_cache
@require_GET
def metrics(request: HttpRequest) -> HttpResponse:
    """Prometheus metrics, for the bearer of ``CASEBRIDGE_METRICS_TOKEN``.

    Without a token configured: loopback clients outside production mode only (a reverse proxy
    on the same host is loopback too, so production mode never relies on the address)."""
    token = str(settings.METRICS_TOKEN)
    if token:
        scheme, _, given = request.headers.get("Authorization", "").partition(" ")
        allowed = scheme.lower() == "bearer" and hmac.compare_digest(given.strip(), token)
    else:
        allowed = not settings.PRODUCTION and _loopback(request)
    if not allowed:
        response = JsonResponse(
            {"code": "unauthenticated", "message": "Send the metrics token as a bearer token"},
            status=401,
        )
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    return ExportToDjangoView(request)  # type: ignore[no-any-return]
