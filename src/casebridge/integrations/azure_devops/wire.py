"""The shapes the client sends and receives: JSON Patch operations, work items, comments,
attachments and identities, typed, read from the REST API's JSON."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

_MISSING: Any = object()


@dataclass(frozen=True)
class PatchOp:
    """One JSON Patch operation on a work item (``add``, ``replace``, ``remove`` or ``test``)."""

    op: str
    path: str
    value: object = _MISSING

    def json(self) -> dict[str, Any]:
        body: dict[str, Any] = {"op": self.op, "path": self.path}
        if self.value is not _MISSING:
            body["value"] = self.value
        return body


def set_field(name: str, value: object) -> PatchOp:
    """``add`` sets a field whether it has a value or not (``replace`` needs one)."""
    return PatchOp("add", f"/fields/{name}", value)


def remove_field(name: str) -> PatchOp:
    return PatchOp("remove", f"/fields/{name}")


def test_rev(rev: int) -> PatchOp:
    return PatchOp("test", "/rev", rev)


def add_relation(
    rel: str, url: str, *, comment: str = "", attributes: Mapping[str, Any] | None = None
) -> PatchOp:
    extra = dict(attributes or {})
    if comment:
        extra["comment"] = comment
    value: dict[str, Any] = {"rel": rel, "url": url}
    if extra:
        value["attributes"] = extra
    return PatchOp("add", "/relations/-", value)


def hyperlink(url: str, comment: str = "") -> PatchOp:
    return add_relation("Hyperlink", url, comment=comment)


def attached_file(url: str, comment: str = "") -> PatchOp:
    return add_relation("AttachedFile", url, comment=comment)


def parse_time(value: object) -> datetime | None:
    if not value:
        return None
    return datetime.fromisoformat(str(value).replace("Z", "+00:00"))


@dataclass(frozen=True)
class Identity:
    id: str
    display_name: str
    unique_name: str

    @classmethod
    def from_ref(cls, ref: Any) -> Identity | None:
        """An IdentityRef object, or the ``"Name <mail>"`` string some answers carry."""
        if isinstance(ref, Mapping):
            return cls(
                str(ref.get("id", "")),
                str(ref.get("displayName", "")),
                str(ref.get("uniqueName", "")),
            )
        if isinstance(ref, str) and ref:
            name, _, mail = ref.partition("<")
            return cls("", name.strip(), mail.rstrip(">").strip() or name.strip())
        return None


@dataclass(frozen=True)
class WorkItem:
    id: int
    rev: int
    fields: Mapping[str, Any]
    relations: tuple[Mapping[str, Any], ...] = ()
    url: str = ""

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> WorkItem:
        return cls(
            id=int(data["id"]),
            rev=int(data.get("rev", 0)),
            fields=dict(data.get("fields") or {}),
            relations=tuple(data.get("relations") or ()),
            url=str(data.get("url", "")),
        )

    def get(self, name: str, default: Any = None) -> Any:
        return self.fields.get(name, default)

    @property
    def type(self) -> str:
        return str(self.fields.get("System.WorkItemType", ""))

    @property
    def state(self) -> str:
        return str(self.fields.get("System.State", ""))

    @property
    def title(self) -> str:
        return str(self.fields.get("System.Title", ""))

    @property
    def changed_date(self) -> datetime | None:
        return parse_time(self.fields.get("System.ChangedDate"))

    @property
    def changed_by(self) -> Identity | None:
        return Identity.from_ref(self.fields.get("System.ChangedBy"))


@dataclass(frozen=True)
class Comment:
    id: int
    work_item_id: int
    text: str
    version: int
    created_by: Identity | None
    created_date: datetime | None

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Comment:
        return cls(
            id=int(data.get("id") or data.get("commentId") or 0),
            work_item_id=int(data.get("workItemId", 0)),
            text=str(data.get("text", "")),
            version=int(data.get("version", 1)),
            created_by=Identity.from_ref(data.get("createdBy")),
            created_date=parse_time(data.get("createdDate")),
        )


@dataclass(frozen=True)
class Attachment:
    id: str
    url: str


@dataclass(frozen=True)
class Project:
    id: str
    name: str
    process: str = ""
    extra: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Project:
        template = (data.get("capabilities") or {}).get("processTemplate") or {}
        return cls(
            id=str(data.get("id", "")),
            name=str(data.get("name", "")),
            process=str(template.get("templateName", "")),
        )
