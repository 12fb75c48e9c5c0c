"""The ratchet on ``Any`` in ``src/`` (tests/any_budget.py says how it is counted and lowered)."""

from __future__ import annotations

from tests import any_budget

HOW = "lower it: `.venv/bin/python -m tests.any_budget --write`, commit tests/any_budget.json"


def test_no_module_holds_more_any_than_its_budget() -> None:
    allowed = any_budget.budget()
    over = {
        module: f"{n} > {allowed.get(module, 0)}"
        for module, n in any_budget.counts().items()
        if n > allowed.get(module, 0)
    }
    assert not over, (
        f"More `Any` than the budget allows: {over}. Type these with real types "
        "(casebridge.core.actors.Actor, the models, TypedDicts); the budget may only shrink."
    )


def test_the_budget_is_not_above_the_code() -> None:
    """When `Any` goes away the budget follows, so that it cannot come back unnoticed."""
    found = any_budget.counts()
    slack = {
        module: f"budget {n}, found {found.get(module, 0)}"
        for module, n in any_budget.budget().items()
        if found.get(module, 0) < n
    }
    assert not slack, f"The code holds less `Any` than its budget ({slack}): {HOW}."
