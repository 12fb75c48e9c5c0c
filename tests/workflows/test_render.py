from __future__ import annotations

from pathlib import Path

from casebridge.cases.workflow import CASE_WORKFLOW
from casebridge.incidents.workflow import INCIDENT_WORKFLOW
from casebridge.workflows.render import as_mermaid, as_text, workflows_markdown
from casebridge.workitems.definitions import WORKFLOWS

DOCS = Path(__file__).resolve().parents[2] / "docs" / "workflows.md"


def test_docs_workflows_md_is_generated_from_the_definitions():
    expected = workflows_markdown(
        {"case": CASE_WORKFLOW, **WORKFLOWS, "incident": INCIDENT_WORKFLOW}
    )
    assert DOCS.read_text(encoding="utf-8") == expected, "run: casebridge workflow docs"


def test_mermaid_has_every_transition_and_final_states():
    diagram = as_mermaid(WORKFLOWS["bug"])
    assert diagram.startswith("stateDiagram-v2\n    [*] --> new")
    assert "    awaiting_validation --> closed: validate" in diagram
    assert "    awaiting_validation --> reopened: fail_validation" in diagram
    assert "    in_release --> in_release: release" in diagram  # a stay transition
    assert "    closed --> [*]" in diagram and "    rejected --> [*]" in diagram
    assert "    in_progress --> [*]" not in diagram


def test_text_lists_roles_and_needs():
    text = as_text(WORKFLOWS["feature"])
    assert "approve: submitted, under_review -> approved | under_review" in text
    assert "defer: submitted, under_review -> deferred" in text
    assert "needs: reason, revisit_on" in text
