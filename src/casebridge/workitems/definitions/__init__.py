"""The three development workflows, one declarative definition per category."""

from __future__ import annotations

from casebridge.workflows.engine import Workflow
from casebridge.workitems.definitions.bug import BUG
from casebridge.workitems.definitions.feature import FEATURE
from casebridge.workitems.definitions.improvement import IMPROVEMENT

WORKFLOWS: dict[str, Workflow] = {"bug": BUG, "feature": FEATURE, "improvement": IMPROVEMENT}


def workflow_for(category: str) -> Workflow:
    return WORKFLOWS[category]
