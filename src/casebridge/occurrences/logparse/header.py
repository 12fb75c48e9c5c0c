"""Adaptive detection of the header (timestamp, level, pid, host, component...) of log lines.

Log formats differ, but a header is almost always a run of whitespace- (or ``|``-) separated
*fields* at the start of a line whose *kind* is the same on every line: a date is always in
field 0, a level always in field 3, and so on. The message that follows is free text whose
fields change kind from one event to the next. The detector therefore learns the header
from the token-position statistics of a sample of lines, without knowing the format:

1. Each line is cut into fields; a bracketed group such as ``[worker thread 3]`` is a
   single field. Every field is classified into a coarse kind: time/date (``AM``/``PM``
   too), number, level word, bracketed group, separator (``-``, ``|``...), ``name:`` (a
   process or component ending with a colon), padded column (a word followed by two spaces
   or a tab, as the source column of a Windows servicing log) or plain word.
2. For each field position, the dominant kind and its share of lines are counted. A position
   is *stable* when one kind covers at least ``STABLE_SHARE`` of the sample lines.
3. The header is the prefix ending at the last stable position of a *structural* kind (any
   kind but plain word): plain words may be hosts or component names inside the header,
   but only structural fields prove that the header reaches that far. Scanning stops at a
   stable ``name:`` position (by convention the last header field), at a quoted field, or
   after two unstable positions in a row (the free-text message has started). A header
   must start with an *anchor* (time, number, level, bracket or ``|``-separated field)
   within its first two fields and must leave a message on most lines; otherwise the lines
   are taken to be messages whose words merely repeat at stable positions.
4. If the header does not already end with ``name:`` or a separator, lines may still carry a
   variable number of words before a separator (``prog.exe *64 - message``); when almost all
   lines have such a terminator within the next few fields, it is consumed too.

The learnt header becomes one compiled regular expression, so splitting a line costs a
single C-level match. Positions that have the same structural kind on almost every sample
line are *strict*: a line must have that kind there (for times, one of the few digit/letter
shapes seen) for the header to apply. Lines that do not fit (continuation lines, stack
traces, another format) are reported as not fitting, and the parser decides what to do.
"""

from __future__ import annotations

import re
import string
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache
from itertools import groupby, islice
from typing import Final

from . import formats
from .masking import digit_shape

MAX_HEADER_FIELDS: Final = 14
STABLE_SHARE: Final = 0.9
STRICT_SHARE: Final = 0.97
TERMINATOR_SHARE: Final = 0.9
TERMINATOR_REACH: Final = 3

FIELD: Final = r"(?:\[[^\[\]]*(?:\[[^\[\]]*\][^\[\]]*)*\]|[^\s|]+)"  # see _BRACKET_FIELD
SEPARATOR: Final = r"(?:\s*\|+\s*|\s+)"
_FIELD_RE: Final = re.compile(FIELD)
#: A line of a pasted table that is only a rule (``----- -- -----``): not a log line.
_TABLE_RULE: Final = re.compile(r"[\s=+|-]*-{3}[\s=+|-]*")

TIME: Final = "time"
NUMBER: Final = "number"
LEVEL: Final = "level"
BRACKET: Final = "bracket"
SEP: Final = "separator"
NAME: Final = "name"
WORD: Final = "word"
QUOTED: Final = "quoted"
PIPED: Final = "piped"
COLUMN: Final = "column"
STRUCTURAL: Final = frozenset({TIME, NUMBER, LEVEL, BRACKET, SEP, NAME, PIPED, COLUMN})
ANCHORS: Final = frozenset({TIME, NUMBER, LEVEL, BRACKET, PIPED})
MAX_UNANCHORED_FIELDS: Final = 2
MIN_MESSAGE_SHARE: Final = 0.5
#: Below this many sample lines every position looks stable, so word positions prove nothing:
#: the header may not reach past two plain words in a row, nor past a word after the level
#: (a pasted one-line excerpt: "ERROR pool 7 is full").
SMALL_SAMPLE: Final = 8
MAX_STRICT_SHAPES: Final = 4

