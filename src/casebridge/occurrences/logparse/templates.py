"""Templates as token lists: their stable id, how two tokens generalise into one, whether a
template token covers a message token, and the :class:`Cluster` that holds one template.

:mod:`.clustering` decides which messages share a template; this module only compares tokens.
"""

from __future__ import annotations

import hashlib
from typing import Final

from .masking import WILDCARD

_HOLE: Final = "\x00"
_OPENERS: Final = frozenset("=:([{<'\"")
_CLOSERS: Final = frozenset(")]}>'\",;:.")


def template_id(template_text: str) -> str:
    """Stable short id of a template text (the same text gives the same id everywhere)."""
    return hashlib.sha1(template_text.encode("utf-8"), usedforsecurity=False).hexdigest()[:16]


def _frame(first: str, second: str) -> tuple[str, str, str, str]:
    """Split two tokens into a shared head, their differing middles and a shared tail.

    The head only ends after an opening character (``=``, ``:``, ``(``...) and the tail only
    starts at a closing one, so that ``user=root``/``user=guest`` share the head ``user=``
    while ``dcbf...``/``icbi...`` share nothing but the dotted tail. Wildcards are atomic.
    """
    a = first.replace(WILDCARD, _HOLE)
    b = second.replace(WILDCARD, _HOLE)
    limit = min(len(a), len(b))
    prefix = 0
    while prefix < limit and a[prefix] == b[prefix]:
        prefix += 1
    while prefix and a[prefix - 1] not in _OPENERS:
        prefix -= 1
    suffix = 0
    while suffix < limit - prefix and a[-1 - suffix] == b[-1 - suffix]:
        suffix += 1
    while suffix and a[-suffix] not in _CLOSERS:
        suffix -= 1
    return (
        a[:prefix],
        a[prefix : len(a) - suffix],
        b[prefix : len(b) - suffix],
        a[len(a) - suffix :],
    )


def merge_tokens(first: str, second: str) -> str:
    """Generalise two different tokens, keeping a shared ``key=`` / bracket frame.

    ``host=<*>`` and ``host=example.org`` give ``host=<*>``; ``()`` and ``(host)`` give
    ``(<*>)``; tokens without such a frame give a bare ``<*>``.
    """
    if first == second:
        return first
    head, _, _, tail = _frame(first, second)
    return f"{head}{_HOLE}{tail}".replace(_HOLE, WILDCARD)


def values_differ_only(first: str, second: str) -> bool:
    """Whether two tokens differ only in value parts (a wildcard, or nothing, on each side)."""
    _, left, right, _ = _frame(first, second)
    return (not left or _HOLE in left) and (not right or _HOLE in right)


def covers(expected: str, token: str) -> bool:
    """Whether template token ``expected`` accepts message token ``token``."""
    if expected in (token, WILDCARD):
        return True
    if WILDCARD not in expected:
        return False
    head, _, tail = expected.partition(WILDCARD)
    if not (token.startswith(head) and token.endswith(tail.rpartition(WILDCARD)[2])):
        return False
    return merge_tokens(expected, token) == expected


class Cluster:
    """One template: its tokens, text, id and the number of lines it absorbed.

    ``merged_into`` points to the cluster that absorbed this one; ``evicted`` marks a
    cluster dropped to bound memory (callers holding it must place the line again).
    """

    __slots__ = ("count", "evicted", "id", "merged_into", "text", "tokens", "wild")

    def __init__(self, tokens: list[str]) -> None:
        self.tokens = tokens
        self.text = " ".join(tokens)
        self.id = template_id(self.text)
        self.wild = _wild_count(tokens)
        self.count = 0
        self.merged_into: Cluster | None = None
        self.evicted = False

    def final(self) -> Cluster:
        """The cluster this one was (transitively) merged into, or itself."""
        cluster = self
        while cluster.merged_into is not None:
            cluster = cluster.merged_into
        return cluster

    def refresh(self) -> None:
        """Recompute text, id and wildcard count after tokens were generalised."""
        self.text = " ".join(self.tokens)
        self.id = template_id(self.text)
        self.wild = _wild_count(self.tokens)


def _wild_count(tokens: list[str]) -> int:
    return sum(1 for token in tokens if WILDCARD in token)


def value_compatible(expected: str, token: str) -> bool:
    """Whether ``token`` may join template token ``expected`` by generalising values only."""
    return expected == token or covers(expected, token) or values_differ_only(expected, token)
