"""Text analysis shared by the occurrence index and the similar-case query.

Every string that reaches the full-text engine is produced here, so that the
index side (write time) and the query side (read time) agree on terms and so
that the Python re-ranker can recompute term overlaps exactly.

Method
------
Support cases mix prose with machine text: class names, stack traces, file
paths, configuration keys, versions and ticket keys.  :func:`analyse` turns
such text into *terms*:

* Text is cut into *compounds*: runs of word characters joined by ``.``,
  ``-``, ``#``, ``/`` or ``\\`` without spaces (``org.apache.Foo``,
  ``hadoop-client-api``, ``Foo#bar``, ``/var/log/app``, ``3.3.5``); ``:``
  ends a compound, so ``File.java:72`` loses its line number.
* A version-like compound (``3.3.5``, ``v2.10.1-rc1``) becomes one term.
* Any other compound with separators keeps its whole lowercased form as a term
  (dotted names and hyphenated keys are strong duplicate evidence) and is then
  split into its parts; path segments are not kept whole because paths differ
  by installation.
* Each part that is a code identifier (``camelCase``, ``snake_case``,
  ``HTTP2Server``) keeps its whole lowercased form *and* yields its sub-words,
  so ``JavaKeyStoreProvider`` matches both itself and ``key store provider``.
* Plain words are lowercased, English stop words are dropped and a light,
  conservative suffix stemmer folds plurals and ``-ing``/``-ed`` forms.
* Machine noise that never repeats across cases (long digit runs, hex ids,
  numbers shorter than three digits) is dropped.

Terms use only ``[a-z0-9._-]`` plus Unicode letters, so they survive the FTS5
``unicode61`` tokenizer configured with :data:`FTS5_TOKENIZE` and can be
written verbatim as PostgreSQL ``tsvector``/``tsquery`` literals.

:func:`extract_signatures` pulls exception class names and stack frames
(``Class.method``) out of a description: these are the cheap "trace
signature" of a case.  :func:`select_query_terms` picks the few most
informative terms of a document for the bounded candidate query, and
:func:`fts5_match_expression` / :func:`tsquery_expression` render them.
"""

from __future__ import annotations

import math
import re
import sys
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass

FTS5_TOKENIZE = "unicode61 remove_diacritics 0 tokenchars '._-'"
"""FTS5 ``tokenize=`` option under which every analysed term is one token."""

# fmt: off
STOP_WORDS: frozenset[str] = frozenset([
    "a", "about", "above", "after", "again", "against", "all", "also", "am", "an", "and",
    "any", "are", "as", "at", "be", "because", "been", "before", "being", "below",
    "between", "both", "but", "by", "can", "could", "did", "do", "does", "doing", "during",
    "each", "either", "else", "etc", "even", "ever", "every", "few", "for", "from",
    "further", "had", "has", "have", "having", "he", "her", "here", "hers", "herself",
    "him", "himself", "his", "how", "however", "i", "if", "in", "into", "is", "it", "its",
    "itself", "just", "let", "like", "may", "me", "might", "more", "most", "much", "must",
    "my", "myself", "neither", "no", "nor", "not", "now", "of", "often", "on", "once",
    "one", "only", "or", "other", "our", "ours", "ourselves", "own", "per", "please",
    "same", "shall", "she", "should", "since", "so", "some", "still", "such", "than",
    "that", "the", "their", "theirs", "them", "themselves", "then", "there", "these",
    "they", "this", "those", "though", "through", "thus", "to", "too", "until", "upon",
    "us", "very", "via", "was", "we", "were", "what", "when", "where", "whether", "which",
    "while", "who", "whom", "whose", "why", "will", "with", "within", "without", "would",
    "yet", "you", "your", "yours", "yourself", "yourselves",
])
# fmt: on
"""English function words; domain words are left to IDF, not to a list.

Words that carry meaning in incidents (``down``, ``out``, ``off``, ``up``) are
deliberately kept.
"""

_COMPOUND = re.compile(r"[^\W_]\w*(?:[.\-#/\\]+\w+)*")
_SEPARATORS = re.compile(r"[.\-#/\\]+")
_VERSION = re.compile(r"v?\d+(?:\.\d+)+(?:[.\-_]?[a-z][a-z0-9]*)?", re.IGNORECASE)
_VERSION_CORE = re.compile(r"\d+(?:\.\d+)+")
_SUBWORD = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|\d+|[^\W\d_]+")
_HEXLIKE = re.compile(r"(?=[a-f]*\d)(?=\d*[a-f])[0-9a-f]{8,}")
_LONG_DIGITS = re.compile(r"\d{6,}")
_PATH_SEPARATORS = re.compile(r"[/\\]")
_WHOLE_SEPARATORS = re.compile(r"[.\-#]+")