_MONTHS = "jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec"
_DAYS = "mon|tue|wed|thu|fri|sat|sun"
_CLOCK = r"\d{1,2}:\d{1,2}(?::\d{1,2})?(?:[.,:]\d{1,9})?"
_CLOCK_SUFFIX = r"(?:[-T_.:]\d{1,2}(?:[.:]\d{1,2}){1,2}(?:[.,:]\d{1,9})?)?"
_DATE = r"(?:\d{4}[-/.]\d{1,2}[-/.]\d{1,2}|\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4}|\d{8})" + _CLOCK_SUFFIX
_CALENDAR_WORD = rf"(?i:(?:{_MONTHS})[a-z]*|(?:{_DAYS})[a-z]*|[ap]m)\.?,?"
TIME_PATTERN: Final = rf"(?:{_DATE}|{_CLOCK}|{_CALENDAR_WORD})(?:Z|[+-]\d{{2}}:?\d{{2}})?,?"
_LEVELS = (
    "trace|debug|dbg|info|information|informational|notice|note|warn|warning|error|err|severe"
    "|fatal|critical|crit|alert|emerg|emergency|failure|fine|finer|finest|verbose|panic"
)
LEVEL_PATTERN: Final = rf"[\[<(]?(?i:{_LEVELS})[\]>):]?"

_NAME_PATTERN = r"[^\s|]*[A-Za-z0-9\])>]:|[^\s|\[]*[A-Za-z0-9]\]"
_NUMBER_PATTERN = r"[-+]?\d+(?:[.,]\d+)*|0[xX][0-9a-fA-F]+"
_SEP_PATTERN = r"-{1,3}|[|:>~=]+"
_BRACKET_FIELD = r"\[[^\[\]]*(?:\[[^\[\]]*\][^\[\]]*)*\]"
_PLAIN_FIELD = r"[^\s|]+"
_KIND_RE: Final = re.compile(
    rf"(?P<{BRACKET}>\[.*\])"
    rf"|(?P<{LEVEL}>{LEVEL_PATTERN})"
    rf"|(?P<{TIME}>{TIME_PATTERN})"
    rf"|(?P<{NUMBER}>{_NUMBER_PATTERN})"
    rf"|(?P<{SEP}>{_SEP_PATTERN})"
    rf"|(?P<{NAME}>{_NAME_PATTERN})"
    rf"|(?P<{QUOTED}>[\"'].*)"
)
_CHECKED_KINDS: Final = {
    TIME: TIME_PATTERN,
    LEVEL: LEVEL_PATTERN,
    NUMBER: _NUMBER_PATTERN,
    SEP: _SEP_PATTERN,
    NAME: _NAME_PATTERN,
}


@lru_cache(maxsize=4096)
def _shape_kind(shape: str) -> str:
    match = _KIND_RE.fullmatch(shape)
    if match is None or match.lastgroup is None:
        return WORD
    return match.lastgroup


def field_kind(field: str) -> str:
    """Classify one header field into a coarse kind (see the module docstring).

    The kind only depends on where the digits are, so fields are classified by their digit
    shape and the answer is cached (timestamps of a sample share a handful of shapes).
    """
    return _shape_kind(digit_shape(field))


def line_kinds(line: str, limit: int = MAX_HEADER_FIELDS) -> list[str]:
    """The kinds of the first ``limit`` fields; a field followed by ``|`` is ``piped``."""
    return [kind for _, kind in _classified_fields(line, limit)]


def _classified_fields(line: str, limit: int = MAX_HEADER_FIELDS) -> list[tuple[str, str]]:
    fields = []
    for match in islice(_FIELD_RE.finditer(line), limit):
        end = match.end()
        piped = line[end : end + 1] == "|" or line[end : end + 3].strip().startswith("|")
        kind = PIPED if piped else field_kind(match.group())
        if kind == WORD and (line[end : end + 2] == "  " or line[end : end + 1] == "\t"):
            kind = COLUMN  # a padded column: a source or component name in the header
        fields.append((match.group(), kind))
    return fields


_CLASS_TABLE: Final = bytes.maketrans(
    string.digits.encode() + string.ascii_letters.encode(), b"0" * 10 + b"a" * 52
)


def _compressed_shape(field: str) -> str:
    """``field`` with runs of digits written ``0`` and runs of ASCII letters written ``a``."""
    classes = field.encode("utf-8", "surrogatepass").translate(_CLASS_TABLE)
    return "".join(char for char, _ in groupby(classes.decode("utf-8", "surrogatepass")))


def _shape_regex(shape: str) -> str:
    parts = {"0": r"\d+", "a": "[A-Za-z]+"}
    return "".join(parts.get(char) or re.escape(char) for char in shape)


