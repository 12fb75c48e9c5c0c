"""Azure DevOps -> Casebridge: a revision of a linked item, applied the way a person would.

``apply_remote(link, remote)`` compares the revision with what both sides last agreed on
(``link.synced``) and, for what changed there:

* the assignee becomes the ``assign`` action, the priority of an untriaged item the ``triage``
  action, and a new state the workflow action that leads from the item's state to a state the
  mapping shows as that one, each taken by the Casebridge user who made the change in Azure
  DevOps (matched by e-mail or user name) through the workflow engine, with every rule;
* the title is taken as it is (it is no transition);
* what our rules refuse, what no action leads to and what an unknown person did is not forced: it
  becomes an open ``SyncConflict`` on the item with the reasons, and the fields it concerns are
  held (not pushed back) until the RTE resolves it;
* outbound fields changed there (the description, ...) are noted so that the next push sets them
  back to Casebridge's documentation.

A revision Casebridge already knows (``rev`` not above ``link.rev``, which covers the echo of
every write Casebridge made) is ignored; a revision made by the connection's service account is
taken as ours (no action is derived from it). Comments are copied to the linked cases as
internal notes marked with their origin, each once.
"""

from __future__ import annotations

from collections.abc import Mapping

import structlog
from django.db import transaction

from casebridge.accounts.models import User
from casebridge.audit.actions import AuditAction
from casebridge.audit.services import audit_record
from casebridge.core import clock
from casebridge.core.errors import Reason
from casebridge.integrations.azure_devops import iterations, values
from casebridge.integrations.azure_devops.changes import Change, Problem, transition, via
from casebridge.integrations.azure_devops.client import AzureDevOpsClient
from casebridge.integrations.azure_devops.comments import pull_comments
from casebridge.integrations.azure_devops.models import (
    ConflictKind,
    LinkState,
    SyncConflict,
    WorkItemLink,
)
from casebridge.integrations.azure_devops.people import is_service_account, person
from casebridge.integrations.azure_devops.processes import PRIORITY_VALUES
from casebridge.integrations.azure_devops.wire import Identity
from casebridge.integrations.azure_devops.wire import WorkItem as Remote
from casebridge.workitems.definitions import workflow_for
from casebridge.workitems.models import WorkItem

log = structlog.get_logger("casebridge.azure_devops.inbound")

_UNSET = object()
PRIORITY_OF = {v: k for k, v in PRIORITY_VALUES.items()}


def keys_of(item: WorkItem, link: WorkItemLink) -> set[str]:
    return set(values.ours(item, link.connection)) | values.two_way(link.connection, item.category)


def apply_remote(
    link: WorkItemLink, remote: Remote, *, client: AzureDevOpsClient | None = None
) -> str:
    """Apply one revision of the remote item; returns ``stale``, ``ours``, ``applied`` or
    ``conflict``."""
    link = WorkItemLink.objects.select_related("connection", "work_item").get(pk=link.pk)
    if remote.rev <= link.rev:
        return "stale"
    item = link.work_item
    now_theirs = values.theirs(remote, keys_of(item, link))
    changed = {k: v for k, v in now_theirs.items() if link.synced.get(k, _UNSET) != v}
    by = remote.changed_by
    outcome = "applied"
    if remote.rev in link.own_revs or is_service_account(link, by):
        outcome = "ours"
    else:
        outcome = _apply_changes(link, item, remote, changed, by)
    with transaction.atomic():
        link = WorkItemLink.objects.select_for_update().get(pk=link.pk)
        if remote.rev <= link.rev:
            return "stale"
        link.synced = {**link.synced, **now_theirs}
        link.rev = remote.rev
        link.iteration_path = str(remote.fields.get("System.IterationPath") or "")[:400]
        link.assigned_to = values.assigned_to(remote)[:200]
        link.synced_at = clock.now()
        _settle_conflicts(link, now_theirs)
        has_open = link.conflicts.filter(resolved_at__isnull=True).exists()
        link.state = LinkState.CONFLICT if has_open else LinkState.SYNCED
        link.last_error = ""
        link.save()
    if client is not None and remote.number("System.CommentCount"):
        pull_comments(link, client, remote)
    return outcome


def _settle_conflicts(link: WorkItemLink, now_theirs: Mapping[str, object]) -> None:
    """An open conflict whose fields Azure DevOps has moved away from is over: the item now
    agrees, or a newer change was applied or recorded as its own conflict."""
    for conflict in link.conflicts.select_for_update().filter(resolved_at__isnull=True):
        if all(now_theirs.get(k, v) != v for k, v in conflict.theirs.items()):
            conflict.resolved_at = clock.now()
            conflict.resolution = "settled"
            conflict.save(update_fields=["resolved_at", "resolution"])


