"""Pacing requests by what Azure DevOps says about its limits, before it starts refusing them.

Azure DevOps counts usage in TSTUs over a sliding five-minute window. Near the limit its answers
carry ``X-RateLimit-Limit``, ``X-RateLimit-Remaining`` (left before requests are delayed),
``X-RateLimit-Reset`` (Unix time when usage would be back to zero) and ``X-RateLimit-Delay`` (how
long the server held this request); a delayed answer may carry ``Retry-After`` with a 200; a
blocked request gets 429 with ``Retry-After``. See "Rate and usage limits" in the Azure DevOps
documentation.

The throttle keeps one time before which no request is sent:

* ``Retry-After`` (on any answer): not before then;
* ``X-RateLimit-Delay`` above zero: the server is delaying us, so wait as long before the next one;
* ``X-RateLimit-Remaining`` under ``low_water`` of ``X-RateLimit-Limit``: spread what remains
  until the reset, one request every ``(reset - now) / remaining`` seconds (at most ``max_pace``).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field


def _number(headers: Mapping[str, str], name: str) -> float | None:
    raw = headers.get(name)
    if raw is None:
        return None
    try:
        return float(raw)
    except ValueError:
        return None


@dataclass
class Throttle:
    low_water: float = 0.2
    max_pace: float = 5.0
    clock: Callable[[], float] = time.monotonic
    wall: Callable[[], float] = time.time
    sleep: Callable[[float], None] = time.sleep
    not_before: float = 0.0
    slowed: int = 0
    last: dict[str, str] = field(default_factory=dict)

    def wait_time(self) -> float:
        return max(0.0, self.not_before - self.clock())

    def wait(self) -> None:
        delay = self.wait_time()
        if delay > 0:
            self.sleep(delay)

    def hold(self, seconds: float) -> None:
        """No request for ``seconds`` from now (a 429's ``Retry-After``)."""
        self.not_before = max(self.not_before, self.clock() + max(0.0, seconds))

    def observe(self, headers: Mapping[str, str]) -> None:
        """Read an answer's limit headers and push the next request back as they ask."""
        self.last = {
            k: v
            for k, v in headers.items()
            if k.lower().startswith("x-ratelimit") or k.lower() == "retry-after"
        }
        before = self.not_before
        retry_after = _number(headers, "Retry-After")
        if retry_after is not None:
            self.hold(retry_after)
        delay = _number(headers, "X-RateLimit-Delay")
        if delay:
            self.hold(delay)
        limit = _number(headers, "X-RateLimit-Limit")
        remaining = _number(headers, "X-RateLimit-Remaining")
        if limit and remaining is not None and remaining < limit * self.low_water:
            reset = _number(headers, "X-RateLimit-Reset") or self.wall()
            pace = max(0.0, reset - self.wall()) / max(remaining, 1.0)
            self.hold(min(pace, self.max_pace))
        if self.not_before > before:
            self.slowed += 1
