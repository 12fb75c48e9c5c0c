"""The fake's state: identities, projects, work items with every revision and update, comments and
attachments. One lock guards it all; every change notifies the listeners (the hook poster)."""

from __future__ import annotations

import copy
import itertools
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from tests.fakes.azure_devops import patch, rules
from tests.fakes.azure_devops.errors import ServiceError, not_found, rule_error

DONE_STATES = frozenset({"Closed", "Done", "Removed"})


def stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass
class Identity:
    display_name: str
    unique_name: str
    id: str = field(default_factory=lambda: str(uuid.uuid4()))

    def ref(self) -> dict[str, Any]:
        return {
            "displayName": self.display_name,
            "url": f"https://vssps.example/_apis/Identities/{self.id}",
            "id": self.id,
            "uniqueName": self.unique_name,
            "imageUrl": f"https://vssps.example/_api/_common/identityImage?id={self.id}",
            "descriptor": f"aad.{self.id.replace('-', '')}",
        }


@dataclass
class Project:
    name: str
    process: str
    id: str = field(default_factory=lambda: str(uuid.uuid4()))


@dataclass
class Item:
    id: int
    project: Project
    rev: int
    fields: dict[str, Any]
    relations: list[dict[str, Any]]
    revisions: list[dict[str, Any]] = field(default_factory=list)
    updates: list[dict[str, Any]] = field(default_factory=list)
    comments: list[dict[str, Any]] = field(default_factory=list)
    deleted: bool = False

    @property
    def type(self) -> str:
        return str(self.fields["System.WorkItemType"])


#: listener(event_type, item, update, comment): called after each change, outside the lock.
Listener = Callable[[str, "Item", dict[str, Any] | None, dict[str, Any] | None], None]