def _apply_changes(
    link: WorkItemLink,
    item: WorkItem,
    remote: Remote,
    changed: Mapping[str, object],
    by: Identity | None,
) -> str:
    connection = link.connection
    fields = values.category_mapping(connection, item.category).get("fields") or {}
    two_way = values.two_way(connection, item.category)
    wanted = {k: v for k, v in changed.items() if k in two_way}
    if not wanted:
        return "applied"
    actor = person(by)
    name = by.display_name if by else "someone"
    if actor is None:
        record_conflict(
            link,
            remote,
            ConflictKind.UNKNOWN_PERSON,
            f"{name} changed it in Azure DevOps, and is no Casebridge user",
            [
                Reason(
                    "unknown_person",
                    f"No active Casebridge user has the e-mail or user name "
                    f"'{by.unique_name if by else ''}'.",
                )
            ],
            wanted,
        )
        return "conflict"
    outcome = "applied"
    steps = [
        (fields.get("assignees"), _assignee),
        (fields.get("priority"), _priority),
        (fields.get("sprint"), iterations.apply_iteration),
        (values.STATE, _state),
        (fields.get("title"), _title),
    ]
    for ref, step in steps:
        if not ref or ref not in wanted:
            continue
        item = WorkItem.objects.get(pk=item.pk)
        problem = step(Change(link, item, remote, wanted[ref], actor))
        if problem is not None:
            kind, summary, reasons = problem
            record_conflict(link, remote, kind, summary, reasons, {ref: wanted[ref]})
            outcome = "conflict"
    return outcome


def _assignee(change: Change) -> Problem:
    _, item, remote, value, actor = change.unpack()
    current = [u.username for u in sorted(item.assignees.all(), key=lambda u: u.username)]
    if not value and not current:
        return None
    if not value:
        return (
            ConflictKind.NO_ACTION,
            "Unassigned in Azure DevOps",
            [Reason("no_action", "Casebridge has no action that removes every assignee.")],
        )
    assignee = person(Identity("", "", str(value)))
    if assignee is None:
        return (
            ConflictKind.UNKNOWN_PERSON,
            f"Assigned to {value} in Azure DevOps, who is no Casebridge user",
            [Reason("unknown_person", f"No active Casebridge user has the e-mail '{value}'.")],
        )
    if assignee.username in current:  # now the primary one; the others stay
        return None
    workflow = workflow_for(item.category)
    assign = workflow.transition("assign")
    if assign is None or item.status not in assign.sources:
        state = workflow.state(item.status).label
        return (
            ConflictKind.NO_ACTION,
            f"Assigned to {assignee.username} in Azure DevOps",
            [Reason("state", f"Assign is not possible from '{state}'", "assignees")],
        )
    # Added as the primary assignee: the others stay (Azure DevOps has room for one only).
    data: dict[str, object] = {
        "assignees": [*current, assignee.username],
        "reason": via(remote, actor),
    }
    if item.mentor_id and item.mentor:
        data["mentor"] = item.mentor.username
    return transition(item, actor, "assign", data)


def _priority(change: Change) -> Problem:
    link, item, remote, value, actor = change.unpack()
    priority = PRIORITY_OF.get(value) if isinstance(value, int) else None
    if priority is None:
        return (
            ConflictKind.NO_ACTION,
            f"Priority {value} in Azure DevOps",
            [Reason("invalid", "Casebridge knows priorities 1 (critical) to 3 (minor).")],
        )
    if priority == item.priority:
        return None
    triage = workflow_for(item.category).transition("triage")
    if triage is None or item.status not in triage.sources:
        return (
            ConflictKind.NO_ACTION,
            f"Priority changed to {priority} in Azure DevOps",
            [Reason("state", "The priority is set by triage, which is over for this item.")],
        )
    impact_ref = values.field_of(link.connection, item.category, "severity")
    severity = str(remote.fields.get(impact_ref) or "") if impact_ref else ""
    impact = item.impact or (f"Severity {severity}, set in Azure DevOps" if severity else "")
    data = {"priority": priority, "impact": impact, "reason": via(remote, actor)}
    return transition(item, actor, "triage", data)


