"""What a work item looks like on the other side: Casebridge's values as Azure DevOps fields
(``ours``), and an Azure DevOps item's values read the same way (``theirs``), so the two compare
field by field.

Two kinds of fields travel:

* two-way (``TWO_WAY``: the state, the title, the priority once triaged and the assignee): a
  change on either side reaches the other; in Casebridge it goes through the workflow engine;
* outbound (the description, steps to reproduce with expected and actual results, severity, found
  in and integration build): Casebridge's documentation of the item, kept in Azure DevOps as
  Casebridge has it (an edit made there is overwritten by the next sync, and said so in the
  description).

Values are normalised so that equal means equal: identities by their lowercased unique name,
priorities as integers, text as given, a missing value as ``""``.
"""

from __future__ import annotations

from collections.abc import Mapping
from html import escape
from typing import cast

from django.conf import settings
from django.urls import reverse

from casebridge.accounts.models import User
from casebridge.integrations.azure_devops import iterations
from casebridge.integrations.azure_devops.models import Connection, WorkItemLink
from casebridge.integrations.azure_devops.processes import (
    PRIORITY_VALUES,
    SEVERITY_VALUES,
    CategoryMapping,
)
from casebridge.integrations.azure_devops.wire import Identity, WorkItem, as_int
from casebridge.workitems.models import WorkItem as Item

STATE = "System.State"
IDENTITY_FIELDS = frozenset({"System.AssignedTo"})
TWO_WAY_NAMES = ("title", "priority", "assignees", "sprint")
PRIORITY_BY_VALUE = {v: k for k, v in PRIORITY_VALUES.items()}


def category_mapping(connection: Connection, category: str) -> CategoryMapping:
    found = connection.mapping.get(category)
    if not isinstance(found, Mapping):
        raise LookupError(f"connection {connection.slug} does not map {category}s")
    return cast("CategoryMapping", found)


def field_of(connection: Connection, category: str, name: str) -> str:
    return str(category_mapping(connection, category).get("fields", {}).get(name) or "")


def two_way(connection: Connection, category: str) -> set[str]:
    """The reference names that travel both ways for ``category``."""
    names = {STATE}
    for name in TWO_WAY_NAMES:
        if ref := field_of(connection, category, name):
            names.add(ref)
    return names


def item_url(item: Item) -> str:
    return str(settings.BASE_URL) + reverse("workitems:detail", args=[item.key])


def _paragraphs(title: str, text: str) -> str:
    if not text.strip():
        return ""
    body = "<br>".join(escape(line) for line in text.strip().splitlines())
    return f"<h3>{escape(title)}</h3><p>{body}</p>" if title else f"<p>{body}</p>"


def description_html(item: Item, fields: Mapping[str, str]) -> str:
    """The description, with what has no field of its own folded in."""
    parts = [_paragraphs("", item.description)]
    if not fields.get("steps_to_reproduce"):
        parts.append(_paragraphs("Steps to reproduce", item.steps_to_reproduce))
    if not fields.get("expected_result") and item.category == "bug":
        parts.append(_paragraphs("Expected result", item.expected_result))
    if not fields.get("actual_result") and item.category == "bug":
        parts.append(_paragraphs("Actual result", item.actual_result))
    where = ", ".join(
        part
        for part in (
            f"environment {item.environment}" if item.environment else "",
            f"version {item.version}" if item.version else "",
            f"service {item.service.name}" if item.service_id and item.service else "",
            f"component {item.component.name}" if item.component_id and item.component else "",
        )
        if part
    )
    if where:
        parts.append(_paragraphs("Where", where))
    if item.log_excerpt.strip():
        parts.append(f"<h3>Log excerpt</h3><pre>{escape(item.log_excerpt.strip())}</pre>")
    link = item_url(item)
    parts.append(
        f'<p><small>Kept by Casebridge: edit it at <a href="{escape(link)}">{escape(item.key)}'
        "</a>.</small></p>"
    )
    return "".join(p for p in parts if p)


def repro_html(item: Item, fields: Mapping[str, str]) -> str:
    parts = [_paragraphs("", item.steps_to_reproduce)]
    if not fields.get("expected_result"):
        parts.append(_paragraphs("Expected result", item.expected_result))
    if not fields.get("actual_result"):
        parts.append(_paragraphs("Actual result", item.actual_result))
    return "".join(p for p in parts if p)


def assignee_of(item: Item) -> str:
    """Azure DevOps has one assignee (``System.AssignedTo``), Casebridge several: Azure DevOps
    shows the *primary* one, by e-mail. The primary assignee is the one Azure DevOps already shows
    while they are still one of ours (so adding someone never takes the item away from them),
    else the first by username. An assignee set in Azure DevOps is added to ours (see
    ``inbound``), the others stay."""
    people = [(u.email or u.username).lower() for u in sorted(item.assignees.all(), key=_name)]
    if len(people) > 1:
        shown = (
            WorkItemLink.objects.filter(work_item_id=item.pk)
            .values_list("assigned_to", flat=True)
            .first()
        )
        if shown and shown in people:
            return shown
    return people[0] if people else ""


def _name(user: User) -> str:
    return user.username


def ours(item: Item, connection: Connection) -> dict[str, object]:
    """Casebridge's values of ``item`` as the Azure DevOps fields the mapping names."""
    mapping = category_mapping(connection, item.category)
    fields: Mapping[str, str] = mapping.get("fields") or {}
    values: dict[str, object] = {STATE: mapping["to_ado"][item.status]}

    def put(name: str, value: object) -> None:
        if ref := fields.get(name):
            values[ref] = value

    put("title", item.title)
    put("description", description_html(item, fields))
    put("steps_to_reproduce", repro_html(item, fields))
    put("expected_result", item.expected_result)
    put("actual_result", item.actual_result)
    if item.priority:
        put("priority", PRIORITY_VALUES[item.priority])
        put("severity", SEVERITY_VALUES[item.priority])
    put("assignees", assignee_of(item))
    put("version", item.version)
    put("release_version", item.release_version)
    if item.sprint_id and item.sprint:  # an item in no sprint leaves the iteration alone
        put("sprint", iterations.path_of(connection, item, item.sprint))
    return values


def normalise(name: str, value: object) -> object:
    if value is None:
        return ""
    if name in IDENTITY_FIELDS:
        identity = Identity.from_ref(value)
        return (identity.unique_name if identity else "").lower()
    if name == "Microsoft.VSTS.Common.Priority":
        number = as_int(value, -1)
        return number if number >= 0 else ""
    return value


def assigned_to(remote: WorkItem) -> str:
    """The remote item's assignee, by lowercased unique name ("" for nobody)."""
    identity = Identity.from_ref(remote.fields.get("System.AssignedTo"))
    return (identity.unique_name if identity else "").lower()


def theirs(remote: WorkItem, keys: set[str] | Mapping[str, object]) -> dict[str, object]:
    """The remote item's values of ``keys``, normalised as ``ours`` gives them."""
    return {name: normalise(name, remote.fields.get(name)) for name in keys}
