"""A small, typed client of Azure DevOps' Work Item Tracking REST API 7.1.

One ``httpx.Client`` per connection keeps its TLS connections open between requests (Azure
DevOps is far away; a handshake per request would cost more than the request). Authentication is
a personal access token sent as HTTP basic auth with an empty user name; the token lives only in
the ``httpx`` auth object, never in an attribute, a ``repr``, an error or a log line.

Reads and tested updates are retried on 5xx and timeouts (a tested update applied twice fails its
``test`` the second time, so it is safe); a create is not (it might have been made), so the caller
decides. A 429 is waited out when its ``Retry-After`` is short, otherwise raised as
``RateLimited`` for the outbox to try later. See ``errors.py`` for what each failure means.
"""

from __future__ import annotations

import ssl
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote

import httpx
import structlog

from casebridge.integrations.azure_devops.errors import (
    AzureDevOpsError,
    Conflict,
    Invalid,
    NotFound,
    RateLimited,
    Unauthorized,
    Unavailable,
)
from casebridge.integrations.azure_devops.throttle import Throttle
from casebridge.integrations.azure_devops.wire import (
    Attachment,
    Comment,
    Identity,
    Json,
    PatchOp,
    Project,
    WorkItem,
    as_int,
    as_json,
    as_objects,
    test_rev,
)

log = structlog.get_logger("casebridge.azure_devops")

API_VERSION = "7.1"
COMMENTS_VERSION = "7.1-preview.4"
PATCH_TYPE = "application/json-patch+json"
BATCH_SIZE = 200
STALE = "WorkItemRevisionMismatchException"


def _message(response: httpx.Response) -> tuple[str, str]:
    try:
        body = response.json()
    except ValueError:
        return response.text[:300].strip(), ""
    if isinstance(body, dict):
        return str(body.get("message", ""))[:500], str(body.get("typeKey", ""))
    return "", ""


