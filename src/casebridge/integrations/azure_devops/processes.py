"""The four system processes of Azure Boards (Agile, Scrum, Basic, CMMI): which work item type
each Casebridge category becomes, the states of those types, and the default mapping between them.

The states come from Microsoft's "About workflow states in backlogs and boards" (each type's
states in workflow order, and the state category of each: Proposed, In Progress, Resolved,
Completed, Removed). The default mapping is built from one idea: every state on either side has a
*stage*, and a Casebridge state goes to the Azure DevOps state of the same stage:

=========  ===================================================  ==========================
stage      Casebridge states                                    Azure DevOps states
=========  ===================================================  ==========================
proposed   new, needs_info, submitted, under_review, deferred,  New, Proposed, To Do, Open
           proposed
approved   triaged, scheduled, approved                         Approved
active     in_progress, reopened                                Active, Committed,
                                                                In Progress, Doing
resolved   in_review, in_testing, in_release                    Resolved
delivered  awaiting_validation, awaiting_acceptance             (Resolved, else Done)
done       closed, done                                         Closed, Done
removed    rejected, duplicate                                  Removed (else Closed/Done)
=========  ===================================================  ==========================

A stage the type lacks falls back (``FALLBACK``): Scrum has no Resolved, so what is in review is
still Committed and what awaits validation is Done; Basic has only To Do, Doing and Done. Back from
Azure DevOps, a state maps to the first Casebridge state (in workflow order) that maps to it, so
``to_ado[from_ado[s]] == s`` for every Azure DevOps state: a change never echoes back as another.
"""

from __future__ import annotations

from typing import TypedDict

from casebridge.workitems.definitions import WORKFLOWS

PROCESSES = ("agile", "scrum", "basic", "cmmi")
PROCESS_LABELS = {"agile": "Agile", "scrum": "Scrum", "basic": "Basic", "cmmi": "CMMI"}
CATEGORIES = ("bug", "feature", "improvement")


class CategoryMapping(TypedDict, total=False):
    """One category's mapping, as ``Connection.mapping`` holds it."""

    type: str
    to_ado: dict[str, str]
    from_ado: dict[str, str]
    fields: dict[str, str]


#: Work item type -> its states in workflow order, per process.
TYPE_STATES: dict[str, dict[str, tuple[str, ...]]] = {
    "agile": {
        "Bug": ("New", "Active", "Resolved", "Closed"),
        "User Story": ("New", "Active", "Resolved", "Closed", "Removed"),
        "Task": ("New", "Active", "Closed", "Removed"),
        "Issue": ("Active", "Closed"),
    },
    "scrum": {
        "Bug": ("New", "Approved", "Committed", "Done", "Removed"),
        "Product Backlog Item": ("New", "Approved", "Committed", "Done", "Removed"),
        "Task": ("To Do", "In Progress", "Done", "Removed"),
    },
    "basic": {
        "Issue": ("To Do", "Doing", "Done"),
        "Task": ("To Do", "Doing", "Done"),
    },
    "cmmi": {
        "Bug": ("Proposed", "Active", "Resolved", "Closed"),
        "Requirement": ("Proposed", "Active", "Resolved", "Closed"),
        "Task": ("Proposed", "Active", "Resolved", "Closed"),
    },
}

#: Category -> the work item types it may become (the first is the default), per process.
TYPES: dict[str, dict[str, tuple[str, ...]]] = {
    "agile": {"bug": ("Bug",), "feature": ("User Story",), "improvement": ("Task", "Issue")},
    "scrum": {"bug": ("Bug",), "feature": ("Product Backlog Item",), "improvement": ("Task",)},
    "basic": {"bug": ("Issue",), "feature": ("Issue",), "improvement": ("Task", "Issue")},
    "cmmi": {"bug": ("Bug",), "feature": ("Requirement",), "improvement": ("Task",)},
}

ADO_STAGE = {
    "New": "proposed",
    "Proposed": "proposed",
    "To Do": "proposed",
    "Open": "proposed",
    "Approved": "approved",
    "Active": "active",
    "Committed": "active",
    "In Progress": "active",
    "Doing": "active",
    "Resolved": "resolved",
    "Closed": "done",
    "Done": "done",
    "Removed": "removed",
}

