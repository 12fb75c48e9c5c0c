"""How processing a stored delivery can end besides done: ``Ignored`` (nothing to do, and why)."""

from __future__ import annotations


class Ignored(Exception):
    """Nothing to do with this event (the message says why)."""
