"""Fixed-window rate limits kept in Django's cache (``CASEBRIDGE_CACHE_URL``).

A window is a minute of wall-clock time; ``hit()`` counts one request and says how long to wait
when the count is over the limit. The default cache is per process (each web process counts on
its own, so N processes allow up to N times the limit); point ``CASEBRIDGE_CACHE_URL`` at a
shared cache (``dbcache://casebridge_cache`` after ``casebridge createcachetable``, or Redis) to
count across processes.
"""

from __future__ import annotations

from django.core.cache import caches

from casebridge.core import clock

WINDOW_SECONDS = 60


def hit(key: str, limit: int, *, window: int = WINDOW_SECONDS) -> int | None:
    """Count one request under ``key``; ``None`` while within ``limit``, else seconds to wait."""
    if limit <= 0:
        return None
    now = int(clock.now().timestamp())
    slot = now // window
    cache = caches["default"]
    name = f"rl:{key}:{slot}"
    cache.add(name, 0, timeout=window + 5)
    try:
        count = cache.incr(name)
    except ValueError:  # evicted between add and incr: start again
        cache.set(name, 1, timeout=window + 5)
        count = 1
    if count <= limit:
        return None
    return window - now % window
