"""Masking of the obviously variable parts of a log message.

A message is split on whitespace and every token is rewritten by one compiled regular
expression that replaces variable *parts* of the token with ``<*>``:

* the part after ``scheme://`` of a URL, and ``product/1.2`` version strings;
* absolute paths, with slashes or after a drive letter (``C:\\...``);
* host names with a port (``db-1.example.org:5432``) and dotted host names with digits;
* MAC addresses, ``0x`` hexadecimal numbers, UUIDs, long hexadecimal strings that mix digits
  and letters (hashes), and random-looking ids that alternate letters and digits;
* numbers, including decimals, versions, IPv4 addresses, times, dates, ``host:port`` pairs,
  numbers with a unit (``64MB``, ``12ms``; ``12 KB`` is glued to ``12KB`` first), versions
  (``v1.2``) and dimensions (``80x25``), as long as the digits are not glued to letters:
  ``node-12`` becomes ``node-<*>`` and ``id_-42`` becomes ``id_<*>``, but ``utf8`` and
  ``http2_init()`` are kept as words;
* month and weekday names (parts of dates written inside messages).

Masking is cached by *digit shape*: a token with every digit written ``0`` masks exactly
like the real token as long as no digit survives masking, so ``10.0.0.1:80`` and
``10.2.3.4:81`` share one cache entry and most tokens never reach the regular expression.
"""

from __future__ import annotations

import re
from itertools import islice
from typing import Final, cast

WILDCARD: Final = "<*>"
CACHE_LIMIT: Final = 20_000

_UNIT = r"(?:[kKMGTP]i?[bB]|[kMG]?Hz|[mun]?s|sec|[BkKMGT]|%)?"
_NUMBER = rf"\d{{4}}-\d{{1,2}}-\d{{1,2}}|\d+x\d+|[vV]\d+(?:\.\d+)+|[-+]?\d+(?:[.,:]\d+)*{_UNIT}"
_HEX = (
    r"[0-9a-fA-F]{2}(?::[0-9a-fA-F]{2}){5}"
    r"|0[xX][0-9a-fA-F]+"
    r"|[0-9a-fA-F]{8}(?:-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}"
    r"|(?=[0-9a-fA-F]*\d)(?=[0-9a-fA-F]*[a-fA-F])[0-9a-fA-F]{8,}"
)
_MIXED_ID = r"(?=[A-Za-z0-9]*\d[A-Za-z]+\d[A-Za-z]+\d)[A-Za-z0-9]+"
_CALENDAR = (
    r"(?<![A-Za-z])(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?"
    r"|Aug(?:ust)?|Sep(?:t|tember)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?"
    r"|Mon(?:day)?|Tue(?:sday)?|Wed(?:nesday)?|Thu(?:rsday)?|Fri(?:day)?|Sat(?:urday)?"
    r"|Sun(?:day)?)(?![A-Za-z])"
)
_PATH_START = r"(?<![^\s\[(=:\"',<{])"
_HOST = (
    r"(?<![\w.-])(?:[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z][A-Za-z0-9-]+:\d+"
    r"|[A-Za-z][A-Za-z0-9]*(?:-[A-Za-z0-9]+)+:\d{2,5}"
    r"|(?=[\w.-]*\d)[A-Za-z0-9][\w-]*(?:\.[\w-]+)*\.[a-z]{2,3})(?![\w-]|\.[\w-])"
)
_VERSION = r"(?<![\w/.-])[A-Za-z][\w-]*/\d+(?:\.\d+)+(?![\w.])"
_VARIABLE_RE: Final = re.compile(
    r"(?<=://)[^\s\])}\"',;]+"
    rf"|{_VERSION}"
    rf"|{_PATH_START}(?:/[^\s/\])}},;\"'<>]+)+/?(?<![:.])"
    rf"|{_PATH_START}[A-Za-z]:\\[^\s\])}},;\"']*"
    rf"|{_HOST}"
    rf"|(?<![A-Za-z0-9\\])(?:{_HEX}|{_MIXED_ID}|{_NUMBER})(?![A-Za-z0-9])"
    rf"|{_CALENDAR}"
)
_SPACED_UNIT_RE: Final = re.compile(
    r"(?<=\d) (?=(?:[KMGTP]i?B|B|[kMG]?Hz|[mun]?s|sec)(?:[\s,;)\]]|$))"
)
_MAY_HOLD_VALUE_RE: Final = re.compile(r"[0-9/\\]")
_NON_LETTERS_RE: Final = re.compile(r"[^A-Za-z]+")
_CALENDAR_WORDS: Final = frozenset(
    {
        *("Jan", "January", "Feb", "February", "Mar", "March", "Apr", "April", "May"),
        *("Jun", "June", "Jul", "July", "Aug", "August", "Sep", "Sept", "September"),
        *("Oct", "October", "Nov", "November", "Dec", "December"),
        *("Mon", "Monday", "Tue", "Tuesday", "Wed", "Wednesday", "Thu", "Thursday"),
        *("Fri", "Friday", "Sat", "Saturday", "Sun", "Sunday"),
    }
)
_PUNCTUATION: Final = "[](){}<>,.;:'\"=|"
_DIGIT_TABLE: Final = bytes.maketrans(b"123456789", b"000000000")
_BY_TOKEN: Final = ""


