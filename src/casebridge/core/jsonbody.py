"""The one JSON parse of a request body: the API's and every intake door's.

``json.loads`` recurses once per level of nesting, so a body of 100,000 ``[`` would raise
``RecursionError`` (a 500) deep inside the parser. ``json_loads`` counts the nesting first, on
the bytes and without recursion, and refuses a body nested deeper than ``MAX_JSON_DEPTH``
levels with ``JsonTooDeep`` (a ``ValueError``), which the API and the doors answer as
``400 malformed_json`` naming the limit. Real payloads are a few levels deep: an Alertmanager
webhook is four (body, alerts, alert, labels).
"""

from __future__ import annotations

import json
import re
from itertools import accumulate

MAX_JSON_DEPTH = 64

#: A JSON value, as ``json.dumps`` writes it and ``json.loads`` reads it back.
type JsonValue = str | int | float | bool | list[JsonValue] | dict[str, JsonValue] | None

#: A JSON string, escapes included (the unrolled form, linear on long strings).
_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.S)
_NOT_BRACKETS = bytes(sorted(set(range(256)) - set(b"[]{}")))
_OPENING = frozenset(b"[{")


class JsonTooDeep(ValueError):
    def __init__(self, limit: int) -> None:
        super().__init__(f"nested deeper than {limit} levels")
        self.limit = limit


def nesting_depth(data: bytes) -> int:
    """How deep the arrays and objects of ``data`` nest (brackets inside strings ignored)."""
    brackets = _STRING.sub(b"", data).translate(None, _NOT_BRACKETS)
    steps = (1 if byte in _OPENING else -1 for byte in brackets)
    return max(accumulate(steps), default=0)


def json_loads(data: bytes | str, *, max_depth: int = MAX_JSON_DEPTH) -> JsonValue:
    """``json.loads`` that refuses nesting deeper than ``max_depth`` with ``JsonTooDeep``.

    Raises ``UnicodeDecodeError`` for bytes that are not UTF-8 and ``json.JSONDecodeError``
    for text that is not JSON, as ``json.loads`` does.
    """
    text = data if isinstance(data, str) else data.decode("utf-8")
    # Counting is only needed when there are more brackets than levels allowed.
    if text.count("[") + text.count("{") > max_depth:
        raw = data if isinstance(data, bytes) else text.encode("utf-8", "surrogatepass")
        if nesting_depth(raw) > max_depth:
            raise JsonTooDeep(max_depth)
    try:
        value: JsonValue = json.loads(text)
    except RecursionError as exc:  # a deeper stack than the interpreter allows, anyway
        raise JsonTooDeep(max_depth) from exc
    return value
