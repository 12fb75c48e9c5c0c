"""A fake Azure DevOps (Services or Server) on loopback: a threaded HTTPS server speaking the Work
Item Tracking REST API 7.1, authenticated with personal access tokens, posting service hooks.

    with FakeAzureDevOps() as ado:
        ado.add_project("Shop", process="Agile")
        ado.add_pat("pat-1", "Casebridge", "casebridge@fabrikam.example")
        ado.hooks.subscribe(url, username="ado", password=secret)
        ... Casebridge calls ado.url ...
        ado.edit(7, {"System.State": "Active"}, by=ado.developer("Jamal"))   # a developer's edit
        ado.hooks.flush()                                                 # hooks reach Casebridge

From a benchmark script: put the repository root on ``sys.path``, start the fake, and point
``CASEBRIDGE_AZURE_DEVOPS_CA_BUNDLE`` at ``fake.ca_bundle`` before Django starts (or give the
client ``verify=fake.ca_bundle``); ``tls_enabled=False`` serves plain HTTP for tools that cannot
trust a certificate (Casebridge's connections refuse http://).

Faults: ``latency`` (seconds added to every answer), ``fail_next(n, status)`` (5xx),
``throttle_next(n, retry_after)`` (429 with ``Retry-After``), ``rate_limit(limit, window)`` (a
budget of requests with the ``X-RateLimit-*`` headers, blocked with 429 when spent),
``failure_rate`` (seeded random 5xx). ``requests`` records every call; ``stale_status`` is 412 for
Services and 409 for Server (``flavour="server"``).
"""

from __future__ import annotations

import base64
import json
import math
import random
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from tests.fakes.azure_devops import tls
from tests.fakes.azure_devops.errors import ServiceError
from tests.fakes.azure_devops.hooks import HookPoster
from tests.fakes.azure_devops.routes import Call, Routes
from tests.fakes.azure_devops.store import Identity, Project, Store

ANONYMOUS = (
    "TF400813: The user 'anonymous' is not authorized to access this resource. Client "
    "authentication required."
)


@dataclass
class Recorded:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes
    status: int = 0
    user: str = ""

    def json(self) -> Any:
        return json.loads(self.body or b"null")


@dataclass
class RateLimit:
    """A budget of ``limit`` requests refilled over ``window`` seconds, like Azure DevOps' TSTUs."""

    limit: int
    window: float
    tokens: float = -1.0
    updated: float = field(default_factory=time.time)

    def spend(self) -> tuple[bool, dict[str, str], int]:
        now = time.time()
        if self.tokens < 0:
            self.tokens = float(self.limit)
        self.tokens = min(self.limit, self.tokens + (now - self.updated) * self.limit / self.window)
        self.updated = now
        allowed = self.tokens >= 1
        if allowed:
            self.tokens -= 1
        empty_in = (self.limit - self.tokens) * self.window / self.limit
        headers = {
            "X-RateLimit-Resource": "ATCPU",
            "X-RateLimit-Delay": "0.000",
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(int(self.tokens)),
            "X-RateLimit-Reset": str(int(now + empty_in)),
        }
        retry = math.ceil((1 - self.tokens) * self.window / self.limit) if not allowed else 0
        return allowed, headers, retry


class Faults:
    def __init__(self, seed: int) -> None:
        self.lock = threading.Lock()
        self.latency = 0.0
        self.failure_rate = 0.0
        self.rng = random.Random(seed)
        self.rate: RateLimit | None = None
        self._fail: list[int] = []
        self._throttle: list[int] = []

    def fail_next(self, count: int = 1, status: int = 503) -> None:
        with self.lock:
            self._fail += [status] * count

    def throttle_next(self, count: int = 1, retry_after: int = 1) -> None:
        with self.lock:
            self._throttle += [retry_after] * count

    def rate_limit(self, limit: int, window: float = 300.0) -> None:
        with self.lock:
            self.rate = RateLimit(limit, window)

    def verdict(self) -> ServiceError | None:
        """The fault this request meets, if any, and the rate headers it carries."""
        with self.lock:
            if self._throttle:
                return _throttled(self._throttle.pop(0), {})
            if self._fail:
                return _unavailable(self._fail.pop(0))
            if self.failure_rate and self.rng.random() < self.failure_rate:
                return _unavailable(503)
            if self.rate is not None:
                allowed, headers, retry = self.rate.spend()
                if not allowed:
                    return _throttled(retry, headers)
                return ServiceError(0, "", headers=headers)  # not an error: headers only
        return None


