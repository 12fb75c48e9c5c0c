"""URLs that come from outside (alerts, events, users, later Azure DevOps and pull requests).

Such a URL is checked when it is stored and again when it is rendered: only an absolute
``http`` or ``https`` URL with a host is kept. ``javascript:``, ``data:``, ``vbscript:``,
relative and protocol-relative URLs, and anything with whitespace or control characters (which
browsers strip, so ``java\\tscript:`` would run) are refused. Templates render such links
through ``{% external_link url text %}`` (``core/templatetags/external_links.py``), which shows
the text alone when the URL is refused, so rows stored before the check stay harmless.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

SAFE_SCHEMES = frozenset({"http", "https"})
#: The longest URL kept (the width of the columns that store them).
MAX_URL_LENGTH = 1000
#: Whitespace, ASCII control characters and backslashes (which browsers read as ``/``).
_UNSAFE_CHARACTERS = re.compile(r"[\s\x00-\x1f\x7f\\]")


def safe_external_url(value: object, *, max_length: int = MAX_URL_LENGTH) -> str | None:
    """``value`` if it is an absolute http(s) URL with a host, else None."""
    if not isinstance(value, str) or not value or len(value) > max_length:
        return None
    if _UNSAFE_CHARACTERS.search(value):
        return None
    try:
        parts = urlsplit(value)
        host = parts.hostname
    except ValueError:
        return None
    if parts.scheme.lower() not in SAFE_SCHEMES or not host:
        return None
    return value
