"""The REST endpoints of the fake, by the paths of the Work Item Tracking 7.1 specification
(``MicrosoftDocs/vsts-rest-api-specs``, ``specification/wit/7.1/workItemTracking.json``), below the
organisation (``/{organization}``) or collection (``/tfs/{collection}``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from tests.fakes.azure_devops import wiql
from tests.fakes.azure_devops.errors import ServiceError
from tests.fakes.azure_devops.store import Identity, Project, stamp

if TYPE_CHECKING:
    from tests.fakes.azure_devops.server import FakeAzureDevOps

PATCH_TYPE = "application/json-patch+json"
BATCH_LIMIT = 200


@dataclass
class Call:
    method: str
    scope: list[str]  # the segments before _apis: [], [project] or [project, team]
    route: list[str]  # the segments after _apis
    query: dict[str, str]
    content_type: str
    body: bytes
    identity: Identity

    def json(self) -> Any:
        import json

        try:
            return json.loads(self.body or b"null")
        except ValueError as exc:
            raise ServiceError(400, f"VS402450: The body is not JSON: {exc}") from exc

    def flag(self, name: str) -> bool:
        return self.query.get(name, "").lower() == "true"


Answer = tuple[int, Any]


def _version(call: Call, *, preview: bool = False) -> None:
    version = call.query.get("api-version", "")
    if not version:
        raise ServiceError(
            400,
            "VS800040: No api-version was supplied for the request. An api-version must be "
            "supplied.",
            "VssVersionNotSpecifiedException",
        )
    if preview and "-preview" not in version:
        raise ServiceError(
            400,
            f'VS800006: The requested version "{version}" of the resource is under preview. The '
            "-preview flag must be supplied in the api-version for such requests. For example: "
            f'"{version}-preview"',
            "VssInvalidPreviewVersionException",
        )


def _content_type(call: Call, expected: str) -> None:
    if call.content_type != expected:
        raise ServiceError(
            415,
            f'The request indicated a Content-Type of "{call.content_type}" for method type '
            f'"{call.method}" which is not supported. Valid content types for this method are: '
            f"{expected}.",
            "VssRequestContentTypeNotSupportedException",
        )


class Routes:
    def __init__(self, fake: FakeAzureDevOps) -> None:
        self.fake = fake
        self.store = fake.store

    def dispatch(self, call: Call) -> Answer:
        route = [unquote(part) for part in call.route]
        lowered = [part.lower() for part in route]
        if lowered[:1] == ["projects"] and len(route) == 2 and call.method == "GET":
            _version(call)
            return 200, self._project(self.store.project(route[1]))
        if lowered == ["connectiondata"] and call.method == "GET":
            return 200, self._connection_data(call.identity)
        if lowered[:1] != ["wit"] or len(route) < 2:
            raise ServiceError(404, f"VS404: No API at /_apis/{'/'.join(route)}.", "NotFound")
        return self._wit(call, route[1:], lowered[1:])

    def _wit(self, call: Call, route: list[str], lowered: list[str]) -> Answer:
        method = call.method
        _version(call, preview=lowered[:1] == ["workitems"] and "comments" in lowered)
        if lowered == ["wiql"] and method == "POST":
            return 200, self._wiql(call)
        if lowered == ["workitemsbatch"] and method == "POST":
            return 200, self._batch(call)
        if lowered == ["attachments"] and method == "POST":
            return 201, self.store.attach(call.query.get("fileName", "attachment"), call.body)
        if lowered[:1] == ["attachments"] and len(route) == 2 and method == "GET":
            _name, content = self.store.attachments[route[1]]
            return 200, content
        if lowered == ["workitems"] and method == "GET":
            ids = [int(i) for i in call.query.get("ids", "").split(",") if i.strip()]
            return 200, self._many(ids, call.query.get("errorPolicy", "fail"), None)
        if lowered[:1] == ["recyclebin"]:
            return self._recycle_bin(call, route[1:])
        if lowered[:1] != ["workitems"] or len(route) < 2:
            raise ServiceError(404, f"VS404: No API at /_apis/wit/{'/'.join(route)}.", "NotFound")
        target = route[1]
        if target.startswith("$") and method == "POST" and len(route) == 2:
            _content_type(call, PATCH_TYPE)
            return 200, self._create(call, target[1:])
        if not target.isdigit():
            raise ServiceError(400, f"VS402300: '{target}' is not a work item id.")
        return self._item(call, int(target), lowered[2:])

    def _item(self, call: Call, item_id: int, rest: list[str]) -> Answer:
        store, method = self.store, call.method
        if not rest:
            if method == "GET":
                item = store.item(item_id)
                expand = call.query.get("$expand", "").lower()
                return 200, store.wire(item, relations=expand in ("relations", "all"))
            if method == "PATCH":
                _content_type(call, PATCH_TYPE)
                item = store.update(
                    item_id=item_id,
                    operations=call.json(),
                    actor=call.identity,
                    stale_status=self.fake.stale_status,
                    bypass_rules=call.flag("bypassRules"),
                    validate_only=call.flag("validateOnly"),
                )
                return 200, store.wire(item)
            if method == "DELETE":
                item = store.delete(item_id=item_id, actor=call.identity)
                return 200, {"id": item.id, "deletedDate": stamp(self.fake.clock())}
        item = store.item(item_id)
        if rest[0] in ("revisions", "updates"):
            records = item.revisions if rest[0] == "revisions" else item.updates
            if len(rest) == 2:
                number = int(rest[1])
                if not 1 <= number <= len(records):
                    raise ServiceError(404, f"VS404: No {rest[0][:-1]} {number}.", "NotFound")
                return 200, records[number - 1]
            skip, top = int(call.query.get("$skip", 0)), int(call.query.get("$top", 200))
            page = records[skip : skip + top]
            return 200, {"count": len(page), "value": page}
        if rest == ["comments"]:
            if method == "POST":
                body = call.json() or {}
                fmt = call.query.get("format", "html").lower()
                return 200, store.add_comment(
                    item_id=item_id, text=body.get("text"), actor=call.identity, fmt=fmt
                )
            return 200, self._comments(item.comments, call.query)
        raise ServiceError(404, "VS404: No such work item resource.", "NotFound")

    def _recycle_bin(self, call: Call, rest: list[str]) -> Answer:
        """Recycle Bin: list (shallow references), get, restore (PATCH ``{"isDeleted": false}``)
        and destroy (DELETE) deleted work items."""
        store = self.store
        if not rest and call.method == "GET":
            with store.lock:
                gone = [i for i in store.items.values() if i.deleted]
                value = [
                    {"id": i.id, "url": store.url(i).replace("/workItems/", "/recyclebin/")}
                    for i in gone
                ]
            return 200, {"count": len(value), "value": value}
        if len(rest) != 1 or not rest[0].isdigit():
            raise ServiceError(404, "VS404: No such recycle bin resource.", "NotFound")
        item_id = int(rest[0])
        with store.lock:
            item = store.items.get(item_id)
            if item is None or not item.deleted:
                raise ServiceError(
                    404,
                    f"TF401232: Work item {item_id} does not exist in the recycle bin.",
                    "WorkItemNotFoundException",
                )
            if call.method == "DELETE":
                del store.items[item_id]
                return 204, b""
            if call.method == "PATCH":
                if (call.json() or {}).get("isDeleted") is not False:
                    raise ServiceError(400, "VS402300: Give isDeleted: false to restore.")
                item.deleted = False
            return 200, {
                "id": item.id,
                "code": 200,
                "deletedBy": str(item.fields.get("System.ChangedBy", {}).get("displayName", "")),
                "deletedDate": stamp(self.fake.clock()),
                "name": item.fields.get("System.Title", ""),
                "project": item.project.name,
                "type": item.type,
                "url": store.url(item).replace("/workItems/", "/recyclebin/"),
            }

    # --- bodies ---------------------------------------------------------------------------------

    def _project_of(self, call: Call) -> Project:
        if not call.scope:
            raise ServiceError(400, "VS402371: This request needs a project.")
        return self.store.project(call.scope[0])

    def _create(self, call: Call, type_name: str) -> dict[str, Any]:
        project = self._project_of(call)
        item = self.store.create(
            project=project,
            type_name=type_name,
            operations=call.json(),
            actor=call.identity,
            bypass_rules=call.flag("bypassRules"),
            validate_only=call.flag("validateOnly"),
        )
        return self.store.wire(item)

    def _many(self, ids: list[int], error_policy: str, fields: list[str] | None) -> dict[str, Any]:
        if len(ids) > BATCH_LIMIT:
            raise ServiceError(
                400,
                f"VS402337: The number of work items requested exceeds the limit of {BATCH_LIMIT}.",
                "WorkItemTrackingRequestSizeLimitExceededException",
            )
        values: list[Any] = []
        with self.store.lock:
            for item_id in ids:
                found = self.store.items.get(item_id)
                if found is None or found.deleted:
                    if error_policy.lower() != "omit":
                        self.store.item(item_id)  # raises the service's 404
                    values.append(None)
                else:
                    values.append(self.store.wire(found, relations=False, fields=fields))
        return {"count": len(values), "value": values}

    def _batch(self, call: Call) -> dict[str, Any]:
        body = call.json()
        if not isinstance(body, dict) or not isinstance(body.get("ids"), list):
            raise ServiceError(400, "VS402300: The batch request needs 'ids'.")
        ids = [int(i) for i in body["ids"]]
        return self._many(ids, str(body.get("errorPolicy", "fail")), body.get("fields"))

    def _wiql(self, call: Call) -> dict[str, Any]:
        body = call.json()
        if not isinstance(body, dict) or not isinstance(body.get("query"), str):
            raise ServiceError(400, "VS402300: The WIQL request needs 'query'.")
        project = call.scope[0] if call.scope else ""
        context = wiql.Context(
            project=self.store.project(project).name if project else "",
            me=call.identity.unique_name,
            time_precision=call.flag("timePrecision"),
            today=self.fake.clock().date(),
        )
        with self.store.lock:
            rows = [item.fields for item in self.store.items.values() if not item.deleted]
            top = int(call.query["$top"]) if "$top" in call.query else None
            columns, order, ids = wiql.run(body["query"], rows, context, top=top)
        base = self.fake.url

        def column(name: str) -> dict[str, str]:
            return {"referenceName": name, "name": name.rsplit(".", 1)[-1], "url": base}

        return {
            "queryType": "flat",
            "queryResultType": "workItem",
            "asOf": stamp(self.fake.clock()),
            "columns": [column(name) for name in columns],
            "sortColumns": [{"field": column(n), "descending": d} for n, d in order],
            "workItems": [{"id": i, "url": f"{base}/_apis/wit/workItems/{i}"} for i in ids],
        }

    def _comments(self, comments: list[dict[str, Any]], query: dict[str, str]) -> dict[str, Any]:
        visible = [c for c in comments if not c["isDeleted"]]
        visible.sort(key=lambda c: c["id"], reverse=query.get("order", "desc") != "asc")
        start = int(query.get("continuationToken", 0) or 0)
        top = min(int(query.get("$top", 200)), 200)
        page = visible[start : start + top]
        more = start + top < len(visible)
        return {
            "totalCount": len(visible),
            "count": len(page),
            "comments": page,
            "continuationToken": str(start + top) if more else None,
            "nextPage": None,
        }

    def _project(self, project: Project) -> dict[str, Any]:
        return {
            "id": project.id,
            "name": project.name,
            "url": f"{self.fake.url}/_apis/projects/{project.id}",
            "state": "wellFormed",
            "revision": 1,
            "visibility": "private",
            "lastUpdateTime": "2026-01-05T10:00:00Z",
            "capabilities": {"processTemplate": {"templateName": project.process}},
        }

    def _connection_data(self, identity: Identity) -> dict[str, Any]:
        user = {
            "id": identity.id,
            "descriptor": f"aad.{identity.id}",
            "subjectDescriptor": f"aad.{identity.id}",
            "providerDisplayName": identity.display_name,
            "isActive": True,
            "properties": {"Account": {"$type": "System.String", "$value": identity.unique_name}},
        }
        return {
            "authenticatedUser": user,
            "authorizedUser": user,
            "instanceId": "5023c10b-bef3-41c3-bf53-686c4e34ee9e",
            "locationServiceData": {"serviceOwner": "00025394-6065-48ca-87d9-7f5672854ef7"},
        }
