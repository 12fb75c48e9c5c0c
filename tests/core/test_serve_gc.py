"""``casebridge serve`` freezes the loaded application's objects before it forks its workers."""

from __future__ import annotations

import gc

import pytest
from django.core.management import call_command


def test_serve_freezes_the_loaded_application_before_serving(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    frozen_when_run: list[int] = []

    def run(self: object) -> None:  # gunicorn's arbiter: fork and serve; here, only look
        frozen_when_run.append(gc.get_freeze_count())

    monkeypatch.setattr("gunicorn.app.base.BaseApplication.run", run)
    gc.unfreeze()
    try:
        call_command("serve", "--port", "0")
    finally:
        gc.unfreeze()
    assert len(frozen_when_run) == 1
    assert frozen_when_run[0] > 10_000  # Django, Casebridge and their modules' objects
