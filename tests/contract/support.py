"""Helpers shared by the API contract tests: rolled-back cells, row counts, error shapes."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from django.apps import apps
from django.conf import settings
from django.db import connection, transaction


@contextmanager
def rolled_back() -> Iterator[None]:
    """Run the block in a savepoint and roll it back, so the next cell starts from the same data."""
    savepoint = transaction.savepoint_create()
    try:
        yield
    finally:
        transaction.savepoint_rollback(savepoint)


@contextmanager
def shared_by_module(media_root: Path) -> Iterator[None]:
    """Data made once for a module, in a transaction rolled back when the module is done.

    Each test still runs in its own savepoint inside it (pytest-django's ``db``), so tests see
    the shared data and never each other's. Files go to one MEDIA_ROOT for the whole module: use
    it with an autouse fixture that sets ``settings.MEDIA_ROOT`` back to ``media_root``.
    """
    from django.test import override_settings

    fast = override_settings(
        MEDIA_ROOT=str(media_root),
        PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
        TASKS={"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}},
    )
    with fast, transaction.atomic():
        yield
        transaction.set_rollback(True)


def media_files() -> list[str]:
    root = Path(settings.MEDIA_ROOT)
    if not root.exists():
        return []
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


def _count_query() -> tuple[str, list[str]]:
    """Every table of every Casebridge app: a refused request must leave all of them untouched."""
    models = [
        model
        for config in apps.get_app_configs()
        if config.name.startswith("casebridge.")
        for model in config.get_models(include_auto_created=True)
    ]
    quote = connection.ops.quote_name
    sql = " UNION ALL ".join(
        f"SELECT {n}, COUNT(*) FROM {quote(model._meta.db_table)}" for n, model in enumerate(models)
    )
    return sql, [model._meta.label for model in models]


def snapshot() -> dict[str, Any]:
    """Row counts of every domain table (in one query), plus the files under MEDIA_ROOT."""
    sql, labels = _count_query()
    with connection.cursor() as cursor:
        cursor.execute(sql)
        counts: dict[str, Any] = {labels[n]: count for n, count in cursor.fetchall()}
    counts["files on disk"] = media_files()
    return counts


def assert_error_shape(body: Any) -> None:
    """Every API error is ``{"code", "message", "fields"}`` with a machine code and strings."""
    assert isinstance(body, dict), body
    assert {"code", "message", "fields"} <= set(body), body
    assert isinstance(body["code"], str) and body["code"], body
    assert isinstance(body["message"], str) and body["message"], body
    assert isinstance(body["fields"], dict), body
    assert all(isinstance(v, str) for v in body["fields"].values()), body
