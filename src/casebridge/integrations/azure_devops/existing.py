"""Existing Azure DevOps items: import one as a Casebridge work item (linked, with its history),
or link a Casebridge item that has none yet to one, by id (``123``, ``AB#123``) or URL."""

from __future__ import annotations

import re

from django.db import transaction
from django.utils.html import strip_tags

from casebridge.accounts.models import Role
from casebridge.audit.actions import AuditAction
from casebridge.audit.services import audit_record
from casebridge.core import clock
from casebridge.core.actors import Actor
from casebridge.core.errors import PermissionDenied, ValidationFailed
from casebridge.integrations.azure_devops import clients, values
from casebridge.integrations.azure_devops.errors import NotFound
from casebridge.integrations.azure_devops.models import Connection, WorkItemLink
from casebridge.integrations.azure_devops.sync import (
    PUSH_TOPIC,
    html_url,
    link_for,
    remember,
)
from casebridge.integrations.azure_devops.wire import Json, as_json
from casebridge.integrations.azure_devops.wire import WorkItem as Remote
from casebridge.integrations.outbox import outbox_enqueue
from casebridge.workitems.models import WorkItem
from casebridge.workitems.services import work_item_create

ITEM_URL = re.compile(
    r"/_workitems/edit/(\d{1,9})(?:[/?#]|$)|/workitems/(\d{1,9})(?:[/?#]|$)", re.I
)


def remote_id(ref: str) -> int | None:
    """``123``, ``AB#123``, ``#123`` or an item's web or API URL -> 123."""
    text = ref.strip()
    bare = text.upper().removeprefix("AB#").removeprefix("#")
    if bare.isdigit() and 0 < len(bare) <= 9:
        return int(bare)
    match = ITEM_URL.search(text)
    if match and text.lower().startswith("https://"):
        return int(match[1] or match[2])
    return None


def _ref_error(ref: str) -> ValidationFailed:
    return ValidationFailed(
        "Not an Azure DevOps work item",
        fields={"azure_devops": f"'{ref[:80]}' is neither an id (123, AB#123) nor an item's URL."},
    )


def _fetch_existing(
    connection: Connection, number: int, category: str
) -> tuple[Remote, list[Json]]:
    with clients.client_for(connection) as client:
        try:
            remote = client.get(number)
            history = client.updates(number)
        except NotFound as exc:
            raise ValidationFailed(
                f"No Azure DevOps work item #{number}",
                fields={"azure_devops": f"#{number} is not in {connection.project} (or hidden)."},
            ) from exc
    wanted = str(values.category_mapping(connection, category)["type"])
    if remote.type != wanted:
        raise ValidationFailed(
            "Another type of work item",
            fields={"azure_devops": f"#{number} is a {remote.type}; {category}s are {wanted}s."},
        )
    return remote, history


def _taken(connection: Connection, number: int) -> None:
    taken = WorkItemLink.objects.filter(connection=connection, ado_id=number).first()
    if taken is not None:
        raise ValidationFailed(
            "Already linked",
            fields={"azure_devops": f"#{number} is already {taken.work_item.key}'s."},
        )


def work_item_import(*, actor: Actor, ref: str, connection: Connection, category: str) -> WorkItem:
    """Make a Casebridge work item of an existing Azure DevOps one (its title, description, steps
    to reproduce, state as the mapping reads it, and its history as audit events), linked to it.
    Escalate a case to it afterwards (``work_item`` = its key or ``AB#<id>``)."""
    if actor is not None and not actor.has_role(Role.RTE, Role.L2_ENGINEER, Role.ADMIN):
        raise PermissionDenied("L2 engineers, the RTE and administrators import work items")
    number = remote_id(ref)
    if number is None:
        raise _ref_error(ref)
    if category not in connection.categories:
        raise ValidationFailed(
            "Not a category of the connection",
            fields={"category": f"Use {', '.join(connection.categories)}."},
        )
    _taken(connection, number)
    remote, history = _fetch_existing(connection, number, category)
    mapping = values.category_mapping(connection, category)
    fields = mapping.get("fields") or {}

    def text(name: str) -> str:
        ref_name = fields.get(name)
        return strip_tags(str(remote.fields.get(ref_name) or "")).strip() if ref_name else ""

    with transaction.atomic():
        _taken(connection, number)
        item = work_item_create(
            actor=actor,
            category=category,
            title=(remote.title.strip() or f"Azure DevOps #{number}")[:200],
            docs={
                "description": text("description"),
                "steps_to_reproduce": text("steps_to_reproduce"),
            },
            version=text("version")[:64],
        )
        state = mapping.get("from_ado", {}).get(remote.state)
        if state and state != item.status:
            old, item.status = item.status, state
            item.save(update_fields=["status", "updated_at"])
            audit_record(
                actor=actor,
                subject=item,
                action=AuditAction.IMPORTED_STATE,
                field="status",
                old=old,
                new=state,
                reason=f"Azure DevOps #{number} is {remote.state}",
            )
        keys = set(values.ours(item, connection)) | values.two_way(connection, category)
        link = WorkItemLink.objects.create(
            work_item=item,
            connection=connection,
            ado_id=number,
            created_at=clock.now(),
        )
        remember(link, remote, values.theirs(remote, keys), own=False)
        link.url = html_url(link, remote)
        link.save()
        for update in history:
            who = as_json(update.get("revisedBy"))
            audit_record(
                actor=None,
                subject=item,
                action=AuditAction.AZURE_DEVOPS_HISTORY,
                data={
                    "rev": update.get("rev"),
                    "by": str(who.get("displayName", "")),
                    "at": update.get("revisedDate"),
                    "fields": sorted(as_json(update.get("fields")))[:50],
                },
            )
        audit_record(
            actor=actor,
            subject=item,
            action=AuditAction.IMPORTED,
            data={"azure_devops": number, "rev": remote.rev, "url": link.url},
        )
    return item


def work_item_link_existing(*, actor: Actor, item: WorkItem, ref: str) -> WorkItemLink:
    """Link a Casebridge work item that has no Azure DevOps item yet to an existing one; from
    then on it is synced (Casebridge's documentation is written there by the next push)."""
    if actor is not None and not actor.has_role(Role.RTE, Role.L2_ENGINEER, Role.ADMIN):
        raise PermissionDenied("L2 engineers, the RTE and administrators link work items")
    number = remote_id(ref)
    if number is None:
        raise _ref_error(ref)
    link = link_for(item)
    if link is None:
        raise ValidationFailed(
            "No Azure DevOps connection covers this item",
            fields={"azure_devops": f"Connect a project for {item.category}s first."},
        )
    if link.ado_id is not None:
        raise ValidationFailed(
            "Already linked", fields={"azure_devops": f"{item.key} is #{link.ado_id} already."}
        )
    _taken(link.connection, number)
    remote, _ = _fetch_existing(link.connection, number, item.category)
    with transaction.atomic():
        _taken(link.connection, number)
        link = WorkItemLink.objects.select_for_update().get(pk=link.pk)
        link.ado_id = number
        keys = set(values.ours(item, link.connection)) | values.two_way(
            link.connection, item.category
        )
        remember(link, remote, values.theirs(remote, keys), own=False)
        link.save()
        audit_record(
            actor=actor, subject=item, action=AuditAction.LINKED, data={"azure_devops": number}
        )
        outbox_enqueue(topic=PUSH_TOPIC, key=item.key, payload={"key": item.key})
    return link
