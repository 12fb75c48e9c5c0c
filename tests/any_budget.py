"""The ``Any`` budget of ``src/``: how many ``Any`` tokens each module may hold. It may only shrink.

Counted with :mod:`tokenize` (names only, so comments and strings do not count; the ``Any`` of
``from typing import Any`` does). Lower the committed budget after removing some with::

    .venv/bin/python -m tests.any_budget --write

``tests/test_any_budget.py`` fails when a module holds more than its budget (or a new module
holds any).
"""

from __future__ import annotations

import json
import sys
import tokenize
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SRC = ROOT / "src"
BUDGET = Path(__file__).with_name("any_budget.json")


def count_any(path: Path) -> int:
    with path.open("rb") as source:
        return sum(
            1
            for token in tokenize.tokenize(source.readline)
            if token.type == tokenize.NAME and token.string == "Any"
        )


def counts() -> dict[str, int]:
    """``Any`` tokens per module of ``src/`` (migrations aside), modules without any left out."""
    found = {}
    for path in sorted(SRC.rglob("*.py")):
        if "migrations" in path.parts:
            continue
        if n := count_any(path):
            found[path.relative_to(SRC).as_posix()] = n
    return found


def budget() -> dict[str, int]:
    data: dict[str, int] = json.loads(BUDGET.read_text(encoding="utf-8"))
    return data


def write() -> None:
    BUDGET.write_text(json.dumps(counts(), indent=1, sort_keys=True) + "\n", encoding="utf-8")


if __name__ == "__main__":
    if sys.argv[1:] == ["--write"]:
        write()
    found = counts()
    print(f"{sum(found.values())} Any tokens in {len(found)} modules of src/")