def remember[K, V](table: dict[K, V], key: K, value: V, limit: int) -> V:
    """Store ``table[key] = value``; when ``table`` is full, first drop its older half.

    Dictionaries keep insertion order, so this is a cheap approximation of a least recently
    used cache that never loses the entries just learnt.
    """
    if len(table) >= limit:
        for old in list(islice(table, len(table) // 2)):
            del table[old]
    table[key] = value
    return value


def mask_token(token: str) -> str:
    """Replace the variable parts of one whitespace-free token with ``<*>``."""
    return splice(token, variable_spans(token))


def variable_spans(token: str) -> tuple[tuple[int, int], ...]:
    """Start and end of every variable part of ``token``."""
    if _MAY_HOLD_VALUE_RE.search(token) is None and not _mentions_calendar(token):
        return ()
    return tuple(match.span() for match in _VARIABLE_RE.finditer(token))


def splice(token: str, spans: tuple[tuple[int, int], ...]) -> str:
    """``token`` with each span replaced by ``<*>``."""
    if not spans:
        return token
    parts = []
    previous = 0
    for start, end in spans:
        parts.append(token[previous:start])
        parts.append(WILDCARD)
        previous = end
    parts.append(token[previous:])
    return "".join(parts)


def _mentions_calendar(token: str) -> bool:
    """Cheap pre-check: a month or weekday name delimited by punctuation in ``token``."""
    stripped = token.strip(_PUNCTUATION)
    if stripped in _CALENDAR_WORDS:
        return True
    return any(part in _CALENDAR_WORDS for part in _NON_LETTERS_RE.split(stripped))


def digit_shape(text: str) -> str:
    """``text`` with every ASCII digit replaced by ``0``.

    Goes through bytes: ``bytes.translate`` is a table look-up per byte, many times faster
    than ``str.translate``; only ASCII bytes are touched, so UTF-8 stays valid.
    """
    encoded = text.encode("utf-8", "surrogatepass")
    return encoded.translate(_DIGIT_TABLE).decode("utf-8", "surrogatepass")


class TokenMasker:
    """Masks whole messages with caches keyed by digit shape (see the module docstring).

    A message is masked by splitting its digit shape and looking every shape token up in a
    dictionary, so a message made of known shapes costs no Python-level loop at all. Tokens
    that keep digits after masking (``utf8``, ``node7``) are marked in the shape cache; the
    variable spans found in their shape are applied to their real text, which has the same
    length and the same variable spans (digits are only ever matched as digits).
    """

    __slots__ = ("_shapes", "_spans")

    def __init__(self) -> None:
        self._shapes: dict[str, str] = {}
        self._spans: dict[str, tuple[tuple[int, int], ...]] = {}

    def mask(self, message: str, shape: str) -> tuple[list[str], bool]:
        """Masked tokens of ``message`` (whose digit shape is ``shape``).

        The flag tells whether the result depends on the shape only, i.e. whether every
        message with this shape masks to the same tokens.
        """
        if _SPACED_UNIT_RE.search(shape):
            message = _SPACED_UNIT_RE.sub("", message)
            shape = _SPACED_UNIT_RE.sub("", shape)
        shape_tokens = shape.split()
        known = list(map(self._shapes.get, shape_tokens))
        if None in known or _BY_TOKEN in known:
            return self._complete(message.split(), shape_tokens, known)
        return cast(list[str], known), True

    def _complete(
        self, tokens: list[str], shape_tokens: list[str], known: list[str | None]
    ) -> tuple[list[str], bool]:
        """Fill in shapes not cached yet and tokens whose kept digits must be the real ones."""
        masked: list[str] = []
        by_shape_only = True
        for token, shape, cached in zip(tokens, shape_tokens, known, strict=True):
            result = self._mask_shape(shape) if cached is None else cached
            if result == _BY_TOKEN:
                by_shape_only = False
                spans = self._spans.get(shape)
                if spans is None:
                    spans = remember(self._spans, shape, variable_spans(shape), CACHE_LIMIT)
                result = splice(token, spans)
            masked.append(result)
        return masked, by_shape_only

    def _mask_shape(self, shape: str) -> str:
        spans = variable_spans(shape)
        result = splice(shape, spans)
        if "0" in result:
            remember(self._spans, shape, spans, CACHE_LIMIT)
            result = _BY_TOKEN
        return remember(self._shapes, shape, result, CACHE_LIMIT)
