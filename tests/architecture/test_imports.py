"""The import graph of ``src/``: no cycle, function-local imports counted (acceptance of the
layers; the layers themselves are import-linter's contracts, run by ``make lint``)."""

from __future__ import annotations

from functools import cache

import grimp
import pytest


@cache
def _graph() -> dict[str, set[str]]:
    """Every module's imports, local and top-level (grimp reads them all), plus the packages an
    import runs on the way (``import a.b.c`` runs ``a.b``'s ``__init__``). ``TYPE_CHECKING``
    imports never run and do not count; migrations are left out."""
    graph = grimp.build_graph("casebridge", exclude_type_checking_imports=True)
    modules = {m for m in graph.modules if ".migrations" not in m}
    edges: dict[str, set[str]] = {}
    for module in modules:
        out = set()
        for imported in graph.find_modules_directly_imported_by(module):
            if imported not in modules:
                continue
            out.add(imported)
            parts = imported.split(".")
            for n in range(2, len(parts)):
                package = ".".join(parts[:n])
                if package in modules and not module.startswith(package + "."):
                    out.add(package)
        edges[module] = out - {module}
    return edges


def _cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0
    for root in sorted(edges):
        if root in index:
            continue
        work = [(root, iter(sorted(edges[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(edges[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def test_src_has_no_import_cycle_with_local_imports_counted() -> None:
    assert _cycles(_graph()) == []


def test_the_check_sees_a_cycle_through_a_local_import() -> None:
    edges = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert _cycles(edges) == [["a", "b", "c"]]


@pytest.mark.parametrize(
    ("importer", "imported"),
    [
        # the upward calls that became events (docs/architecture.md, "Domain events")
        ("casebridge.workitems.definitions.bug", "casebridge.sprints.following"),
        ("casebridge.workitems.definitions.outcomes", "casebridge.cases.following"),
        ("casebridge.cases.services", "casebridge.occurrences.services"),
        ("casebridge.cases.attachments", "casebridge.occurrences.services"),
        ("casebridge.workitems.services", "casebridge.occurrences.services"),
        ("casebridge.monitoring.processing", "casebridge.incidents.services"),
        ("casebridge.occurrences.services.sources", "casebridge.occurrences.recurring"),
    ],
)
def test_an_upward_call_is_an_event_now(importer: str, imported: str) -> None:
    assert imported not in _graph().get(importer, set())
