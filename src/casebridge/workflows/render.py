"""Render a workflow definition as text or as a Mermaid state diagram (for docs/workflows.md)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from casebridge.workflows.engine import StateGroup, Transition, Workflow

FINAL = (StateGroup.DONE, StateGroup.REJECTED)


def _check_names[S](transition: Transition[S]) -> list[str]:
    return [
        getattr(c, "__name__", "check").removeprefix("check_").replace("_", " ")
        for c in transition.checks
    ]


def as_text[S](workflow: Workflow[S]) -> str:
    lines = [f"{workflow.label} workflow (starts in '{workflow.initial}')", "", "States:"]
    lines += [f"  {s.name:<22} {s.group.value:<9} {s.label}" for s in workflow.states]
    lines += ["", "Actions:"]
    for t in workflow.transitions:
        targets = " | ".join(sorted(t.targets())) or "(stays)"
        lines.append(f"  {t.action}: {', '.join(sorted(t.sources))} -> {targets}")
        lines.append(f"      who: {workflow.who(t)}")
        if t.requires:
            lines.append(f"      needs: {', '.join(r.field for r in t.requires)}")
        if t.checks:
            lines.append(f"      checks: {'; '.join(_check_names(t))}")
        if t.description:
            lines.append(f"      {t.description}")
    return "\n".join(lines)


def as_mermaid[S](workflow: Workflow[S]) -> str:
    lines = ["stateDiagram-v2", f"    [*] --> {workflow.initial}"]
    for t in workflow.transitions:
        targets = sorted(t.targets()) or None
        for source in sorted(t.sources):
            for target in targets or [source]:
                lines.append(f"    {source} --> {target}: {t.action}")
    lines += [f"    {s.name} --> [*]" for s in workflow.states if s.group in FINAL]
    return "\n".join(lines)


def workflows_markdown(workflows: Mapping[str, Workflow[Any]]) -> str:
    """docs/workflows.md: one diagram and one table per workflow, generated from the definitions."""
    parts = [
        "# Workflows",
        "",
        "Generated from the definitions by `casebridge workflow docs`; do not edit by hand.",
        "Each action lists who may take it and what it needs; the ladder policies and other",
        "checks are applied by the engine, which refuses with every reason at once.",
    ]
    for workflow in workflows.values():
        parts += ["", f"## {workflow.label}", "", "```mermaid", as_mermaid(workflow), "```", ""]
        parts += ["| action | from | to | who | needs | checks |", "|---|---|---|---|---|---|"]
        for t in workflow.transitions:
            parts.append(
                f"| `{t.action}` | {', '.join(sorted(t.sources))} | "
                f"{', '.join(sorted(t.targets())) or '(stays)'} | {workflow.who(t)} | "
                f"{', '.join(r.field for r in t.requires) or '-'} | "
                f"{'; '.join(_check_names(t)) or '-'} |"
            )
    return "\n".join(parts) + "\n"
