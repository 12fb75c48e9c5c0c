"""JSON Patch (RFC 6902) as the work item endpoints apply it: ``add``, ``replace``, ``remove`` and
``test`` on ``/fields/<reference name>``, ``/relations/-``, ``/relations/<n>`` and
``/relations/<n>/attributes/<name>``; ``test`` on ``/rev`` and ``/id``. The whole document applies
or none of it does."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

from tests.fakes.azure_devops.errors import ServiceError, stale_revision
from tests.fakes.azure_devops.processes import RELATION_TYPES

OPS = ("add", "replace", "remove", "test")


@dataclass
class Draft:
    """The editable part of a work item: its fields and its relations."""

    fields: dict[str, Any]
    relations: list[dict[str, Any]] = field(default_factory=list)


def _bad(message: str) -> ServiceError:
    return ServiceError(400, message, "InvalidPatchOperationException")


def _relation(value: Any, attachments: set[str]) -> dict[str, Any]:
    if not isinstance(value, dict) or not isinstance(value.get("rel"), str):
        raise _bad("A relation needs 'rel' and 'url'.")
    rel, url = value["rel"], value.get("url")
    if rel not in RELATION_TYPES:
        raise _bad(f"VS402625: Unknown relation type '{rel}'.")
    if not isinstance(url, str) or not url:
        raise _bad(f"The relation '{rel}' needs a url.")
    if rel == "Hyperlink" and not url.startswith(("http://", "https://")):
        raise _bad(f"TF401330: The hyperlink '{url}' is not a valid URL.")
    if rel == "AttachedFile" and url.rsplit("/", 1)[-1].split("?")[0] not in attachments:
        raise _bad(f"TF401330: The attachment '{url}' was not uploaded.")
    attributes = dict(value.get("attributes") or {})
    attributes.setdefault("isLocked", False)
    return {"rel": rel, "url": url, "attributes": attributes}


def _index(part: str, relations: list[dict[str, Any]], *, append: bool) -> int:
    if part == "-" and append:
        return len(relations)
    if not part.isdigit() or int(part) >= len(relations) + (1 if append else 0):
        raise _bad(f"The relation index '{part}' is out of range.")
    return int(part)


def apply(
    draft: Draft,
    operations: Any,
    *,
    rev: int,
    item_id: int,
    attachments: set[str],
    stale_status: int,
) -> Draft:
    """A new draft with every operation applied; raises ``ServiceError`` and changes nothing."""
    if not isinstance(operations, list) or not operations:
        raise _bad("VS403356: The patch document must be a non-empty array of operations.")
    result = Draft(copy.deepcopy(draft.fields), copy.deepcopy(draft.relations))
    for operation in operations:
        if not isinstance(operation, dict) or operation.get("op") not in OPS:
            raise _bad(f"Unsupported patch operation: {operation!r}")
        op, path, value = operation["op"], str(operation.get("path", "")), operation.get("value")
        if path in ("/rev", "/id"):
            current = rev if path == "/rev" else item_id
            if op != "test":
                raise _bad(f"The path '{path}' may only be tested.")
            if str(value) != str(current):
                if path == "/rev":
                    raise stale_revision(stale_status)
                raise _bad(f"The test operation on {path} failed.")
        elif path.startswith("/fields/"):
            _field(result, op, path.removeprefix("/fields/"), value)
        elif path.startswith("/relations/"):
            _relations(result, op, path.removeprefix("/relations/").split("/"), value, attachments)
        else:
            raise _bad(f"The path '{path}' is not supported.")
    return result


def _field(draft: Draft, op: str, name: str, value: Any) -> None:
    if not name:
        raise _bad("A field path needs a reference name.")
    if op == "test":
        if draft.fields.get(name) != value:
            raise _bad(f"The test operation on /fields/{name} failed.")
    elif op == "remove":
        draft.fields.pop(name, None)
    else:
        draft.fields[name] = value


def _relations(draft: Draft, op: str, parts: list[str], value: Any, attachments: set[str]) -> None:
    relations = draft.relations
    if len(parts) == 1:
        if op == "add":
            relation = _relation(value, attachments)
            if any(r["rel"] == relation["rel"] and r["url"] == relation["url"] for r in relations):
                raise _bad(
                    f"TF201035: The relation {relation['rel']} to {relation['url']} already exists."
                )
            relations.insert(_index(parts[0], relations, append=True), relation)
        elif op == "remove":
            relations.pop(_index(parts[0], relations, append=False))
        elif op == "replace":
            relations[_index(parts[0], relations, append=False)] = _relation(value, attachments)
        else:
            raise _bad("Relations may not be tested.")
    elif len(parts) == 3 and parts[1] == "attributes" and op in ("add", "replace"):
        relations[_index(parts[0], relations, append=False)]["attributes"][parts[2]] = value
    else:
        raise _bad(f"The path '/relations/{'/'.join(parts)}' is not supported.")