CASEBRIDGE_STAGE = {
    "new": "proposed",
    "needs_info": "proposed",
    "submitted": "proposed",
    "under_review": "proposed",
    "deferred": "proposed",
    "proposed": "proposed",
    "triaged": "approved",
    "scheduled": "approved",
    "approved": "approved",
    "in_progress": "active",
    "reopened": "active",
    "in_review": "resolved",
    "in_testing": "resolved",
    "in_release": "resolved",
    "awaiting_validation": "delivered",
    "awaiting_acceptance": "delivered",
    "closed": "done",
    "done": "done",
    "rejected": "removed",
    "duplicate": "removed",
}

FALLBACK = {
    "proposed": ("active",),
    "approved": ("proposed", "active"),
    "active": (),
    "resolved": ("active",),
    "delivered": ("resolved", "done"),
    "done": (),
    "removed": ("done",),
}

#: Casebridge fields that travel, and the Azure DevOps field each goes to by default ("" = not a
#: field of its own: folded into the description or the repro steps by the sync).
FIELDS = (
    "title",
    "description",
    "steps_to_reproduce",
    "expected_result",
    "actual_result",
    "priority",
    "severity",
    "assignees",
    "version",
    "release_version",
    "sprint",
)
READ_ONLY_FIELDS = frozenset(
    {
        "System.Id",
        "System.Rev",
        "System.State",
        "System.Reason",
        "System.TeamProject",
        "System.WorkItemType",
        "System.CreatedDate",
        "System.CreatedBy",
        "System.ChangedDate",
        "System.ChangedBy",
        "System.CommentCount",
        "System.Watermark",
    }
)
PRIORITY_VALUES = {"critical": 1, "major": 2, "minor": 3}
SEVERITY_VALUES = {"critical": "1 - Critical", "major": "2 - High", "minor": "3 - Medium"}


def casebridge_states(category: str) -> list[str]:
    return [state.name for state in WORKFLOWS[category].states]


def ado_states(process: str, type_name: str) -> tuple[str, ...]:
    return TYPE_STATES[process].get(type_name, ())


def default_type(process: str, category: str) -> str:
    return TYPES[process][category][0]


def _target(stage: str, by_stage: dict[str, str]) -> str:
    for candidate in (stage, *FALLBACK[stage]):
        if candidate in by_stage:
            return by_stage[candidate]
    raise LookupError(stage)


def default_states(process: str, category: str, type_name: str) -> dict[str, dict[str, str]]:
    """``{"to_ado": {casebridge: ado}, "from_ado": {ado: casebridge}}`` for one category."""
    states = ado_states(process, type_name)
    by_stage: dict[str, str] = {}
    for state in states:
        by_stage.setdefault(ADO_STAGE[state], state)
    ours = casebridge_states(category)
    to_ado = {state: _target(CASEBRIDGE_STAGE[state], by_stage) for state in ours}
    from_ado = {}
    for state in states:
        mapped = [ours_state for ours_state in ours if to_ado[ours_state] == state]
        if mapped:
            from_ado[state] = mapped[0]
    return {"to_ado": to_ado, "from_ado": from_ado}


def default_fields(process: str, category: str) -> dict[str, str]:
    has_bug_fields = process != "basic" and category == "bug"
    return {
        "title": "System.Title",
        "description": "System.Description",
        "steps_to_reproduce": "Microsoft.VSTS.TCM.ReproSteps" if has_bug_fields else "",
        "expected_result": "",
        "actual_result": "",
        "priority": "Microsoft.VSTS.Common.Priority",
        "severity": "Microsoft.VSTS.Common.Severity" if has_bug_fields else "",
        "assignees": "System.AssignedTo",
        "version": "Microsoft.VSTS.Build.FoundIn" if has_bug_fields else "",
        "release_version": "Microsoft.VSTS.Build.IntegrationBuild" if has_bug_fields else "",
        "sprint": "System.IterationPath",
    }


def default_mapping(process: str, category: str, type_name: str = "") -> CategoryMapping:
    """One category's whole mapping: its type, states both ways and fields."""
    type_name = type_name or default_type(process, category)
    states = default_states(process, category, type_name)
    return {
        "type": type_name,
        "to_ado": states["to_ado"],
        "from_ado": states["from_ado"],
        "fields": default_fields(process, category),
    }