def _shape_check(values: list[str]) -> str | None:
    """A cheap pattern accepting the few shapes that nearly all ``values`` share, if any."""
    shapes = Counter(map(_compressed_shape, values)).most_common(MAX_STRICT_SHAPES)
    if sum(count for _, count in shapes) < STRICT_SHARE * len(values):
        return None
    return "|".join(_shape_regex(shape) for shape, _ in shapes)


@dataclass(frozen=True, slots=True)
class HeaderModel:
    """A learnt header: how many fields it has and how to cut it off a line.

    ``extract``, when set, cuts lines of a structured format (:mod:`.formats`) instead.
    """

    field_count: int
    kinds: tuple[str, ...]
    terminator: str | None
    pattern: re.Pattern[str] | None
    extract: Callable[[str], str | None] | None = None

    def cut(self, line: str) -> str | None:
        """The message part of ``line``, or ``None`` if the line does not fit the header."""
        if self.extract is not None:
            return self.extract(line)
        if self.pattern is None:
            return line.strip()
        match = self.pattern.match(line)
        if match is None:
            return None
        return line[match.end() :].strip()

    def split(self, line: str) -> str:
        """The message part of ``line`` (the whole line if the header does not fit)."""
        message = self.cut(line)
        return line.strip() if message is None else message

    @property
    def has_header(self) -> bool:
        """Whether this model cuts anything off a line."""
        return self.pattern is not None or self.extract is not None


NO_HEADER: Final = HeaderModel(0, (), None, None)


def _position_stats(sample: list[list[str]]) -> list[Counter[str]]:
    stats: list[Counter[str]] = [Counter() for _ in range(MAX_HEADER_FIELDS)]
    for kinds in sample:
        for position, kind in enumerate(kinds):
            stats[position][kind] += 1
    return stats


def _dominant(counter: Counter[str], total: int) -> tuple[str, float]:
    if not counter:
        return WORD, 0.0
    kind, count = counter.most_common(1)[0]
    return kind, count / total


def _header_length(stats: list[Counter[str]], sample: list[list[str]]) -> int:
    """Number of leading fields that form the header (step 3 of the module docstring).

    The header may not swallow the whole line: a length that would leave most sample lines
    without a message (a log whose lines all have one fixed shape) is cut back to an
    earlier structural position.
    """
    total = len(sample)
    candidates = [0]
    unstable_run = word_run = 0
    previous = ""
    for position, counter in enumerate(stats):
        kind, share = _dominant(counter, total)
        if share < STABLE_SHARE:
            unstable_run += 1
            if unstable_run >= 2:
                break
            continue
        unstable_run = 0
        word_run = word_run + 1 if kind == WORD else 0
        after_level = kind == WORD and previous == LEVEL
        previous = kind
        if kind == QUOTED or (total < SMALL_SAMPLE and (word_run >= 2 or after_level)):
            break
        if kind in STRUCTURAL:
            candidates.append(position + 1)
        if kind == NAME:
            break
    for length in reversed(candidates):
        with_message = sum(1 for kinds in sample if len(kinds) > length)
        if with_message >= MIN_MESSAGE_SHARE * total:
            return length
    return 0


def _terminator(sample: list[list[str]], length: int) -> str | None:
    """A separator or ``name:`` field that nearly every line has shortly after the header."""
    found: Counter[str] = Counter()
    for kinds in sample:
        for kind in kinds[length : length + TERMINATOR_REACH]:
            if kind in (SEP, NAME):
                found[kind] += 1
                break
    if not found:
        return None
    kind, count = found.most_common(1)[0]
    return kind if count / len(sample) >= TERMINATOR_SHARE else None


def _field_pattern(kind: str, share: float, values: list[str]) -> str:
    """Pattern for one header position, given the fields the sample has there.

    A position of one structural kind on almost every line is *strict*: the field must be of
    that kind, and a time field must have one of the few digit/letter shapes seen
    (``0-0-0``, ``0:0:0,0``), which is both precise and cheap to match.
    """
    if kind not in STRUCTURAL or share < STRICT_SHARE:
        return FIELD if any(value.startswith("[") for value in values) else _PLAIN_FIELD
    if kind == BRACKET:
        return _BRACKET_FIELD
    shapes = _shape_check(values) if kind == TIME else None
    if shapes is not None:
        return rf"(?:{shapes})(?=[\s|]|$)"
    if kind == PIPED:
        return rf"{FIELD}(?=\s*\|)"
    if kind in _CHECKED_KINDS:
        return rf"(?:{_CHECKED_KINDS[kind]})(?=[\s|]|$)"
    return FIELD


