"""The four system processes of Azure Boards as the fake knows them: work item types, their states
in workflow order (the first is where a new item starts), and the fields a project accepts.

Written from Microsoft's "About workflow states in backlogs and boards" and "Default processes"
pages, independently of Casebridge's own tables, so a test comparing the two means something.
"""

from __future__ import annotations

PROCESSES: dict[str, dict[str, list[str]]] = {
    "Agile": {
        "Bug": ["New", "Active", "Resolved", "Closed"],
        "User Story": ["New", "Active", "Resolved", "Closed", "Removed"],
        "Task": ["New", "Active", "Closed", "Removed"],
        "Issue": ["Active", "Closed"],
        "Epic": ["New", "Active", "Resolved", "Closed", "Removed"],
        "Feature": ["New", "Active", "Resolved", "Closed", "Removed"],
    },
    "Scrum": {
        "Bug": ["New", "Approved", "Committed", "Done", "Removed"],
        "Product Backlog Item": ["New", "Approved", "Committed", "Done", "Removed"],
        "Task": ["To Do", "In Progress", "Done", "Removed"],
        "Impediment": ["Open", "Closed"],
        "Epic": ["New", "In Progress", "Done", "Removed"],
        "Feature": ["New", "In Progress", "Done", "Removed"],
    },
    "Basic": {
        "Issue": ["To Do", "Doing", "Done"],
        "Task": ["To Do", "Doing", "Done"],
        "Epic": ["To Do", "Doing", "Done"],
    },
    "CMMI": {
        "Bug": ["Proposed", "Active", "Resolved", "Closed"],
        "Requirement": ["Proposed", "Active", "Resolved", "Closed"],
        "Task": ["Proposed", "Active", "Resolved", "Closed"],
        "Issue": ["Proposed", "Active", "Resolved", "Closed"],
        "Change Request": ["Proposed", "Active", "Resolved", "Closed"],
        "Epic": ["Proposed", "Active", "Resolved", "Closed"],
        "Feature": ["Proposed", "Active", "Resolved", "Closed"],
    },
}

#: Fields any caller may write (``Custom.*`` fields are accepted too, as if the organisation had
#: added them to its inherited process).
WRITABLE = frozenset(
    {
        "System.Title",
        "System.Description",
        "System.State",
        "System.Reason",
        "System.AssignedTo",
        "System.AreaPath",
        "System.IterationPath",
        "System.Tags",
        "System.History",
        "Microsoft.VSTS.TCM.ReproSteps",
        "Microsoft.VSTS.TCM.SystemInfo",
        "Microsoft.VSTS.Common.Priority",
        "Microsoft.VSTS.Common.Severity",
        "Microsoft.VSTS.Common.AcceptanceCriteria",
        "Microsoft.VSTS.Common.ValueArea",
        "Microsoft.VSTS.Common.StackRank",
        "Microsoft.VSTS.Common.BacklogPriority",
        "Microsoft.VSTS.Build.FoundIn",
        "Microsoft.VSTS.Build.IntegrationBuild",
        "Microsoft.VSTS.Scheduling.Effort",
        "Microsoft.VSTS.Scheduling.StoryPoints",
        "Microsoft.VSTS.Scheduling.OriginalEstimate",
        "Microsoft.VSTS.Scheduling.RemainingWork",
        "Microsoft.VSTS.Scheduling.CompletedWork",
    }
)

#: Fields the service maintains; writing one is refused (TF401326).
READ_ONLY = frozenset(
    {
        "System.Id",
        "System.Rev",
        "System.TeamProject",
        "System.WorkItemType",
        "System.CreatedDate",
        "System.CreatedBy",
        "System.ChangedDate",
        "System.ChangedBy",
        "System.AuthorizedDate",
        "System.RevisedDate",
        "System.CommentCount",
        "System.Watermark",
        "Microsoft.VSTS.Common.StateChangeDate",
        "Microsoft.VSTS.Common.ClosedDate",
    }
)

SEVERITIES = ("1 - Critical", "2 - High", "3 - Medium", "4 - Low")
IDENTITY_FIELDS = frozenset({"System.AssignedTo", "System.CreatedBy", "System.ChangedBy"})
DATE_FIELDS = frozenset(
    {
        "System.CreatedDate",
        "System.ChangedDate",
        "Microsoft.VSTS.Common.StateChangeDate",
        "Microsoft.VSTS.Common.ClosedDate",
    }
)

#: Link types a relation may have (work item links point at another item's URL).
RELATION_TYPES = frozenset(
    {
        "Hyperlink",
        "AttachedFile",
        "ArtifactLink",
        "System.LinkTypes.Related",
        "System.LinkTypes.Hierarchy-Forward",
        "System.LinkTypes.Hierarchy-Reverse",
        "System.LinkTypes.Dependency-Forward",
        "System.LinkTypes.Dependency-Reverse",
        "System.LinkTypes.Duplicate-Forward",
        "System.LinkTypes.Duplicate-Reverse",
    }
)

#: Short names WIQL accepts for the common fields.
SHORT_NAMES = {
    "id": "System.Id",
    "title": "System.Title",
    "state": "System.State",
    "changed date": "System.ChangedDate",
    "created date": "System.CreatedDate",
    "work item type": "System.WorkItemType",
    "team project": "System.TeamProject",
    "area path": "System.AreaPath",
    "iteration path": "System.IterationPath",
    "assigned to": "System.AssignedTo",
    "tags": "System.Tags",
    "rev": "System.Rev",
}
