from __future__ import annotations

from collections.abc import Iterator

import pytest
import time_machine


@pytest.fixture
def monday() -> Iterator[time_machine.Traveller]:
    """Monday 2026-11-23, 10:00 UTC, frozen: the middle of the Core team's Sprint 1."""
    with time_machine.travel("2026-11-23 10:00Z", tick=False) as traveller:
        yield traveller