class AzureDevOpsClient:
    def __init__(
        self,
        *,
        organization_url: str,
        project: str,
        pat: str,
        timeout: float = 30.0,
        verify: bool | str | Path | ssl.SSLContext = True,
        retries: int = 2,
        max_wait: float = 30.0,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        wall: Callable[[], float] = time.time,
    ) -> None:
        self.organization_url = organization_url.rstrip("/")
        self.project = project
        self.retries = retries
        self.max_wait = max_wait
        self.sleep = sleep
        self.throttle = Throttle(clock=clock, wall=wall, sleep=sleep)
        self.requests = 0
        self._http = httpx.Client(
            auth=httpx.BasicAuth("", pat),
            timeout=timeout,
            verify=_tls(verify),
            transport=transport,
            headers={"Accept": "application/json", "User-Agent": "Casebridge"},
            limits=httpx.Limits(max_connections=8, max_keepalive_connections=8),
            follow_redirects=False,
        )

    def __repr__(self) -> str:
        return f"AzureDevOpsClient({self.organization_url!r}, project={self.project!r})"

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> AzureDevOpsClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- the project and who we are -------------------------------------------------------------

    def get_project(self) -> Project:
        path = f"/_apis/projects/{quote(self.project, safe='')}"
        return Project.from_json(self._json("GET", path, {"includeCapabilities": "true"}))

    def me(self) -> Identity:
        """The identity the token acts as (our own changes come back with it)."""
        data = self._json("GET", "/_apis/connectionData", {}, version=None)
        user = as_json(data.get("authenticatedUser"))
        account = as_json(as_json(user.get("properties")).get("Account")).get("$value", "")
        return Identity(
            str(user.get("id", "")), str(user.get("providerDisplayName", "")), str(account)
        )

    # --- work items -----------------------------------------------------------------------------

    def create(
        self, type_name: str, ops: Sequence[PatchOp], *, suppress_notifications: bool = False
    ) -> WorkItem:
        path = f"{self._project_path}/_apis/wit/workitems/${quote(type_name, safe='')}"
        params = {"suppressNotifications": "true"} if suppress_notifications else {}
        body = [op.json() for op in ops]
        return WorkItem.from_json(self._json("POST", path, params, patch=body, idempotent=False))

    def update(
        self,
        item_id: int,
        ops: Sequence[PatchOp],
        *,
        expected_rev: int | None,
        suppress_notifications: bool = False,
    ) -> WorkItem:
        """Apply ``ops``; with ``expected_rev`` only if nobody changed the item since (else
        ``Conflict``)."""
        path = f"{self._project_path}/_apis/wit/workitems/{int(item_id)}"
        tested = [test_rev(expected_rev)] if expected_rev is not None else []
        body = [op.json() for op in (*tested, *ops)]
        params = {"suppressNotifications": "true"} if suppress_notifications else {}
        idempotent = expected_rev is not None
        data = self._json("PATCH", path, params, patch=body, idempotent=idempotent)
        return WorkItem.from_json(data)

    def get(self, item_id: int) -> WorkItem:
        path = f"{self._project_path}/_apis/wit/workitems/{int(item_id)}"
        return WorkItem.from_json(self._json("GET", path, {"$expand": "relations"}))

    def get_many(self, ids: Iterable[int], *, fields: Sequence[str] = ()) -> list[WorkItem]:
        """The items that exist, in the order asked, ``BATCH_SIZE`` per request."""
        wanted = list(dict.fromkeys(int(i) for i in ids))
        found: list[WorkItem] = []
        path = f"{self._project_path}/_apis/wit/workitemsbatch"
        for start in range(0, len(wanted), BATCH_SIZE):
            body: dict[str, object] = {"ids": wanted[start : start + BATCH_SIZE]}
            body |= {"fields": list(fields)} if fields else {"$expand": "relations"}
            body["errorPolicy"] = "omit"
            data = self._json("POST", path, {}, body=body)
            found += [WorkItem.from_json(v) for v in as_objects(data.get("value")) if v]
        return found

    def query(self, wiql: str, *, top: int | None = None) -> list[int]:
        """The ids a WIQL query returns (times compared to the millisecond)."""
        params = {"timePrecision": "true"} | ({"$top": str(top)} if top else {})
        path = f"{self._project_path}/_apis/wit/wiql"
        data = self._json("POST", path, params, body={"query": wiql})
        return [as_int(row.get("id")) for row in as_objects(data.get("workItems"))]

    def changed_since(self, moment: datetime, *, types: Sequence[str] = ()) -> list[int]:
        """Ids of this project's items changed after ``moment``, oldest change first."""
        stamp = moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
        clauses = [
            f"[System.TeamProject] = {_literal(self.project)}",
            f"[System.ChangedDate] > '{stamp}'",
        ]
        if types:
            clauses.append(f"[System.WorkItemType] IN ({', '.join(_literal(t) for t in types)})")
        return self.query(
            "SELECT [System.Id] FROM WorkItems WHERE "  # noqa: S608 - WIQL, values quoted
            + " AND ".join(clauses)
            + " ORDER BY [System.ChangedDate] ASC, [System.Id] ASC"
        )

    def updates(self, item_id: int) -> list[Json]:
        path = f"{self._project_path}/_apis/wit/workItems/{int(item_id)}/updates"
        return as_objects(self._json("GET", path, {}).get("value"))

    def revisions(self, item_id: int) -> list[WorkItem]:
        path = f"{self._project_path}/_apis/wit/workItems/{int(item_id)}/revisions"
        return [WorkItem.from_json(v) for v in as_objects(self._json("GET", path, {}).get("value"))]

    # --- the recycle bin ------------------------------------------------------------------------

    def deleted_ids(self) -> list[int]:
        """Ids of the project's items in the recycle bin (deleted, not destroyed)."""
        data = self._json("GET", f"{self._project_path}/_apis/wit/recyclebin", {})
        return [as_int(ref.get("id")) for ref in as_objects(data.get("value")) if ref.get("id")]

    def in_recycle_bin(self, item_id: int) -> bool:
        """Whether ``item_id`` is in the recycle bin (False: destroyed, or never seen)."""
        try:
            self._json("GET", f"{self._project_path}/_apis/wit/recyclebin/{int(item_id)}", {})
        except NotFound:
            return False
        return True

    def restore(self, item_id: int) -> None:
        """Take an item out of the recycle bin (``NotFound`` when it is not there)."""
        path = f"{self._project_path}/_apis/wit/recyclebin/{int(item_id)}"
        self._json("PATCH", path, {}, body={"isDeleted": False})

    # --- comments and attachments ---------------------------------------------------------------

    def comments(self, item_id: int) -> list[Comment]:
        """Every comment, oldest first (pages followed by their continuation token)."""
        path = f"{self._project_path}/_apis/wit/workItems/{int(item_id)}/comments"
        found: list[Comment] = []
        token = ""
        while True:
            params = {"order": "asc"} | ({"continuationToken": token} if token else {})
            data = self._json("GET", path, params, version=COMMENTS_VERSION)
            found += [Comment.from_json(c) for c in as_objects(data.get("comments"))]
            token = str(data.get("continuationToken") or "")
            if not token:
                return found

    def add_comment(self, item_id: int, text: str, *, markdown: bool = True) -> Comment:
        path = f"{self._project_path}/_apis/wit/workItems/{int(item_id)}/comments"
        params = {"format": "markdown"} if markdown else {}
        data = self._json(
            "POST", path, params, body={"text": text}, version=COMMENTS_VERSION, idempotent=False
        )
        return Comment.from_json(data)

    def attach(self, file_name: str, content: bytes) -> Attachment:
        """Upload a file; link it to an item with ``attached_file(attachment.url)``."""
        path = f"{self._project_path}/_apis/wit/attachments"
        data = self._json("POST", path, {"fileName": file_name}, raw=content, idempotent=False)
        return Attachment(str(data["id"]), str(data["url"]))

    # --- transport ------------------------------------------------------------------------------

    @property
    def _project_path(self) -> str:
        return "/" + quote(self.project, safe="")

    def _json(
        self,
        method: str,
        path: str,
        params: dict[str, str],
        *,
        body: object = None,
        patch: object = None,
        raw: bytes | None = None,
        version: str | None = API_VERSION,
        idempotent: bool = True,
    ) -> Json:
        query = dict(params) | ({"api-version": version} if version else {})
        request = _Request(query)
        if patch is not None:
            request = _Request(query, json=patch, content_type=PATCH_TYPE)
        elif raw is not None:
            request = _Request(query, content=raw, content_type="application/octet-stream")
        elif body is not None:
            request = _Request(query, json=body)
        response = self._send(method, path, request, idempotent=idempotent)
        data = response.json()
        return data if isinstance(data, dict) else {"value": data}

    def _send(
        self, method: str, path: str, request: _Request, *, idempotent: bool
    ) -> httpx.Response:
        url = self.organization_url + path
        attempt = 0
        while True:
            self._wait_for_throttle(method, path)
            started = time.perf_counter()
            error: AzureDevOpsError
            try:
                self.requests += 1
                response = self._http.request(
                    method,
                    url,
                    params=request.params,
                    json=request.json,
                    content=request.content,
                    headers={"Content-Type": request.content_type}
                    if request.content_type
                    else None,
                )
            except httpx.HTTPError as exc:
                error = Unavailable(
                    f"Azure DevOps did not answer {method} {path}: {type(exc).__name__}: {exc}"
                )
            else:
                self.throttle.observe(response.headers)
                log.debug(
                    "azure_devops_request",
                    method=method,
                    path=path,
                    status=response.status_code,
                    ms=round((time.perf_counter() - started) * 1000, 1),
                )
                if response.is_success and "json" in response.headers.get("content-type", ""):
                    return response
                error = self._error(method, path, response)
            if attempt >= self.retries or not self._retry(error, idempotent=idempotent):
                raise error
            attempt += 1
            if isinstance(error, Unavailable):
                self.sleep(min(8.0, 0.5 * 2**attempt))

    def _wait_for_throttle(self, method: str, path: str) -> None:
        pause = self.throttle.wait_time()
        if pause > self.max_wait:
            raise RateLimited(
                f"Azure DevOps asked to wait {pause:.0f} s before {method} {path}",
                retry_after=pause,
                status=None,
            )
        self.throttle.wait()

    def _retry(self, error: AzureDevOpsError, *, idempotent: bool) -> bool:
        if isinstance(error, RateLimited):  # blocked: it was not applied, so any request may retry
            return error.retry_after <= self.max_wait
        return isinstance(error, Unavailable) and idempotent

    def _error(self, method: str, path: str, response: httpx.Response) -> AzureDevOpsError:
        status = response.status_code
        message, type_key = _message(response)
        where = f"{method} {path}"
        if status == 429:
            retry_after = float(response.headers.get("Retry-After") or 1)
            self.throttle.hold(retry_after)
            return RateLimited(
                f"Azure DevOps blocked {where} (429), retry after {retry_after:g} s: {message}",
                retry_after=retry_after,
            )
        if status in (409, 412) and (type_key == STALE or "TF26071" in message):
            return Conflict(
                f"The work item changed since it was read ({status}): {message}",
                status=status,
                type_key=type_key,
            )
        signed_out = response.is_success and "html" in response.headers.get("content-type", "")
        if status in (401, 403) or signed_out:
            return Unauthorized(
                f"Azure DevOps refused the personal access token ({status}) for {where}: check "
                "that it is valid, not expired, and has the Work Items (Read & write) scope",
                status=status,
            )
        kind: type[AzureDevOpsError] = Invalid
        if status == 404:
            kind = NotFound
        elif status >= 500:
            kind = Unavailable
        return kind(
            f"Azure DevOps answered {status} to {where}: {message}",
            status=status,
            type_key=type_key,
        )


@dataclass(frozen=True)
class _Request:
    params: dict[str, str]
    json: object = None
    content: bytes | None = None
    content_type: str = ""

    @property
    def headers(self) -> dict[str, str] | None:
        return {"Content-Type": self.content_type} if self.content_type else None


def _tls(verify: bool | str | Path | ssl.SSLContext) -> bool | ssl.SSLContext:
    """A CA bundle file becomes a context trusting it (httpx no longer takes a path)."""
    if isinstance(verify, str | Path):
        return ssl.create_default_context(cafile=str(verify))
    return verify


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"