_EXCEPTION = re.compile(
    r"\b(?:[A-Za-z_$][\w$]*\.)*([A-Z][\w$]*(?:Exception|Error|Fault|Failure))\b"
)
_JAVA_FRAME = re.compile(r"\bat\s+((?:[\w$<>]+\.)+)([\w$<>]+)\s*\(")
_PYTHON_FRAME = re.compile(r'File "(?:[^"]*[/\\])?([^"/\\]+)", line \d+, in ([\w<>]+)')

MIN_WORD_LENGTH = 2
MAX_TERM_LENGTH = 64
MIN_NUMBER_LENGTH = 3


def analyse(text: str) -> list[str]:
    """Return the analysed terms of ``text`` in reading order (repeats kept)."""
    terms: list[str] = []
    for match in _COMPOUND.finditer(text):
        terms.extend(_compound_terms(match.group()))
    return terms


def _compound_terms(compound: str) -> Iterator[str]:
    """Terms of one space-free compound (see the module docstring)."""
    if _VERSION.fullmatch(compound):
        core = _VERSION_CORE.search(compound)
        if core is not None:
            yield core.group()
        return
    parts = [part for part in _SEPARATORS.split(compound) if part]
    if len(parts) > 1 and not _PATH_SEPARATORS.search(compound):
        whole = _WHOLE_SEPARATORS.sub(_first_separator, compound).lower()
        if _is_kept(whole):
            yield whole
    for part in parts:
        yield from _identifier_terms(part)


def _first_separator(match: re.Match[str]) -> str:
    """Collapse a separator run to ``-`` or ``.`` (``#`` reads as ``.``)."""
    return "-" if match.group()[0] == "-" else "."


def _identifier_terms(part: str) -> Iterator[str]:
    """Whole identifier (if it is one) followed by its normalised sub-words."""
    if _HEXLIKE.fullmatch(part.lower()):
        return
    subwords = [word for chunk in part.split("_") for word in _SUBWORD.findall(chunk)]
    if len(subwords) > 1:
        whole = part.lower().strip("_")
        if _is_kept(whole):
            yield whole
    for word in subwords:
        term = normalise_word(word)
        if term is not None:
            yield term


def normalise_word(word: str) -> str | None:
    """Lowercase, drop stop words and noise, stem; ``None`` if dropped."""
    lowered = word.lower()
    if lowered.isdigit():
        return lowered if MIN_NUMBER_LENGTH <= len(lowered) < 6 else None
    if len(lowered) < MIN_WORD_LENGTH or lowered in STOP_WORDS:
        return None
    if not _is_kept(lowered):
        return None
    return stem(lowered)


def _is_kept(term: str) -> bool:
    """False for terms that are ids or hashes rather than words."""
    if len(term) > MAX_TERM_LENGTH:
        return False
    return not (_HEXLIKE.search(term) or _LONG_DIGITS.search(term))


def stem(word: str) -> str:
    """Conservative suffix stripping: plurals, ``-ing`` and ``-ed``.

    Only alphabetic words longer than four letters are touched and the stem
    keeps at least three letters, so identifiers' sub-words and short words
    stay readable in the reasons shown to users.
    """
    if len(word) <= 4 or not word.isalpha():
        return word
    for suffix, replacement in (("ies", "y"), ("sses", "ss"), ("ing", ""), ("ed", "")):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return _undouble(word[: -len(suffix)] + replacement)
    if word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def _undouble(stemmed: str) -> str:
    """``runn`` -> ``run`` after stripping ``-ing``/``-ed``."""
    if len(stemmed) > 3 and stemmed[-1] == stemmed[-2] and stemmed[-1] not in "lsz":
        return stemmed[:-1]
    return stemmed


def extract_signatures(text: str) -> list[str]:
    """Exception names and stack frames of ``text``, in order, deduplicated.

    Exceptions are reduced to their simple class name (``ioexception``);
    Java frames to ``class.method`` of the innermost named class
    (``webserver.servicestart``); Python frames to ``file.py:function``.
    Line numbers are ignored because they change between releases.
    """
    found: dict[str, None] = {}
    for match in _EXCEPTION.finditer(text):
        found.setdefault("exc:" + match.group(1).lower(), None)
    for match in _JAVA_FRAME.finditer(text):
        owner = match.group(1).rstrip(".").split(".")[-1].split("$")[0]
        found.setdefault(f"at:{owner}.{match.group(2)}".lower(), None)
    for match in _PYTHON_FRAME.finditer(text):
        found.setdefault(f"at:{match.group(1)}:{match.group(2)}".lower(), None)
    return list(found)


