"""No module of the product is over 400 lines (migrations aside): a newcomer finds things."""

from __future__ import annotations

from pathlib import Path

import casebridge

MAX_LINES = 400
SRC = Path(casebridge.__file__).parent
#: Modules still waiting for their split, each with who is on it. This list only shrinks.
PENDING: dict[str, str] = {}


def test_no_module_is_over_400_lines() -> None:
    too_long = {}
    for path in SRC.rglob("*.py"):
        if "migrations" in path.parts:
            continue
        lines = len(path.read_text(encoding="utf-8").splitlines())
        name = path.relative_to(SRC).as_posix()
        if lines > MAX_LINES and name not in PENDING:
            too_long[name] = lines
    assert not too_long, (
        f"Split these modules along their seams (at most {MAX_LINES} lines each): {too_long}"
    )


def test_the_pending_list_only_names_long_modules() -> None:
    """A split module leaves the list."""
    for name in PENDING:
        path = SRC / name
        assert path.exists() and len(path.read_text().splitlines()) > MAX_LINES, (
            f"{name} is split: remove it from PENDING"
        )