def _state(change: Change) -> Problem:
    link, item, remote, value, actor = change.unpack()
    mapping = values.category_mapping(link.connection, item.category)
    to_ado: Mapping[str, str] = mapping["to_ado"]
    if to_ado.get(item.status) == value:
        return None
    workflow = workflow_for(item.category)
    targets = {state for state, theirs in to_ado.items() if theirs == value}
    preferred = mapping.get("from_ado", {}).get(str(value))
    candidates = [
        t for t in workflow.transitions if item.status in t.sources and t.targets() & targets
    ]
    here = workflow.state(item.status).label
    if not candidates:
        return (
            ConflictKind.NO_ACTION,
            f"Moved to '{value}' in Azure DevOps",
            [
                Reason(
                    "no_action",
                    f"No action of the {workflow.label.lower()} workflow leads from '{here}' to "
                    f"a state shown as '{value}' in Azure DevOps.",
                )
            ],
        )
    candidates.sort(key=lambda t: (preferred not in t.targets(), t.style != "primary"))
    data = _data_for(link, item, remote, actor)
    first: Problem = None
    for candidate in candidates:
        problem = transition(item, actor, candidate.action, data)
        if problem is None:
            return None
        first = first or problem
        item = WorkItem.objects.get(pk=item.pk)
    assert first is not None
    return (
        first[0],
        f"Moved to '{value}' in Azure DevOps: {first[1][0].lower()}{first[1][1:]}",
        first[2],
    )


def _data_for(link: WorkItemLink, item: WorkItem, remote: Remote, actor: User) -> dict[str, object]:
    """What the mapped transition may need, from the remote item."""
    data: dict[str, object] = {"reason": via(remote, actor)}
    assigned = values.assigned_to(remote)
    if assigned and (user := person(Identity("", "", assigned))):
        current = [u.username for u in item.assignees.all()]
        data["assignees"] = [*current, *([] if user.username in current else [user.username])]
    release_ref = values.field_of(link.connection, item.category, "release_version")
    if release_ref and (version := remote.fields.get(release_ref)):
        data["version"] = str(version)
    return data


def _title(change: Change) -> Problem:
    _, item, remote, value, actor = change.unpack()
    title = str(value).strip()
    if title == item.title:
        return None
    if not 3 <= len(title) <= 200:
        return (
            ConflictKind.REFUSED,
            "Renamed in Azure DevOps",
            [Reason("invalid", "A title has 3 to 200 characters.", "title")],
        )
    with transaction.atomic():
        locked = WorkItem.objects.select_for_update().get(pk=item.pk)
        old, locked.title = locked.title, title
        locked.save(update_fields=["title", "updated_at"])
        audit_record(
            actor=actor,
            subject=locked,
            action=AuditAction.RENAMED,
            field="title",
            old=old,
            new=title,
            reason=via(remote, actor),
        )
    return None


def record_conflict(  # noqa: PLR0917 - one record, its parts named at each call
    link: WorkItemLink,
    remote: Remote,
    kind: str,
    summary: str,
    reasons: list[Reason],
    theirs: Mapping[str, object],
) -> None:
    """Record a conflict once (a repeated hook or reconcile pass finds the open one)."""
    item = WorkItem.objects.get(pk=link.work_item_id)
    ours = values.ours(item, link.connection)
    with transaction.atomic():
        open_ = SyncConflict.objects.select_for_update().filter(link=link, resolved_at__isnull=True)
        for existing in open_:
            if existing.theirs == dict(theirs):
                return
            if set(existing.theirs) == set(theirs):  # a newer value of the same field
                existing.resolved_at = clock.now()
                existing.resolution = "replaced"
                existing.save(update_fields=["resolved_at", "resolution"])
        conflict = SyncConflict.objects.create(
            link=link,
            kind=kind,
            ado_rev=remote.rev,
            summary=summary[:300],
            reasons=[r.as_dict() for r in reasons],
            theirs=dict(theirs),
            ours={k: ours.get(k, "") for k in theirs},
            created_at=clock.now(),
        )
        WorkItemLink.objects.filter(pk=link.pk).update(state=LinkState.CONFLICT)
        audit_record(
            actor=None,
            subject=item,
            action=AuditAction.SYNC_CONFLICT,
            data={
                "conflict": conflict.pk,
                "azure_devops": link.ado_id,
                "rev": remote.rev,
                "summary": conflict.summary,
                "reasons": [r.message for r in reasons],
            },
        )
    log.info("azure_devops_conflict", item=item.key, ado=link.ado_id, kind=kind)