class Store:
    def __init__(self, base_url: Callable[[], str], clock: Callable[[], datetime]) -> None:
        self.lock = threading.RLock()
        self.base_url = base_url
        self.clock = clock
        self.identities: dict[str, Identity] = {}
        self.projects: dict[str, Project] = {}
        self.items: dict[int, Item] = {}
        self.attachments: dict[str, tuple[str, bytes]] = {}
        self.listeners: list[Listener] = []
        self._ids = itertools.count(1)
        self._comment_ids = itertools.count(1)
        self._watermark = itertools.count(1)

    # --- identities and projects ---------------------------------------------------------------

    def identity(self, display_name: str, unique_name: str) -> Identity:
        with self.lock:
            found = self.identities.get(unique_name.lower())
            if found is None:
                found = Identity(display_name, unique_name)
                self.identities[unique_name.lower()] = found
            return found

    def resolve(self, value: Any) -> Identity | None:
        """``"Name <mail>"``, ``"mail"`` or a display name, as the service resolves them."""
        if value in (None, ""):
            return None
        if isinstance(value, dict):
            value = value.get("uniqueName") or value.get("displayName") or ""
        text = str(value).strip()
        if "<" in text and text.endswith(">"):
            text = text[text.index("<") + 1 : -1]
        found = self.identities.get(text.lower())
        if found is None:
            found = next(
                (i for i in self.identities.values() if i.display_name.lower() == text.lower()),
                None,
            )
        if found is None:
            raise rule_error("Assigned To", "InvalidNotInGroup")
        return found

    def project(self, name_or_id: str) -> Project:
        with self.lock:
            for project in self.projects.values():
                if name_or_id.lower() in (project.name.lower(), project.id):
                    return project
        raise ServiceError(
            404,
            f"TF200016: The following project does not exist: {name_or_id}. Verify that the name "
            "of the project is correct and that the project exists on the specified Azure "
            "DevOps Server.",
            "ProjectDoesNotExistWithNameException",
        )

    # --- reads ---------------------------------------------------------------------------------

    def item(self, item_id: int, *, deleted: bool = False) -> Item:
        found = self.items.get(item_id)
        if found is None or (found.deleted and not deleted):
            raise not_found(item_id)
        return found

    def url(self, item: Item) -> str:
        return f"{self.base_url()}/{item.project.id}/_apis/wit/workItems/{item.id}"

    def wire(
        self, item: Item, *, relations: bool = True, fields: list[str] | None = None
    ) -> dict[str, Any]:
        values = copy.deepcopy(item.fields)
        if fields:
            values = {name: values[name] for name in fields if name in values}
        body: dict[str, Any] = {"id": item.id, "rev": item.rev, "fields": values}
        if relations and item.relations:
            body["relations"] = copy.deepcopy(item.relations)
        url = self.url(item)
        body["_links"] = {
            "self": {"href": url},
            "workItemUpdates": {"href": f"{url}/updates"},
            "workItemRevisions": {"href": f"{url}/revisions"},
            "workItemComments": {"href": f"{url}/comments"},
            "html": {"href": f"{self.base_url()}/{item.project.name}/_workitems/edit/{item.id}"},
        }
        body["url"] = url
        return body

    # --- writes --------------------------------------------------------------------------------

    def create(
        self,
        *,
        project: Project,
        type_name: str,
        operations: Any,
        actor: Identity,
        bypass_rules: bool = False,
        validate_only: bool = False,
    ) -> Item:
        with self.lock:
            states = rules.states(project, type_name)
            start = patch.Draft(
                {
                    "System.AreaPath": project.name,
                    "System.IterationPath": project.name,
                    "System.State": states[0],
                    "Microsoft.VSTS.Common.Priority": 2,
                }
            )
            draft = patch.apply(
                start,
                operations,
                rev=0,
                item_id=0,
                attachments=set(self.attachments),
                stale_status=412,
            )
            rules.check(self, project, type_name, draft, {}, bypass_rules=bypass_rules)
            if validate_only:
                return Item(-1, project, 0, draft.fields, draft.relations)
            item = Item(next(self._ids), project, 0, {}, [])
            item.fields = {
                "System.TeamProject": project.name,
                "System.WorkItemType": type_name,
                "System.CommentCount": 0,
            }
            update = self._commit(item, draft, actor, created=True)
            self.items[item.id] = item
        self._notify("workitem.created", item, update, None)
        return item

    def update(
        self,
        *,
        item_id: int,
        operations: Any,
        actor: Identity,
        stale_status: int,
        bypass_rules: bool = False,
        validate_only: bool = False,
    ) -> Item:
        with self.lock:
            item = self.item(item_id)
            current = patch.Draft(dict(item.fields), copy.deepcopy(item.relations))
            draft = patch.apply(
                current,
                operations,
                rev=item.rev,
                item_id=item.id,
                attachments=set(self.attachments),
                stale_status=stale_status,
            )
            rules.check(
                self, item.project, item.type, draft, item.fields, bypass_rules=bypass_rules
            )
            if validate_only:
                return item
            update = self._commit(item, draft, actor, created=False)
            comment = item.comments[-1] if update and "System.History" in update["fields"] else None
        if update is not None:
            self._notify("workitem.updated", item, update, None)
            if comment is not None:
                self._notify("workitem.commented", item, update, comment)
        return item

    def add_comment(self, *, item_id: int, text: str, actor: Identity, fmt: str) -> dict[str, Any]:
        if not isinstance(text, str) or not text.strip():
            raise ServiceError(400, "VS402625: A comment needs text.", "ArgumentException")
        with self.lock:
            item = self.item(item_id)
            draft = patch.Draft(dict(item.fields), copy.deepcopy(item.relations))
            draft.fields["System.History"] = text
            update = self._commit(item, draft, actor, created=False, comment_format=fmt)
            comment = item.comments[-1]
        self._notify("workitem.updated", item, update, None)
        self._notify("workitem.commented", item, update, comment)
        return comment

    def delete(self, *, item_id: int, actor: Identity) -> Item:
        with self.lock:
            item = self.item(item_id)
            item.deleted = True
            item.fields["System.ChangedBy"] = actor.ref()
        self._notify("workitem.deleted", item, None, None)
        return item

    def attach(self, name: str, content: bytes) -> dict[str, str]:
        with self.lock:
            attachment_id = str(uuid.uuid4())
            self.attachments[attachment_id] = (name, content)
        url = f"{self.base_url()}/_apis/wit/attachments/{attachment_id}?fileName={name}"
        return {"id": attachment_id, "url": url}

    # --- internals -----------------------------------------------------------------------------

    def _commit(
        self,
        item: Item,
        draft: patch.Draft,
        actor: Identity,
        *,
        created: bool,
        comment_format: str = "html",
    ) -> dict[str, Any] | None:
        """Make ``draft`` the item's next revision; ``None`` when nothing changed."""
        now = self.clock()
        history = draft.fields.pop("System.History", None)
        old = {k: v for k, v in item.fields.items() if k != "System.History"}
        changed = {k for k in draft.fields.keys() | old.keys() if draft.fields.get(k) != old.get(k)}
        added = [r for r in draft.relations if r not in item.relations]
        removed = [r for r in item.relations if r not in draft.relations]
        if not created and not changed and not added and not removed and history is None:
            return None
        fields = dict(draft.fields)
        if "System.State" in changed:
            fields.setdefault("System.Reason", f"Moved to state {fields['System.State']}")
            if fields.get("System.Reason") == old.get("System.Reason"):
                fields["System.Reason"] = f"Moved to state {fields['System.State']}"
            fields["Microsoft.VSTS.Common.StateChangeDate"] = stamp(now)
            if fields["System.State"] in DONE_STATES:
                fields["Microsoft.VSTS.Common.ClosedDate"] = stamp(now)
        if history is not None:
            comment = self._comment(item, str(history), actor, now, comment_format)
            item.comments.append(comment)
            fields["System.CommentCount"] = len([c for c in item.comments if not c["isDeleted"]])
        item.rev += 1
        if created:
            fields.setdefault("System.CreatedDate", stamp(now))
            fields.setdefault("System.CreatedBy", actor.ref())
        # Only a migration (bypassRules) sets who changed it and when; otherwise: now, the caller.
        if "System.ChangedDate" not in changed:
            fields["System.ChangedDate"] = stamp(now)
        if "System.ChangedBy" not in changed:
            fields["System.ChangedBy"] = actor.ref()
        fields.update(
            {
                "System.Id": item.id,
                "System.Rev": item.rev,
                "System.AuthorizedDate": stamp(now),
                "System.RevisedDate": "9999-01-01T00:00:00Z",
                "System.Watermark": next(self._watermark),
            }
        )
        for name in ("System.TeamProject", "System.WorkItemType"):
            fields.setdefault(name, old.get(name))
        update_fields = {
            k: _change(old.get(k), fields.get(k))
            for k in sorted(fields.keys() | old.keys())
            if fields.get(k) != old.get(k)
        }
        if history is not None:
            update_fields["System.History"] = {"newValue": history}
        item.fields = fields
        item.relations = draft.relations
        snapshot = {"id": item.id, "rev": item.rev, "fields": copy.deepcopy(fields)}
        if history is not None:
            snapshot["fields"]["System.History"] = history
        if item.relations:
            snapshot["relations"] = copy.deepcopy(item.relations)
        snapshot["url"] = f"{self.url(item)}/revisions/{item.rev}"
        item.revisions.append(snapshot)
        update: dict[str, Any] = {
            "id": len(item.updates) + 1,
            "workItemId": item.id,
            "rev": item.rev,
            "revisedBy": actor.ref() | {"name": f"{actor.display_name} <{actor.unique_name}>"},
            "revisedDate": stamp(now),
            "fields": update_fields,
            "url": f"{self.url(item)}/updates/{len(item.updates) + 1}",
        }
        if added or removed:
            update["relations"] = {k: v for k, v in (("added", added), ("removed", removed)) if v}
        item.updates.append(update)
        return update

    def _comment(
        self, item: Item, text: str, actor: Identity, now: datetime, fmt: str
    ) -> dict[str, Any]:
        comment_id = next(self._comment_ids)
        return {
            "workItemId": item.id,
            "id": comment_id,
            "version": 1,
            "text": text,
            "renderedText": text,
            "format": fmt,
            "createdBy": actor.ref(),
            "createdDate": stamp(now),
            "modifiedBy": actor.ref(),
            "modifiedDate": stamp(now),
            "isDeleted": False,
            "url": f"{self.url(item)}/comments/{comment_id}",
        }

    def _notify(
        self,
        event: str,
        item: Item,
        update: dict[str, Any] | None,
        comment: dict[str, Any] | None,
    ) -> None:
        for listener in list(self.listeners):
            listener(event, item, update, comment)


def _change(old: Any, new: Any) -> dict[str, Any]:
    change: dict[str, Any] = {}
    if old is not None:
        change["oldValue"] = old
    if new is not None:
        change["newValue"] = new
    return change