_TERMINATOR_PATTERNS: Final = {SEP: r"-{1,3}", NAME: rf"(?:{_NAME_PATTERN})"}


def _reach_terminator(kind: str, separator: str) -> str:
    """Up to ``TERMINATOR_REACH - 1`` extra fields, then a terminator field of ``kind``."""
    extra = rf"(?:{FIELD}{separator}){{0,{TERMINATOR_REACH - 1}}}?"
    return rf"{extra}{_TERMINATOR_PATTERNS[kind]}(?:{separator}|$)"


def _compile(
    kinds: tuple[str, ...], fields: list[str], terminator: str | None, separator: str
) -> re.Pattern[str]:
    """One regular expression matching the whole header (and an optional terminator)."""
    parts = [r"\s*"]
    for position, (kind, field) in enumerate(zip(kinds, fields, strict=True)):
        plain = rf"{field}(?:{separator}|$)"
        if position == len(kinds) - 1 and kind in _TERMINATOR_PATTERNS:
            # The closing separator / ``name:`` may come after a few extra words.
            parts.append(rf"(?:{_reach_terminator(kind, separator)}|{plain})")
        else:
            parts.append(plain)
    if terminator is not None:
        parts.append(rf"(?:{_reach_terminator(terminator, separator)})?")
    # nginx's error log: the connection number ("*88") after "1907#1907:".
    parts.append(r"(?:\*\d+\s+)?")
    return re.compile("".join(parts))


def _layout(sample: list[list[str]]) -> list[tuple[str, float]]:
    """Dominant kind and its share for every header position (empty if no header)."""
    stats = _position_stats(sample)
    length = _header_length(stats, sample)
    layout = [_dominant(stats[position], len(sample)) for position in range(length)]
    anchored = any(kind in ANCHORS for kind, _ in layout[:MAX_UNANCHORED_FIELDS])
    if length > MAX_UNANCHORED_FIELDS and not anchored:
        # A header starts with a time, number, level or bracket (at most a word or two,
        # such as a host or file name, come first); "Receiving block 42 src: ..." repeated
        # on every line is a message whose words merely sit at stable positions.
        return []
    return layout


def learn_header(lines: Iterable[str], *, nested: bool = False) -> HeaderModel:
    """Learn the header layout shared by ``lines`` (a sample from the start of a log).

    A structured format (:mod:`.formats`) is recognised first; the content of an envelope
    (a container log line) has its own header, learnt in turn (``nested``).
    """
    sample = _without_titles(
        [line for line in lines if line.strip() and not _TABLE_RULE.fullmatch(line)]
    )
    found = None if nested else formats.detect(sample)
    if found is not None and found.envelope:
        contents = [text for text in map(found.cut, sample) if text is not None]
        inner = learn_header(contents, nested=True)
        return HeaderModel(0, (), None, None, formats.within(found.cut, inner.split))
    if found is not None:
        return HeaderModel(0, (), None, None, found.cut)
    return _learn_fields(sample)


def _without_titles(sample: list[str]) -> list[str]:
    """The sample without the title row of a pasted table (``TimeCreated Id Message``): a
    first line without a digit, when the lines after it start with a time or a number."""
    if len(sample) < 3 or any(char.isdigit() for char in sample[0]):
        return sample
    anchored = sum(
        1 for line in sample[1:] if {TIME, NUMBER} & set(line_kinds(line, MAX_UNANCHORED_FIELDS))
    )
    return sample[1:] if anchored >= STABLE_SHARE * (len(sample) - 1) else sample


def _learn_fields(lines: list[str]) -> HeaderModel:
    """A header of whitespace-separated fields (the steps of the module docstring)."""
    fields = [_classified_fields(line) for line in lines if line.strip()]
    sample = [[kind for _, kind in line] for line in fields]
    if not sample:
        return NO_HEADER
    layout = _layout(sample)
    kinds = tuple(kind for kind, _ in layout)
    patterns = [
        _field_pattern(kind, share, [line[position][0] for line in fields if len(line) > position])
        for position, (kind, share) in enumerate(layout)
    ]
    terminator = None
    if not kinds or kinds[-1] not in (SEP, NAME):
        terminator = _terminator(sample, len(kinds))
    if not kinds and terminator is None:
        return NO_HEADER
    separator = SEPARATOR if any(PIPED in line for line in sample) else r"\s+"
    pattern = _compile(kinds, patterns, terminator, separator)
    return HeaderModel(len(kinds), kinds, terminator, pattern)
