"""Real HTTP receivers on loopback, built from the receivers' documented formats.

* ``slack``: a Slack incoming webhook. ``200 ok`` (text/html) for a JSON object with ``text`` or
  ``blocks``; ``400 invalid_payload`` for a body that is not a JSON object, ``400 no_text`` for
  one with neither, ``400 invalid_blocks`` for blocks Block Kit refuses (no ``type``, a header
  over 150 characters, section text over 3000, more than 10 fields, more than 50 blocks);
  ``429`` with ``Retry-After`` when ``limit`` posts arrive within a second.
* ``teams``: a Teams workflow ("When a Teams webhook request is received"): ``202 Accepted``
  with an empty body for a message whose attachments are Adaptive Cards; otherwise ``400``
  ``{"error": {"code": "TriggerInputSchemaMismatch", "message": ...}}``.
* ``generic``: a receiver of Casebridge's signed webhooks, verifying the HMAC (401 if wrong or
  older than five minutes) and applying each ``Idempotency-Key`` once.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import socket
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Request:
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Reply:
    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)


Respond = Callable[[Request], Reply]


class _Server(ThreadingHTTPServer):
    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that went away mid-request (a relay killed) is no error of the receiver."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class Receiver:
    """A threaded HTTP/1.1 (keep-alive) server on 127.0.0.1; ``respond`` answers each POST."""

    def __init__(self, respond: Respond) -> None:
        self.respond = respond
        self.requests: list[Request] = []
        self.lock = threading.Lock()
        self.connections: set[socket.socket] = set()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # the status line, headers and body go at once

            def setup(self) -> None:
                super().setup()
                with receiver.lock:
                    receiver.connections.add(self.connection)

            def finish(self) -> None:
                with receiver.lock:
                    receiver.connections.discard(self.connection)
                super().finish()

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                request = Request(
                    self.path,
                    {k.lower(): v for k, v in self.headers.items()},
                    self.rfile.read(length),
                )
                with receiver.lock:
                    receiver.requests.append(request)
                reply = receiver.respond(request)
                self.send_response(reply.status)
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(reply.body)))
                self._headers_buffer.append(b"\r\n" + reply.body)  # one write with the body
                self.flush_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = _Server(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def url(self, path: str = "/hook") -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}{path}"

    def __enter__(self) -> Receiver:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        """Stop listening and close the kept-alive connections: the receiver is gone."""
        self.server.shutdown()
        self.server.server_close()
        with self.lock:
            for connection in self.connections:
                with contextlib.suppress(OSError):
                    connection.shutdown(socket.SHUT_RDWR)


# --- Slack ----------------------------------------------------------------------------------------


def slack_problem(data: Any) -> str | None:
    if not isinstance(data, dict):
        return "invalid_payload"
    blocks = data.get("blocks")
    if not data.get("text") and not blocks:
        return "no_text"
    if blocks is None:
        return None
    if not isinstance(blocks, list) or len(blocks) > 50:
        return "invalid_blocks"
    for block in blocks:
        kind = block.get("type") if isinstance(block, dict) else None
        if kind not in ("header", "section", "actions", "context", "divider"):
            return "invalid_blocks"
        text = (block.get("text") or {}).get("text", "")
        if kind == "header" and (len(text) > 150 or block["text"]["type"] != "plain_text"):
            return "invalid_blocks"
        if kind == "section" and (len(text) > 3000 or len(block.get("fields", [])) > 10):
            return "invalid_blocks"
    return None


class Slack:
    """``script``: answers given first, in order (e.g. ``404 channel_not_found``)."""

    def __init__(
        self, *, limit: int | None = None, retry_after: int = 1, script: list[Reply] | None = None
    ) -> None:
        self.limit, self.retry_after = limit, retry_after
        self.script = list(script or [])
        self.posted: list[dict[str, Any]] = []
        self.window: list[float] = []

    def __call__(self, request: Request) -> Reply:
        if self.script:
            return self.script.pop(0)
        now = time.monotonic()
        self.window = [t for t in self.window if now - t < 1.0] + [now]
        if self.limit is not None and len(self.window) > self.limit:
            body = json.dumps({"ok": False, "error": "rate_limited"}).encode()
            return Reply(429, body, {"Retry-After": str(self.retry_after)})
        try:
            data = json.loads(request.body)
        except ValueError:
            data = None
        problem = slack_problem(data)
        if problem:
            return Reply(400, problem.encode(), {"Content-Type": "text/plain"})
        self.posted.append(data)
        return Reply(200, b"ok", {"Content-Type": "text/html"})


# --- Teams ----------------------------------------------------------------------------------------


def teams_problem(data: Any) -> str | None:
    if not isinstance(data, dict) or not isinstance(data.get("attachments"), list):
        return "The request body must be a message with an 'attachments' array."
    for attachment in data["attachments"]:
        if attachment.get("contentType") != "application/vnd.microsoft.card.adaptive":
            return "Only Adaptive Card attachments are supported."
        content = attachment.get("content") or {}
        if content.get("type") != "AdaptiveCard" or not content.get("body"):
            return "The attachment's content is not an Adaptive Card with a body."
    return None


class Teams:
    def __init__(self) -> None:
        self.posted: list[dict[str, Any]] = []

    def __call__(self, request: Request) -> Reply:
        try:
            data = json.loads(request.body)
        except ValueError:
            data = None
        problem = teams_problem(data)
        if problem:
            error = {"error": {"code": "TriggerInputSchemaMismatch", "message": problem}}
            return Reply(400, json.dumps(error).encode(), {"Content-Type": "application/json"})
        self.posted.append(data)
        return Reply(202)


# --- a receiver of Casebridge's signed webhooks ---------------------------------------------------


class Generic:
    """Verifies the signature and applies each idempotency key once (``applied``)."""

    def __init__(self, secret: str = "") -> None:
        self.secret = secret
        self.applied: dict[str, dict[str, Any]] = {}
        self.duplicates = 0
        self.lock = threading.Lock()

    def verified(self, request: Request) -> bool:
        timestamp = request.headers.get("x-casebridge-timestamp", "")
        signature = request.headers.get("x-casebridge-signature", "")
        if not timestamp.isdigit() or abs(time.time() - int(timestamp)) > 300:
            return False
        expected = hmac.new(
            self.secret.encode(), timestamp.encode() + b"." + request.body, hashlib.sha256
        ).hexdigest()
        return hmac.compare_digest(signature, f"v1={expected}")

    def __call__(self, request: Request) -> Reply:
        if not self.verified(request):
            return Reply(401, b'{"error": "bad signature"}')
        key = request.headers["idempotency-key"]
        with self.lock:
            if key in self.applied:
                self.duplicates += 1
            else:
                self.applied[key] = json.loads(request.body)
        return Reply(200, b'{"ok": true}')
