"""Line formats that are not columns of words: recognised from a sample, cut by a function.

The header detector (:mod:`.header`) learns any header made of whitespace-separated fields.
Some formats support teams paste every day are structured otherwise, and each is defined by a
specification or by the default of a well-known library, so each is recognised by its shape:

* **JSON lines** (zap, logrus's ``JSONFormatter``, bunyan, Serilog compact...): the message is
  the ``msg`` / ``message`` field, followed by the event's own fields as ``key=value`` (an
  ``error`` field tells two failures apart); the timestamp, level, caller, logger and stack
  trace are header.
* **logfmt** (logrus's ``TextFormatter`` and Go's ``slog`` text handler: ``time=... level=...
  msg="..." key=value``): the same, from ``key=value`` pairs.
* **RFC 5424 syslog** (``<PRI>VERSION TIMESTAMP HOST APP PROCID MSGID [SD...] MSG``): the
  message after the structured data, without its byte-order mark.
* **Python logging's default** (``LEVEL:logger:message``, ``logging.BASIC_FORMAT``).
* **Tab-separated exports** (Windows Event Viewer's "Save as text"): the last column, when the
  first columns hold a level or a time.
* **Envelopes**, whose content is itself a log line with a header of its own: Kubernetes and
  containerd container logs (CRI: ``TIMESTAMP STREAM FLAG content``) and Docker's json-file
  (``{"log": ..., "stream": ..., "time": ...}``). The envelope is removed, then the header of
  the content is learnt as for any other log.

``detect(sample)`` returns the format most sample lines have (at least ``SHARE`` of them), or
``None`` (the header detector then does its usual work).
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Final

SHARE: Final = 0.9
TSV_MIN_COLUMNS: Final = 4

MESSAGE_KEYS: Final = ("msg", "message", "MESSAGE", "@message", "Message", "short_message")
#: Fields that say when, how severe and where from: header, not part of the message.
HEADER_KEYS: Final = frozenset(
    {
        *("level", "lvl", "severity", "levelname", "loglevel", "log.level", "@level", "@l"),
        *("ts", "time", "timestamp", "@timestamp", "@t", "datetime", "date", "t"),
        *("caller", "logger", "logger_name", "name", "thread", "thread_name", "source"),
        *("stacktrace", "stack_trace", "stack", "exception", "@x", "hostname", "pid", "v"),
        *("@mt", "@m", "msg", "message", "MESSAGE", "@message", "Message", "short_message"),
    }
)
_LOGFMT_PAIR: Final = re.compile(r'\s*([\w.@-]+)=("(?:[^"\\]|\\.)*"|\S*)')
_RFC5424: Final = re.compile(
    r'<\d{1,3}>\d{1,2} \S+ \S+ \S+ \S+ \S+ (?:-|(?:\[(?:[^\]"\\]|\\.|"(?:[^"\\]|\\.)*")*\])+)'
    r"(?: |$)"
)
_PYTHON_DEFAULT: Final = re.compile(
    r"(?:CRITICAL|FATAL|ERROR|WARNING|WARN|INFO|DEBUG|NOTSET|Level \d+):[^:\s]*:"
)
_CRI: Final = re.compile(r"\d{4}-\d\d-\d\dT[\d:.]+(?:Z|[+-]\d\d:?\d\d) (?:stdout|stderr) [FP] ")
_TSV_HEADER: Final = re.compile(
    r"(?i:trace|debug|verbose|info|information|notice|warn|warning|error|err|critical|crit"
    r"|fatal|alert|emerg|audit success|audit failure)$|\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}\b"
)
_BOM: Final = "\ufeff"


@dataclass(frozen=True, slots=True)
class Format:
    """A recognised line format: ``cut`` gives a line's message, or None if it does not fit.

    An ``envelope`` holds a log line of its own: its cut gives that line, whose header is
    learnt next.
    """

    name: str
    cut: Callable[[str], str | None]
    envelope: bool = False


def within(
    unwrap: Callable[[str], str | None], split: Callable[[str], str]
) -> Callable[[str], str | None]:
    """Cut an envelope, then the header of its content (``split``: the whole content when the
    content's header does not fit)."""

    def cut(line: str) -> str | None:
        content = unwrap(line)
        return None if content is None else split(content)

    return cut


def _json_object(line: str) -> dict[str, object] | None:
    text = line.strip()
    if not (text.startswith("{") and text.endswith("}")):
        return None
    try:
        value = json.loads(text)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def _render(value: object) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def _with_fields(message: str, fields: Sequence[tuple[str, object]]) -> str:
    """The message followed by the event's own fields (``key=value``), header fields left out."""
    extra = [f"{key}={_render(value)}" for key, value in fields if key not in HEADER_KEYS]
    return " ".join([" ".join(message.split()), *extra]).strip()


def _message_key(fields: Mapping[str, object]) -> str | None:
    return next((key for key in MESSAGE_KEYS if key in fields), None)


def cut_json(line: str) -> str | None:
    """The message of a JSON log line and its own fields, or None if it is not one."""
    fields = _json_object(line)
    if fields is None:
        return None
    key = _message_key(fields)
    if key is None:
        return None
    return _with_fields(_render(fields[key]), list(fields.items()))


def cut_docker(line: str) -> str | None:
    """The content of a Docker json-file line (itself a log line), or None."""
    fields = _json_object(line)
    if fields is None or not isinstance(fields.get("log"), str) or "stream" not in fields:
        return None
    return str(fields["log"]).rstrip("\r\n")


def _logfmt_pairs(line: str) -> list[tuple[str, str]] | None:
    pairs: list[tuple[str, str]] = []
    position, end = 0, len(line.rstrip())
    while position < end:
        match = _LOGFMT_PAIR.match(line, position)
        if match is None or match.end() == position:
            return None
        key, value = match.groups()
        if value.startswith('"'):
            value = value[1:-1].replace('\\"', '"').replace("\\\\", "\\")
        pairs.append((key, value))
        position = match.end()
    return pairs


def cut_logfmt(line: str) -> str | None:
    """The message of a logfmt line (``msg="..."``) and its own fields, or None."""
    pairs = _logfmt_pairs(line)
    if not pairs:
        return None
    fields = dict(pairs)
    key = _message_key(fields)
    if key is None:
        return None
    return _with_fields(fields[key], pairs)


def cut_rfc5424(line: str) -> str | None:
    match = _RFC5424.match(line)
    if match is None:
        return None
    return line[match.end() :].lstrip(_BOM).strip()


def cut_python_default(line: str) -> str | None:
    match = _PYTHON_DEFAULT.match(line)
    return None if match is None else line[match.end() :].strip()


def cut_cri(line: str) -> str | None:
    match = _CRI.match(line)
    return None if match is None else line[match.end() :].rstrip("\r\n")


def _tsv(columns: int) -> Callable[[str], str | None]:
    def cut(line: str) -> str | None:
        parts = line.rstrip("\r\n").split("\t", columns - 1)
        return parts[-1].strip() if len(parts) == columns else None

    return cut


def _tab_format(sample: Sequence[str]) -> Format | None:
    """Tab-separated lines with one column count, whose first columns hold a level or time."""
    counts = Counter(line.count("\t") for line in sample)
    tabs, lines = counts.most_common(1)[0]
    if tabs + 1 < TSV_MIN_COLUMNS or lines < SHARE * len(sample):
        return None
    heads = [line.split("\t", 2)[:2] for line in sample if line.count("\t") == tabs]
    looks = sum(1 for head in heads if any(_TSV_HEADER.match(c.strip()) for c in head))
    return Format("tab-separated", _tsv(tabs + 1)) if looks >= SHARE * len(heads) else None


_CANDIDATES: Final = (
    Format("cri", cut_cri, envelope=True),
    Format("docker-json", cut_docker, envelope=True),
    Format("json", cut_json),
    Format("rfc5424", cut_rfc5424),
    Format("python-logging", cut_python_default),
    Format("logfmt", cut_logfmt),
)


def detect(sample: Sequence[str]) -> Format | None:
    """The structured format that at least ``SHARE`` of the sample lines have, if any."""
    lines = [line for line in sample if line.strip()]
    if not lines:
        return None
    allowed = len(lines) - SHARE * len(lines)  # misfits a format may have
    for candidate in _CANDIDATES:
        misfits = 0
        for line in lines:
            misfits += candidate.cut(line) is None
            if misfits > allowed:
                break
        else:
            return candidate
    return _tab_format(lines)
