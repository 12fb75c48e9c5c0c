"""A worker process for the key-allocation concurrency test.

It is started with the ``spawn`` method, so it imports nothing of Django at module level: it points
the settings at the test database first, then sets Django up, then creates cases.
"""

from __future__ import annotations

import os
from typing import Any


def create_cases(
    db_name: str, barrier: Any, results: Any, worker: int, count: int, username: str
) -> None:
    keys: list[str] = []
    errors: list[str] = []
    try:
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "casebridge.settings")
        from django.conf import settings

        settings.DATABASES["default"]["NAME"] = db_name
        import django

        django.setup()
        from django.db import connections

        from casebridge.accounts.models import User
        from casebridge.cases.services import CaseInput, case_create
        from casebridge.catalog.models import Service

        actor = User.objects.prefetch_related("role_grants").get(username=username)
        service = Service.objects.get(slug="payments")
        barrier.wait(timeout=120)  # every process is connected: start together
        for n in range(count):
            try:
                data = CaseInput(
                    title=f"Worker {worker} case {n}",
                    description="",
                    service=service,
                    environment="production",
                )
                keys.append(case_create(actor=actor, data=data, channel="api").key)
            except Exception as exc:  # noqa: BLE001 - every error is reported to the parent
                errors.append(f"{type(exc).__name__}: {exc}")
        connections.close_all()
    except Exception as exc:  # noqa: BLE001
        errors.append(f"setup {type(exc).__name__}: {exc}")
    results.put((worker, keys, errors))