def _throttled(retry_after: int, headers: dict[str, str]) -> ServiceError:
    return ServiceError(
        429,
        "TF400733: The request has been canceled: Request was blocked due to exceeding usage of "
        "resource 'ATCPU' in namespace 'User'.",
        "RequestBlockedException",
        headers={**headers, "Retry-After": str(retry_after)},
    )


def _unavailable(status: int) -> ServiceError:
    return ServiceError(
        status,
        "TF400898: An Internal Error Occurred. Activity Id: 0f6c3f8a-8b37-4d5e-9e3a-0d6e4c1b2a77.",
        "InternalServerError",
    )


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    fake: FakeAzureDevOps

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that hangs up (or refuses the certificate) is not a failure of the fake."""


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # One buffered write per answer and no Nagle: otherwise headers and body leave as two small
    # segments and the client's delayed ACK adds ~40 ms to every request on loopback.
    wbufsize = 1 << 16
    disable_nagle_algorithm = True
    server: _Server

    def setup(self) -> None:
        if isinstance(self.request, ssl.SSLSocket):
            self.request.settimeout(10)
            self.request.do_handshake()
        super().setup()

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: tests read ``fake.requests`` instead."""

    def _serve(self) -> None:
        self.server.fake.serve(self)

    do_GET = do_POST = do_PATCH = do_DELETE = do_PUT = _serve


