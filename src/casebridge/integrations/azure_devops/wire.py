"""The shapes the client sends and receives: JSON Patch operations, work items, comments,
attachments and identities, typed, read from the REST API's JSON."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

_MISSING = object()

#: A JSON object as the REST API answers it (values narrowed where they are read).
Json = Mapping[str, object]


def as_int(value: object, default: int = 0) -> int:
    """A JSON number (or a numeric string) as an int; ``default`` for anything else."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int | float):
        return int(value)
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    return default


def as_json(value: object) -> Json:
    """A JSON object, or an empty one."""
    return value if isinstance(value, Mapping) else {}


def as_objects(value: object) -> list[Json]:
    """The JSON objects of a JSON array (anything else: none)."""
    return [v for v in value if isinstance(v, Mapping)] if isinstance(value, list) else []


@dataclass(frozen=True)
class PatchOp:
    """One JSON Patch operation on a work item (``add``, ``replace``, ``remove`` or ``test``)."""

    op: str
    path: str
    value: object = _MISSING

    def json(self) -> dict[str, object]:
        body: dict[str, object] = {"op": self.op, "path": self.path}
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
    rel: str, url: str, *, comment: str = "", attributes: Mapping[str, object] | None = None
) -> PatchOp:
    extra = dict(attributes or {})
    if comment:
        extra["comment"] = comment
    value: dict[str, object] = {"rel": rel, "url": url}
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
    def from_ref(cls, ref: object) -> Identity | None:
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
    fields: Json
    relations: tuple[Json, ...] = ()
    url: str = ""

    @classmethod
    def from_json(cls, data: Json) -> WorkItem:
        relations = data.get("relations")
        return cls(
            id=as_int(data.get("id")),
            rev=as_int(data.get("rev")),
            fields=dict(as_json(data.get("fields"))),
            relations=tuple(as_json(r) for r in relations) if isinstance(relations, list) else (),
            url=str(data.get("url", "")),
        )

    def get(self, name: str, default: object = None) -> object:
        return self.fields.get(name, default)

    def text(self, name: str) -> str:
        """A field as text ("" when it has no value)."""
        value = self.fields.get(name)
        return "" if value is None else str(value)

    def number(self, name: str) -> int:
        return as_int(self.fields.get(name))

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
    def from_json(cls, data: Json) -> Comment:
        return cls(
            id=as_int(data.get("id") or data.get("commentId")),
            work_item_id=as_int(data.get("workItemId")),
            text=str(data.get("text", "")),
            version=as_int(data.get("version"), 1),
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
    extra: Json = field(default_factory=dict)

    @classmethod
    def from_json(cls, data: Json) -> Project:
        template = as_json(as_json(data.get("capabilities")).get("processTemplate"))
        return cls(
            id=str(data.get("id", "")),
            name=str(data.get("name", "")),
            process=str(template.get("templateName", "")),
        )
