"""From raw log bytes or pasted text to the signatures worth remembering (pure, no database).

``LogDigest`` feeds lines to one ``LogParser`` and keeps, per template, the most severe level
seen in the lines' headers (``error``, ``warning``, and ``info`` / ``debug`` so that everyday
lines are told from lines without a level). ``finish`` resolves templates that generalised
while the stream was read and returns at most ``limit`` of them: notable ones first (an error or
warning level, or an error word in the template), then the most frequent. ``iter_lines``
splits a binary stream into text lines with bounded memory (overlong lines are cut), reporting
bytes read as it goes.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Final, Protocol

from .parser import HEADER_SAMPLE_LINES, LogParser

MAX_SIGNATURES: Final = 200
MAX_LINE_BYTES: Final = 64 * 1024
MAX_PASTED_LINES: Final = 2000
CHUNK_BYTES: Final = 1 << 20
_LEVEL_CAP: Final = 50_000

ERROR, WARNING, INFO, DEBUG = "error", "warning", "info", "debug"
#: Levels by severity; "" is a line without a level, which never lowers one seen.
LEVEL_RANK: Final = {"": 0, DEBUG: 1, INFO: 2, WARNING: 3, ERROR: 4}
_RANK = LEVEL_RANK
#: Everyday levels: a signature seen only at these levels is not a problem of its own.
NOISE_LEVELS: Final = frozenset({INFO, DEBUG})
#: Level words of a header: one C-level search per line. Group ``w`` is a warning, ``i`` an
#: information line, ``d`` a debug line; anything else that matches is an error. Upper case
#: (most logs), capitalised (Windows: "Error", "Information"), ``level=error`` (logfmt) and
#: ``"level":"error"`` (JSON lines).
_LEVEL: Final = re.compile(
    r"ERROR|FATAL|SEVERE|CRIT|PANIC|EMERG|\b(?:Error|Fatal|Critical)\b|=(?:error|fatal|panic)"
    r'|:"(?:error|fatal|panic|dpanic|critical)"|[\[:](?:error|crit|alert|emerg)\]'
    r'|(?P<w>WARN|\bWarning\b|=warn|:"warn|[\[:]warn\])'
    r'|(?P<i>INFO|NOTICE|\bInfo(?:rmation)?\b|=info|:"info"|[\[:](?:notice|info)\])'
    r'|(?P<d>DEBUG|TRACE|\b(?:Debug|Verbose)\b|=debug|=trace|:"(?:debug|trace)"|[\[:]debug\])'
)
#: A syslog priority (RFC 3164 and 5424): its severity (the value modulo 8) is the level.
_PRIORITY: Final = re.compile(r"<(\d{1,3})>")
_SEVERITY: Final = (ERROR, ERROR, ERROR, ERROR, WARNING, INFO, INFO, DEBUG)
_LEVEL_OF_GROUP: Final = {"w": WARNING, "i": INFO, "d": DEBUG, None: ERROR}
#: Words that make a template worth remembering even without a level in its line.
ERROR_WORDS: Final = re.compile(
    r"\b(?:error|errors|exception|fail\w*|fatal|refused|denied|timed?\s?out|timeout|unable"
    r"|cannot|can't|could\s+not|invalid|rejected|abort\w*|panic\w*|crash\w*|unavailable"
    r"|unreachable|exhausted|killed|oom|overflow|corrupt\w*|deadlock\w*|lost|broken)\b",
    re.IGNORECASE,
)
#: A pasted line that looks like a log line: a date or time, a level word, an exception, a
#: structured level (``level=error``, ``"level":"error"``).
LOG_LINE: Final = re.compile(
    r"\d{4}-\d{2}-\d{2}|\b\d{1,2}:\d{2}:\d{2}\b"
    r"|\b(?:INFO|WARN|WARNING|ERROR|DEBUG|FATAL|TRACE|SEVERE|CRITICAL)\b"
    r'|\b\w+(?:Exception|Error)\b|^\s+at\s+[\w.$]+\(|level=\w+|"(?:level|severity)"\s*:'
)


class Readable(Protocol):
    def read(self, size: int = -1, /) -> bytes: ...


@dataclass(frozen=True, slots=True)
class Found:
    """One template of a log: its id and text, how many lines, their level, notable or not."""

    id: str
    template: str
    lines: int
    level: str
    notable: bool


class LogDigest:
    """Parse one log stream and keep what is needed to record its signatures."""

    def __init__(self, *, pasted: bool = False) -> None:
        self.parser = LogParser()
        self.pasted = pasted
        self.lines = 0
        self.templates = 0
        self._head: list[str] | None = []
        self._levels: dict[str, str] = {}

    def add(self, line: str) -> None:
        if not line.strip():
            return
        if self._head is not None:
            self._head.append(line)
            if len(self._head) >= HEADER_SAMPLE_LINES:
                self._flush_head()
            return
        self._add(line)

    def feed(self, lines: Iterable[str]) -> LogDigest:
        for line in lines:
            self.add(line)
        return self

    def _flush_head(self) -> None:
        head, self._head = self._head or [], None
        self.parser.prime(head)
        for line in head:
            self._add(line)

    def _add(self, line: str) -> None:
        template_id, _, message = self.parser.add(line)
        self.lines += 1
        # The level words of the header (and first words): one C-level search, inlined because
        # it runs for every line.
        match = _LEVEL.search(line, 0, len(line) - len(message) + 40)
        if match is not None:
            level = _LEVEL_OF_GROUP[match.lastgroup]
        elif line[:1] == "<" and (priority := _PRIORITY.match(line)) is not None:
            level = _SEVERITY[int(priority.group(1)) % 8]
        else:
            return
        if _RANK[level] > _RANK[self._levels.get(template_id, "")]:
            self._levels[template_id] = level
            if len(self._levels) > _LEVEL_CAP:
                self._fold_levels()

    def _fold_levels(self) -> None:
        """Move levels to the ids templates ended up with; drop evicted ones (bounded)."""
        folded: dict[str, str] = {}
        for template_id, level in self._levels.items():
            final = self.parser.resolve(template_id)
            if final is None:
                continue
            if _RANK[level] > _RANK[folded.get(final.id, "")]:
                folded[final.id] = level
        self._levels = folded

    def finish(self, limit: int = MAX_SIGNATURES) -> list[Found]:
        """The templates to record: notable first, then by line count; at most ``limit``."""
        if self._head is not None:
            self._flush_head()
        self._fold_levels()
        found = []
        for template in self.parser.templates():
            level = self._levels.get(template.id, "")
            notable = level in (ERROR, WARNING) or bool(ERROR_WORDS.search(template.text))
            found.append(Found(template.id, template.text, template.count, level, notable))
        if self.pasted and not any(f.notable for f in found):
            # A person pasted these lines for a reason: without an error among them, all count.
            found = [Found(f.id, f.template, f.lines, f.level, True) for f in found]
        found.sort(key=lambda f: (not f.notable, -_RANK[f.level], -f.lines, f.id))
        self.templates = len(found)
        return found[:limit]


def log_lines_of(text: str) -> list[str]:
    """The lines of pasted text that look like log lines (at most ``MAX_PASTED_LINES``)."""
    picked = []
    for line in text.splitlines():
        if LOG_LINE.search(line):
            picked.append(line.rstrip()[:MAX_LINE_BYTES])
            if len(picked) >= MAX_PASTED_LINES:
                break
    return picked


def digest_text(text: str, *, only_log_lines: bool = True) -> list[Found]:
    """Signatures of pasted text: its log-looking lines (or every line). Errors and warnings
    are notable; if there is none, every pasted line is."""
    lines = log_lines_of(text) if only_log_lines else [ln for ln in text.splitlines() if ln]
    if not lines:
        return []
    return LogDigest(pasted=True).feed(lines).finish()


def iter_lines(
    stream: Readable,
    progress: Callable[[int], None] | None = None,
    *,
    chunk_bytes: int = CHUNK_BYTES,
    max_line: int = MAX_LINE_BYTES,
) -> Iterator[str]:
    """Text lines of a binary stream, read in chunks; a line longer than ``max_line`` bytes is
    cut there (the rest is skipped), so memory stays bounded whatever the file holds."""
    pending = b""
    skipping = False
    while chunk := stream.read(chunk_bytes):
        if progress is not None:
            progress(len(chunk))
        parts = (pending + chunk).split(b"\n") if pending else chunk.split(b"\n")
        pending = parts.pop()
        for index, part in enumerate(parts):
            if skipping and index == 0:
                skipping = False
                continue
            yield _decode(part[:max_line])
        if len(pending) > max_line:
            if not skipping:
                yield _decode(pending[:max_line])
            skipping, pending = True, b""
    if pending and not skipping:
        yield _decode(pending)


def _decode(raw: bytes) -> str:
    return raw.decode("utf-8", "replace").rstrip("\r")
