"""The PostgreSQL side of the occurrence index: a postings table scored like FTS5's ``bm25()``.

``occurrences_posting`` holds one row per (scope, term, document) with the term's BM25
term-frequency part for that document, computed when the document is written. Scopes: the
case index (title, body and extra columns), the case title index, and the index of work items
and known resolutions. The primary key ``(scope, term, doc_id) INCLUDE (weight)`` answers a
candidate query by an index-only scan over the query terms' postings; the score of a document
is ``sum(idf(term) * weight)`` over the query terms it contains, which is FTS5's ``bm25()``
(the same k1, b, column weights and IDF formula) except that the length normalisation uses a
fixed reference length instead of the live average, so a posting never changes after it is
written. The posting budgets of ``text.select_query_terms`` bound the rows read.

Why not the ``tsvector`` columns of migration 0002: ranking needs each matching document's
vector, and PostgreSQL de-TOASTs and ranks every match before the ``LIMIT`` (decision 0008).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence

from django.db.backends.utils import CursorWrapper

from casebridge.occurrences.index.text import AnalysedText

TABLE = "occurrences_posting"
SCOPE_CASE = 1
SCOPE_CASE_TITLE = 2
SCOPE_OTHER = 3

#: BM25 parameters, as FTS5's ``bm25()``.
K1 = 1.2
B = 0.75
#: Column weights of the (title, body, extra) scopes: ``CandidateSettings``' defaults.
COLUMN_WEIGHTS = (3.0, 1.0, 1.0)
#: Reference document lengths (analysed terms) for the length normalisation: about the mean of
#: the public Hadoop reports (146 terms, 8.4 in titles).
REFERENCE_LENGTH = 150.0
REFERENCE_TITLE_LENGTH = 8.0

SCHEMA = [
    f"CREATE TABLE {TABLE} (scope smallint NOT NULL, term text NOT NULL, "
    "doc_id bigint NOT NULL, weight real NOT NULL, "
    "CONSTRAINT occ_posting_pk PRIMARY KEY (scope, term, doc_id) INCLUDE (weight))",
]
DROP = [f"DROP TABLE IF EXISTS {TABLE}"]

Row = tuple[int, str, float]
#: What the candidate statement binds.
Param = str | int | float | list[str] | list[float]


def _bm25_tf(frequency: float, length: int, reference: float) -> float:
    return frequency * (K1 + 1) / (frequency + K1 * (1 - B + B * length / reference))


def rows(analysed: AnalysedText, is_case: bool) -> list[Row]:
    """(scope, term, weight) of one document: the case and title scopes, or the other one."""
    weighted: dict[str, float] = {}
    for weight, terms in zip(
        COLUMN_WEIGHTS, (analysed.title, analysed.body, analysed.extra), strict=True
    ):
        for term in terms:
            weighted[term] = weighted.get(term, 0.0) + weight
    length = len(analysed.title) + len(analysed.body) + len(analysed.extra)
    scope = SCOPE_CASE if is_case else SCOPE_OTHER
    out = [
        (scope, term, _bm25_tf(f, length, REFERENCE_LENGTH)) for term, f in sorted(weighted.items())
    ]
    if is_case:
        titles = Counter(analysed.title)
        n = len(analysed.title)
        out += [
            (SCOPE_CASE_TITLE, term, _bm25_tf(f, n, REFERENCE_TITLE_LENGTH))
            for term, f in sorted(titles.items())
        ]
    return out


def write(
    cursor: CursorWrapper, doc_id: int, analysed: AnalysedText, is_case: bool, old: Iterable[str]
) -> None:
    """Replace the postings of one document; ``old``: the terms it was indexed with before."""
    previous = sorted(set(old))
    if previous:
        cursor.execute(
            f"DELETE FROM {TABLE} WHERE scope IN (1, 2, 3) AND term = ANY(%s) "  # noqa: S608
            "AND doc_id = %s",
            [previous, doc_id],
        )
    new = rows(analysed, is_case)
    if new:
        cursor.execute(
            f"INSERT INTO {TABLE} (scope, term, doc_id, weight) "  # noqa: S608
            "SELECT s, t, %s, w FROM unnest(%s::smallint[], %s::text[], %s::real[]) AS x(s, t, w)",
            [doc_id, [r[0] for r in new], [r[1] for r in new], [r[2] for r in new]],
        )


def statement(
    terms: Sequence[str],
    idf: Mapping[str, float],
    *,
    scope: int,
    before: int,
    limit: int,
) -> tuple[str, list[Param]]:
    """The candidate query: the ``limit`` best documents of ``scope`` below id ``before``."""
    sql = (
        "SELECT p.doc_id, sum(p.weight * q.idf) AS score "  # noqa: S608 - constant names
        f"FROM unnest(%s::text[], %s::float8[]) AS q(term, idf) JOIN {TABLE} p "
        "ON p.scope = %s AND p.term = q.term AND p.doc_id < %s "
        "GROUP BY p.doc_id ORDER BY score DESC, p.doc_id DESC LIMIT %s"
    )
    return sql, [list(terms), [idf.get(t, 1.0) for t in terms], scope, before, limit]