class FakeAzureDevOps:
    def __init__(
        self,
        *,
        organization: str = "fabrikam",
        flavour: str = "services",
        tls_enabled: bool = True,
        seed: int = 0,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        assert flavour in ("services", "server")
        self.flavour = flavour
        self.collection = f"/{organization}" if flavour == "services" else "/tfs/DefaultCollection"
        self.stale_status = 412 if flavour == "services" else 409
        self.tls_enabled = tls_enabled
        self.clock = clock or (lambda: datetime.now(UTC))
        self.store = Store(lambda: self.url, self.clock)
        self.hooks = HookPoster(self.store, seed=seed)
        self.faults = Faults(seed)
        self.routes = Routes(self)
        self.pats: dict[str, Identity] = {}
        self.requests: list[Recorded] = []
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    # --- life cycle -------------------------------------------------------------------------------

    def start(self) -> FakeAzureDevOps:
        server = _Server(("127.0.0.1", 0), _Handler)
        server.fake = self
        if self.tls_enabled:
            server.socket = tls.server_context().wrap_socket(
                server.socket, server_side=True, do_handshake_on_connect=False
            )
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, args=(0.05,), name="fake-ado", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self.hooks.stop()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> FakeAzureDevOps:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def origin(self) -> str:
        assert self._server is not None, "start() the fake first"
        scheme = "https" if self.tls_enabled else "http"
        return f"{scheme}://127.0.0.1:{self._server.server_address[1]}"

    @property
    def url(self) -> str:
        """The organisation (Services) or collection (Server) URL a connection is given."""
        return self.origin + self.collection

    @property
    def ca_bundle(self) -> Path:
        return tls.certificate()[0]

    # --- set-up and a developer's hands -----------------------------------------------------------

    def add_project(self, name: str, *, process: str = "Agile") -> Project:
        project = Project(name, process)
        self.store.projects[project.id] = project
        return project

    def add_pat(self, pat: str, display_name: str, unique_name: str) -> Identity:
        identity = self.store.identity(display_name, unique_name)
        self.pats[pat] = identity
        return identity

    def developer(self, display_name: str, unique_name: str = "") -> Identity:
        unique = unique_name or f"{display_name.split(maxsplit=1)[0].lower()}@fabrikam.example"
        return self.store.identity(display_name, unique)

    def create_item(
        self, project: str, type_name: str, fields: dict[str, Any], *, by: Identity
    ) -> dict[str, Any]:
        operations = [{"op": "add", "path": f"/fields/{k}", "value": v} for k, v in fields.items()]
        item = self.store.create(
            project=self.store.project(project),
            type_name=type_name,
            operations=operations,
            actor=by,
        )
        return self.store.wire(item)

    def edit(
        self,
        item_id: int,
        fields: dict[str, Any],
        *,
        by: Identity,
        relations: list[dict[str, Any]] | None = None,
    ) -> dict[str, Any]:
        """Change an item as a developer in the Azure DevOps web UI would (hooks follow)."""
        operations: list[dict[str, Any]] = [
            {"op": "remove", "path": f"/fields/{k}"}
            if v is None
            else {"op": "add", "path": f"/fields/{k}", "value": v}
            for k, v in fields.items()
        ]
        operations += [{"op": "add", "path": "/relations/-", "value": r} for r in relations or []]
        item = self.store.update(
            item_id=item_id, operations=operations, actor=by, stale_status=self.stale_status
        )
        return self.store.wire(item)

    def comment(self, item_id: int, text: str, *, by: Identity) -> dict[str, Any]:
        return self.store.add_comment(item_id=item_id, text=text, actor=by, fmt="html")

    def delete(self, item_id: int, *, by: Identity) -> None:
        self.store.delete(item_id=item_id, actor=by)

    def destroy(self, item_id: int) -> None:
        """Delete an item for good (out of the recycle bin too)."""
        with self.store.lock:
            self.store.items.pop(item_id, None)

    def item(self, item_id: int) -> dict[str, Any]:
        with self.store.lock:
            return self.store.wire(self.store.item(item_id))

    # --- serving ----------------------------------------------------------------------------------

    def serve(self, handler: _Handler) -> None:
        parts = urlsplit(handler.path)
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length) if length else b""
        headers = {k.lower(): v for k, v in handler.headers.items()}
        record = Recorded(handler.command, parts.path, dict(parse_qsl(parts.query)), headers, body)
        self.requests.append(record)
        if self.faults.latency:
            time.sleep(self.faults.latency)
        status, payload, extra = self._answer(record)
        record.status = status
        data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        handler.send_response(status)
        kind = "application/octet-stream" if isinstance(payload, bytes) else "application/json"
        handler.send_header("Content-Type", f"{kind}; charset=utf-8")
        handler.send_header("Content-Length", str(len(data)))
        handler.send_header("ActivityId", "0f6c3f8a-8b37-4d5e-9e3a-0d6e4c1b2a77")
        for name, value in extra.items():
            handler.send_header(name, value)
        handler.end_headers()
        handler.wfile.write(data)

    def _answer(self, record: Recorded) -> tuple[int, Any, dict[str, str]]:
        identity = self._identity(record.headers.get("authorization", ""))
        if identity is None:
            realm = f'Basic realm="{self.origin}/"'
            return (
                401,
                {"message": ANONYMOUS, "typeKey": "UnauthorizedRequestException"},
                {"WWW-Authenticate": realm},
            )
        record.user = identity.unique_name
        extra: dict[str, str] = {}
        fault = self.faults.verdict()
        if fault is not None:
            extra = fault.headers
            if fault.status:
                return fault.status, fault.body(), extra
        if not record.path.startswith(self.collection + "/"):
            return 404, ServiceError(404, "VS404: No such collection.", "NotFound").body(), extra
        segments = [s for s in record.path[len(self.collection) :].split("/") if s]
        if "_apis" not in segments:
            return 404, ServiceError(404, "VS404: Not an API path.", "NotFound").body(), extra
        at = segments.index("_apis")
        call = Call(
            method=record.method,
            scope=segments[:at],
            route=segments[at + 1 :],
            query=record.query,
            content_type=record.headers.get("content-type", "").split(";")[0].strip(),
            body=record.body,
            identity=identity,
        )
        try:
            status, payload = self.routes.dispatch(call)
        except ServiceError as error:
            return error.status, error.body(), {**extra, **error.headers}
        return status, payload, extra

    def _identity(self, header: str) -> Identity | None:
        scheme, _, encoded = header.partition(" ")
        if scheme.lower() != "basic":
            return None
        try:
            _, _, pat = base64.b64decode(encoded.strip()).decode().partition(":")
        except (ValueError, UnicodeDecodeError):
            return None
        return self.pats.get(pat)
