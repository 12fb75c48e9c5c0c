"""The table of events in docs/architecture.md is the registry: every subscription, and every
place that builds an event, is in it, and nothing else is."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from casebridge.core import events

ROOT = Path(__file__).resolve().parents[2]
SRC = ROOT / "src" / "casebridge"
NAME = re.compile(r"`([\w.]+)`")


def _table() -> dict[str, tuple[set[str], set[str], set[str]]]:
    """event -> (publishers, in-transaction subscribers, after-commit subscribers), read from
    the "Domain events" section; names without the ``casebridge.`` prefix."""
    text = (ROOT / "docs" / "architecture.md").read_text()
    section = text.split("## Domain events", 1)[1].split("\n## ", 1)[0]
    rows: dict[str, tuple[set[str], set[str], set[str]]] = {}
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != 4 or not cells[0].startswith("`"):
            continue
        event, publishers, now, later = cells
        rows[event.strip("`")] = (
            set(NAME.findall(publishers)),
            set(NAME.findall(now)),
            set(NAME.findall(later)),
        )
    return rows


def _ours() -> dict[str, type[events.Event]]:
    return {
        name: cls for name, cls in events._types.items() if cls.__module__.startswith("casebridge.")
    }


def _builders() -> dict[str, set[str]]:
    """event -> the functions in src/ that build it (``cases.services.case_create``)."""
    names = set(_ours())
    found: dict[str, set[str]] = {name: set() for name in names}
    for path in SRC.rglob("*.py"):
        if path.name == "events.py" or "migrations" in path.parts:
            continue
        module = ".".join(path.relative_to(SRC).with_suffix("").parts)
        tree = ast.parse(path.read_text())
        for function in ast.walk(tree):
            if not isinstance(function, ast.FunctionDef):
                continue
            for node in ast.walk(function):
                if (
                    isinstance(node, ast.Call)
                    and isinstance(node.func, ast.Name)
                    and node.func.id in names
                ):
                    found[node.func.id].add(f"{module}.{function.name}")
    return found


def test_every_event_of_casebridge_is_in_the_table() -> None:
    assert set(_table()) == set(_ours())


def test_the_subscribers_are_those_of_the_registry() -> None:
    documented = {
        (event, f"casebridge.{subscriber}", when)
        for event, (_, now, later) in _table().items()
        for subscribers, when in ((now, events.IN_TRANSACTION), (later, events.AFTER_COMMIT))
        for subscriber in subscribers
    }
    registered = {
        (s.event.name, s.subscriber, s.when)
        for s in events.subscriptions()
        if s.event.name in _ours() and s.subscriber.startswith("casebridge.")
    }
    assert documented == registered


def test_the_publishers_are_the_functions_that_build_each_event() -> None:
    documented = {event: publishers for event, (publishers, _, _) in _table().items()}
    assert documented == _builders()


def test_the_table_parser_reads_a_row() -> None:
    assert NAME.findall("the engine, built by `cases.workflow.transitioned`") == [
        "cases.workflow.transitioned"
    ]
