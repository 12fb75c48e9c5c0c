"""The streaming log parser: header detection, masking and clustering put together.

``LogParser.add(line)`` turns one raw line into a :class:`ParsedLine`:

1. the header (timestamp, level, pid, host, component...) is cut off by a
   :class:`~.header.HeaderModel` learnt from the first lines of the stream;
2. the message's *digit shape* (every digit written ``0``) is looked up in a cache: lines
   of the same event usually share a shape, and then the line is done;
3. otherwise the message is split on whitespace, its variable parts are masked
   (:mod:`.masking`) and the masked tokens are assigned to a template
   (:mod:`.clustering`).

Lines that do not fit the learnt header (another log format appended to the stream,
continuation lines...) are parsed whole; the most recent of them are kept in a small buffer
and, once there are enough, a header is learnt from them too. If it fits most of them it is
added as an alternative format (up to ``MAX_HEADER_FORMATS``); if not (they were stack
traces or free text), the parser waits for twice as many misfits before trying again.

Nothing is kept per line: memory is bounded by the caps on clusters and caches and by
clustering at most the first ``MAX_MESSAGE_CHARS`` characters of a message, so arbitrarily
long streams (and lines) can be parsed. ``parse_stream`` and ``parse_file`` read a short
look-ahead sample first so that the header is learnt before the first line is parsed.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from itertools import chain, islice
from os import PathLike
from pathlib import Path
from typing import Final, NamedTuple

from .clustering import Clusterer
from .header import HeaderModel, learn_header
from .masking import CACHE_LIMIT, TokenMasker, digit_shape, remember
from .templates import Cluster

HEADER_SAMPLE_LINES: Final = 50
MAX_MESSAGE_CHARS: Final = 512
MAX_HEADER_FORMATS: Final = 4
MAX_MISFIT_GOAL: Final = 8192
FORMAT_FIT_SHARE: Final = 0.8


class ParsedLine(NamedTuple):
    """One parsed line: the template it belongs to and its message part.

    Templates can still generalise after a line was parsed (a word turns out to be a
    parameter once enough values were seen); ``LogParser.resolve(template_id)`` gives the
    template an id ended up in.
    """

    template_id: str
    template: str
    message: str


@dataclass(frozen=True, slots=True)
class Template:
    """A template with the number of lines seen for it."""

    id: str
    text: str
    count: int


class LogParser:
    """Online log template parser; use one instance per log stream.

    Call :meth:`prime` with the first lines of the stream before :meth:`add` (``parse_stream``
    does this). Without it, the header layout is relearnt from the lines seen so far, at
    powers of two, until ``HEADER_SAMPLE_LINES`` lines have been seen.
    """

    def __init__(self) -> None:
        self._header: HeaderModel | None = None
        self._sample: list[str] = []
        self._provisional: HeaderModel | None = None
        self._other_headers: list[HeaderModel] = []
        self._misfits: list[str] = []
        self._misfit_count = 0
        self._misfit_goal = HEADER_SAMPLE_LINES
        self._masker = TokenMasker()
        self._clusters = Clusterer()
        self._by_shape: dict[str, Cluster] = {}

    def prime(self, sample: Iterable[str]) -> None:
        """Learn the header layout from a sample of lines from the start of the stream."""
        self._header = learn_header(sample)
        self._sample = []

    def add(self, line: str) -> ParsedLine:
        """Parse one raw log line."""
        header = self._header or self._provisional_header(line)
        message = header.cut(line)
        if message is None:
            message = self._cut_other_format(line)
        text = message if len(message) <= MAX_MESSAGE_CHARS else _truncate(message)
        shape = digit_shape(text)
        cluster = self._by_shape.get(shape)
        if cluster is None or cluster.merged_into is not None or cluster.evicted:
            cluster = self._cluster_slowly(text, shape, cluster)
        else:
            cluster.count += 1
        return ParsedLine(cluster.id, cluster.text, message)

    def templates(self) -> list[Template]:
        """The current templates, most frequent first (identical texts are combined)."""
        counts: dict[str, int] = {}
        texts: dict[str, str] = {}
        for cluster in self._clusters.clusters():
            counts[cluster.id] = counts.get(cluster.id, 0) + cluster.count
            texts[cluster.id] = cluster.text
        ranked = sorted(counts, key=lambda key: -counts[key])
        return [Template(key, texts[key], counts[key]) for key in ranked]

    def resolve(self, template_id: str) -> Template | None:
        """The current template for an id returned earlier (templates may have generalised)."""
        cluster = self._clusters.resolve(template_id)
        if cluster is None:
            return None
        return Template(cluster.id, cluster.text, cluster.count)

    def _cluster_slowly(self, message: str, shape: str, cached: Cluster | None) -> Cluster:
        """Count a line whose shape is new, was merged away or cannot be cached."""
        if cached is not None and cached.merged_into is not None:
            cached = cached.final()
            if not cached.evicted:
                self._by_shape[shape] = cached
                cached.count += 1
                return cached
        tokens, by_shape_only = self._masker.mask(message, shape)
        cluster = self._clusters.add(tokens)
        if by_shape_only:
            remember(self._by_shape, shape, cluster, CACHE_LIMIT)
        return cluster

    def _cut_other_format(self, line: str) -> str:
        """Message of a line that does not fit the main header (see the module docstring)."""
        for header in self._other_headers:
            message = header.cut(line)
            if message is not None:
                return message
        self._misfits.append(line)
        if len(self._misfits) > HEADER_SAMPLE_LINES:
            del self._misfits[0]
        self._misfit_count += 1
        if self._misfit_count >= self._misfit_goal:
            self._learn_other_format()
        return line.strip()

    def _learn_other_format(self) -> None:
        header = learn_header(self._misfits)
        fitting = sum(1 for line in self._misfits if header.cut(line) is not None)
        useful = header.has_header and fitting >= FORMAT_FIT_SHARE * len(self._misfits)
        if useful and len(self._other_headers) < MAX_HEADER_FORMATS:
            self._other_headers.append(header)
        else:
            self._misfit_goal = min(2 * self._misfit_goal, MAX_MISFIT_GOAL)
        self._misfits = []
        self._misfit_count = 0

    def _provisional_header(self, line: str) -> HeaderModel:
        """Header model for ``add`` without ``prime`` (relearnt at powers of two)."""
        self._sample.append(line)
        size = len(self._sample)
        if self._provisional is None or size & (size - 1) == 0:
            self._provisional = learn_header(self._sample)
        if size >= HEADER_SAMPLE_LINES:
            self._header = learn_header(self._sample)
            self._sample = []
            return self._header
        return self._provisional


def _truncate(message: str) -> str:
    """The start of an overlong message, cut at a space, with a wildcard for the rest.

    Keeps the memory used by caches and templates bounded whatever the line length.
    """
    head = message[:MAX_MESSAGE_CHARS]
    cut = head.rfind(" ")
    return f"{head[:cut] if cut > 0 else head} <*>"


def parse_stream(lines: Iterable[str], parser: LogParser | None = None) -> Iterator[ParsedLine]:
    """Parse an iterable of lines lazily; the first lines are also used to learn the header."""
    parser = parser if parser is not None else LogParser()
    iterator = iter(lines)
    head = list(islice(iterator, HEADER_SAMPLE_LINES))
    parser.prime(head)
    for line in chain(head, iterator):
        yield parser.add(line)


def parse_file(
    path: str | PathLike[str], parser: LogParser | None = None, encoding: str = "utf-8"
) -> Iterator[ParsedLine]:
    """Parse a log file line by line with bounded memory (undecodable bytes are replaced)."""
    with Path(path).open(encoding=encoding, errors="replace") as handle:
        yield from parse_stream((line.rstrip("\r\n") for line in handle), parser)
