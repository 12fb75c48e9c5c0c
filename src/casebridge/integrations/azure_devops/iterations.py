"""Azure DevOps iterations and Casebridge sprints (``System.IterationPath``, the ``sprint`` field of
the mapping).

Which sprint an iteration path means, per connection:

1. the connection's own entries (``Connection.iterations``: path -> ``team-slug/Sprint name``, or
   ``""`` for "no sprint"), edited with the mapping (API ``iterations``, CLI ``map --iteration``);
2. otherwise the sprint of the connection's team (else the item's team; else the only sprint of
   any team) whose name is the path's last segment (``Shop\\Web\\Sprint 12`` -> ``Sprint 12``);
3. the connection's iteration path (the project's root by default) means no sprint: the backlog.

A path none of these explains is *unknown*: the item is left out of sprints, and the link carries
a visible note saying so (no error, no conflict). Back the other way, an item in a sprint gets the
path Azure DevOps already has when it means that sprint, else the connection's entry for it, else
``<iteration path>\\<sprint name>``. An item in no sprint leaves Azure DevOps' iteration alone.
"""

from __future__ import annotations

from dataclasses import dataclass

from casebridge.core.errors import Reason
from casebridge.integrations.azure_devops.changes import Change, Problem, transition, via
from casebridge.integrations.azure_devops.models import ConflictKind, Connection, WorkItemLink
from casebridge.sprints.models import Sprint
from casebridge.workitems.definitions import workflow_for
from casebridge.workitems.models import WorkItem

SEPARATOR = "\\"


@dataclass(frozen=True)
class Placement:
    """What an iteration path means for an item: ``sprint`` (None: the backlog), or unknown."""

    sprint: Sprint | None
    known: bool = True


def leaf(path: str) -> str:
    return path.replace("/", SEPARATOR).rstrip(SEPARATOR).rsplit(SEPARATOR, 1)[-1].strip()


def _same(a: str, b: str) -> bool:
    def norm(path: str) -> str:
        return path.replace("/", SEPARATOR).strip().strip(SEPARATOR).lower()

    return norm(a) == norm(b)


def sprint_by_key(key: str) -> Sprint | None:
    slug, _, name = key.partition("/")
    return Sprint.objects.select_related("team").filter(team__slug=slug, name=name).first()


def entry_for(connection: Connection, path: str) -> str | None:
    """The connection's own entry for ``path`` (None: it has none)."""
    for given, key in (connection.iterations or {}).items():
        if _same(given, path):
            return str(key or "")
    return None


def placement(connection: Connection, item: WorkItem, path: str) -> Placement:
    path = path.strip()
    entry = entry_for(connection, path) if path else ""
    if entry is not None:
        sprint = sprint_by_key(entry) if entry else None
        return Placement(sprint, known=sprint is not None or not entry)
    if _same(path, connection.iteration_path) or _same(path, connection.project):
        return Placement(None)
    named = Sprint.objects.select_related("team").filter(name__iexact=leaf(path))
    team_id = connection.team_id or item.team_id
    found = list(named.filter(team_id=team_id)[:2] if team_id else named[:2])
    return Placement(found[0], known=True) if len(found) == 1 else Placement(None, known=False)


def path_of(connection: Connection, item: WorkItem, sprint: Sprint) -> str:
    """The iteration path of ``sprint`` for ``item`` (see the module's documentation)."""
    current = (
        WorkItemLink.objects.filter(work_item_id=item.pk)
        .values_list("iteration_path", flat=True)
        .first()
    )
    if current and placement(connection, item, current).sprint == sprint:
        return current
    for given, key in (connection.iterations or {}).items():
        if key == sprint.key:
            return str(given)
    return f"{connection.iteration_path}{SEPARATOR}{sprint.name}"


def unknown_note(path: str) -> str:
    return (
        f"Iteration '{path}' is no Casebridge sprint: the item is left out of sprints. Map the "
        "path to a sprint on the connection (mapping 'iterations') if it is one."
    )


def _noted(link: WorkItemLink, note: str) -> None:
    WorkItemLink.objects.filter(pk=link.pk).update(note=note[:500])


def apply_iteration(change: Change) -> Problem:
    """A new iteration path from Azure DevOps: ``schedule`` (an item in no sprint) or
    ``reschedule`` (one in another sprint), through the workflow engine with the sprint rules
    (who plans, open sprints, critical bugs in the current sprint, the implementing team's
    sprints); an unknown path leaves the item out of sprints with a note."""
    link, item, remote, value, actor = change.unpack()
    path = str(value or "")
    where = placement(link.connection, item, path)
    if not where.known:
        _noted(link, unknown_note(path))
        return None
    _noted(link, "")
    if where.sprint is None or where.sprint.pk == item.sprint_id:
        if where.sprint is None and item.sprint is not None:
            return (
                ConflictKind.NO_ACTION,
                f"Moved to the backlog ('{path}') in Azure DevOps",
                [
                    Reason(
                        "no_action",
                        f"Casebridge has no action that takes an item out of {item.sprint.name}: "
                        "move it to another sprint instead.",
                        "sprint",
                    )
                ],
            )
        return None
    action = "reschedule" if item.sprint_id else "schedule"
    step = workflow_for(item.category).transition(action)
    if step is None or item.status not in step.sources:
        state = workflow_for(item.category).state(item.status).label
        return (
            ConflictKind.NO_ACTION,
            f"Put in {where.sprint.name} in Azure DevOps",
            [Reason("state", f"{action.capitalize()} is not possible from '{state}'", "sprint")],
        )
    data: dict[str, object] = {"sprint": where.sprint.pk, "reason": via(remote, actor)}
    return transition(item, actor, action, data)