@dataclass(frozen=True, slots=True)
class AnalysedText:
    """The analysed form of a case, as stored at write time.

    ``title`` and ``body`` keep term order (the FTS columns are built from
    them); ``extra`` holds signature terms and structured fields (service,
    component, version) that are indexed in the third FTS column.
    """

    title: tuple[str, ...]
    body: tuple[str, ...]
    extra: tuple[str, ...]

    def fts_columns(self) -> tuple[str, str, str]:
        """Space-joined text for the FTS ``(title, body, extra)`` columns."""
        return (" ".join(self.title), " ".join(self.body), " ".join(self.extra))

    def all_terms(self) -> frozenset[str]:
        """Distinct terms over the three columns."""
        return frozenset(self.title) | frozenset(self.body) | frozenset(self.extra)


def analyse_case(title: str, description: str, fields: Iterable[str] = ()) -> AnalysedText:
    """Analyse a case: title, description, and structured ``fields`` values.

    Signature terms go to ``extra`` as the plain analysed terms of the
    exception / frame names, so that they can be matched by the FTS engine.
    """
    extra: list[str] = []
    for signature in extract_signatures(description):
        extra.extend(analyse(signature.split(":", 1)[1]))
    for value in fields:
        extra.extend(analyse(value))
    return AnalysedText(tuple(analyse(title)), tuple(analyse(description)), tuple(extra))


def idf(doc_freq: int, n_docs: int) -> float:
    """BM25 (Robertson-Sparck Jones) IDF, floored at a small positive value.

    The same formula as FTS5's ``bm25()``, so the Python side weights terms the
    way the candidate query did.
    """
    value = math.log((n_docs - doc_freq + 0.5) / (doc_freq + 0.5))
    return max(value, 1e-6)


def select_query_terms(
    title: Sequence[str],
    body: Sequence[str],
    doc_freq: Mapping[str, int],
    n_docs: int,
    *,
    max_terms: int = 24,
    title_boost: float = 3.0,
    max_df_ratio: float = 0.05,
    max_postings: int | None = None,
) -> list[str]:
    """The most informative terms of a document for the candidate query.

    A term's weight is ``idf * (title_boost * [in title] + log1p(tf_body))``.
    Terms that occur in no other document (``doc_freq <= 1``) cannot retrieve
    anything and are skipped; terms in more than ``max_df_ratio`` of the
    documents are skipped too.  Terms are then taken best first while their
    summed document frequency stays within ``max_postings`` (a term that would
    overflow it is passed over for rarer ones): the OR-query's cost is linear
    in the postings it merges, so this bounds its latency whatever the corpus
    size, at the price of dropping common terms only on large corpora.
    """
    weights = _term_weights(title, body, doc_freq, n_docs, title_boost)
    max_df = max(2, int(max_df_ratio * n_docs))
    budget = max_postings if max_postings is not None else sys.maxsize
    chosen: list[str] = []
    for term in sorted(weights, key=lambda t: (-weights[t], t)):
        df = doc_freq[term]
        if df > max_df or df > budget:
            continue
        chosen.append(term)
        budget -= df
        if len(chosen) == max_terms:
            break
    return chosen


def _term_weights(
    title: Sequence[str],
    body: Sequence[str],
    doc_freq: Mapping[str, int],
    n_docs: int,
    title_boost: float,
) -> dict[str, float]:
    """Selection weight of every term of the document seen in other documents."""
    body_tf: dict[str, int] = {}
    for term in body:
        body_tf[term] = body_tf.get(term, 0) + 1
    title_set = set(title)
    weights: dict[str, float] = {}
    for term in title_set | body_tf.keys():
        df = doc_freq.get(term, 0)
        if df > 1:
            presence = title_boost * (term in title_set) + math.log1p(body_tf.get(term, 0))
            weights[term] = idf(df, n_docs) * presence
    return weights


def fts5_match_expression(terms: Iterable[str]) -> str:
    """An FTS5 ``MATCH`` string OR-ing the quoted terms."""
    return " OR ".join('"' + term.replace('"', '""') + '"' for term in terms)


def tsquery_expression(terms: Iterable[str]) -> str:
    """A PostgreSQL ``tsquery`` literal OR-ing the terms verbatim.

    Cast it with ``::tsquery`` (not ``to_tsquery``) so PostgreSQL's parser
    does not re-split terms such as ``foo_bar`` or ``3.3.5``.
    """
    return " | ".join("'" + term.replace("'", "''") + "'" for term in terms)


def tsvector_literal(analysed: AnalysedText) -> str:
    """A PostgreSQL ``tsvector`` literal with weights A/B/C for the columns.

    Positions are assigned in reading order across the columns, as the FTS5
    columns would see them; ``ts_rank_cd`` needs positions.
    """
    parts: list[str] = []
    position = 1
    for weight, terms in (("A", analysed.title), ("B", analysed.body), ("C", analysed.extra)):
        for term in terms:
            if position > 16383:
                break
            parts.append("'" + term.replace("'", "''") + f"':{position}{weight}")
            position += 1
    return " ".join(parts)
