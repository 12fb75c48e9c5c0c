"""Outgoing HTTP for deliveries: one pool of keep-alive connections, answers judged as outcomes.

``post`` sends a body through a process-wide ``urllib3.PoolManager`` (thread-safe; a pool of
keep-alive connections per host, as many as the relay has threads), with connect and read
timeouts, no retries and no redirects: the outbox owns retries, and a webhook that redirects
is refused rather than followed. ``judge`` turns the answer into an outbox outcome: 2xx is
delivered; 429, and 503 with ``Retry-After``, ask the destination to slow down
(``RetryLater(throttled=True)``); 408, 425 and other 5xx are transient; any other status is a
``PermanentFailure``. Errors name the host, never the URL: webhook URLs carry credentials.
"""

from __future__ import annotations

import ipaddress
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit

import urllib3
from django.conf import settings
from urllib3.exceptions import HTTPError, NewConnectionError, TimeoutError
from urllib3.util import parse_url

from casebridge.core import clock
from casebridge.integrations.outbox import PermanentFailure, RetryLater

USER_AGENT = "Casebridge-Outbox/1.0"
MAX_ANSWER_BYTES = 64 * 1024
MAX_URL_LENGTH = 2000
_lock = threading.Lock()
_pool: urllib3.PoolManager | None = None


@dataclass(frozen=True)
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes

    def text(self, limit: int = 300) -> str:
        return " ".join(self.body[:limit].decode("utf-8", "replace").split())


def url_problem(url: str) -> str | None:
    """Why ``url`` may not receive deliveries, or None: https only; plain http only to a
    loopback address, and only where ``WEBHOOK_ALLOW_LOOPBACK_HTTP`` is on."""
    if len(url) > MAX_URL_LENGTH:
        return f"Use at most {MAX_URL_LENGTH} characters."
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        parts.port  # noqa: B018 - raises on a bad port
    except ValueError:
        return "This is not a URL."
    problem = None
    if not host:
        problem = "Give a full URL, e.g. https://hooks.slack.com/services/..."
    elif parts.username or parts.password:
        problem = "Put no user name or password in the URL."
    elif parts.scheme == "http" and _loopback(host) and settings.WEBHOOK_ALLOW_LOOPBACK_HTTP:
        problem = None
    elif parts.scheme != "https":
        problem = "Use an https:// URL."
    return problem


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _manager() -> urllib3.PoolManager:
    global _pool  # noqa: PLW0603 - one pool per process, made on first use
    with _lock:
        if _pool is None:
            timeout = settings.OUTBOX_HTTP_TIMEOUT_SECONDS
            _pool = urllib3.PoolManager(
                num_pools=64,
                maxsize=32,
                block=False,
                retries=False,
                timeout=urllib3.Timeout(connect=min(5.0, timeout), read=timeout),
            )
        return _pool


@dataclass(frozen=True)
class _Route:
    """What posting to one URL needs, worked out once: its refusal, pool, path and host."""

    problem: str | None
    pool: urllib3.HTTPConnectionPool | None
    path: str
    host: str


_routes: dict[tuple[str, bool], _Route] = {}


def _route(url: str) -> _Route:
    key = (url, settings.WEBHOOK_ALLOW_LOOPBACK_HTTP)
    route = _routes.get(key)
    if route is None:
        problem = url_problem(url)
        if problem is not None:
            route = _Route(problem, None, "", "")
        else:
            parsed = parse_url(url)
            pool = _manager().connection_from_url(url)
            route = _Route(None, pool, parsed.request_uri, parsed.host or "")
        if len(_routes) > 512:
            _routes.clear()
        _routes[key] = route
    return route


def post(url: str, body: bytes, headers: dict[str, str]) -> Answer:
    """POST ``body``; a network failure is ``RetryLater`` naming the host only.

    The URL is parsed and its connection pool found once, not for every request."""
    route = _route(url)
    if route.pool is None:
        raise PermanentFailure(f"The destination URL is refused: {route.problem}")
    host = route.host
    try:
        response = route.pool.urlopen(
            "POST",
            route.path,
            body=body,
            headers={"User-Agent": USER_AGENT, **headers},
            redirect=False,
            assert_same_host=False,
            preload_content=False,
        )
    except NewConnectionError as exc:  # before TimeoutError: urllib3 derives it from that
        raise RetryLater(f"{host}: cannot connect") from exc
    except TimeoutError as exc:
        raise RetryLater(f"{host}: no answer in time") from exc
    except HTTPError as exc:
        raise RetryLater(f"{host}: {type(exc).__name__}") from exc
    try:
        data = response.read(MAX_ANSWER_BYTES)
        longer = bool(response.read(1))
    except HTTPError as exc:
        response.close()
        raise RetryLater(f"{host}: the answer broke off") from exc
    if longer:  # do not read on: drop the connection instead of returning it to the pool
        response.close()
    else:
        response.release_conn()
    answer_headers = {name.lower(): value for name, value in response.headers.items()}
    return Answer(response.status, answer_headers, data)


def retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """``Retry-After`` in seconds: delay-seconds or an HTTP-date; None when absent or unusable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or clock.now())).total_seconds())


def judge(answer: Answer, detail: str = "") -> None:
    """Return if the receiver accepted; raise the outcome otherwise. ``detail`` is what the
    receiver said, when the caller knows how to read it (Slack's error string, Teams' code)."""
    status = answer.status
    if 200 <= status < 300:
        return
    said = detail or answer.text()
    reason = f"HTTP {status}" + (f": {said}" if said else "")
    after = retry_after(answer.headers.get("retry-after"))
    if status == 429 or (status == 503 and after is not None):
        raise RetryLater(reason, after_seconds=after, throttled=True)
    if status in (408, 425) or status >= 500:
        raise RetryLater(reason, after_seconds=after)
    raise PermanentFailure(reason)
