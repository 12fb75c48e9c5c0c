"""The full-text side of the occurrence index, one implementation per database vendor.

SQLite: contentless FTS5 tables (``occ_case`` with title/body/extra columns, ``occ_case_title``,
and ``occ_other`` for work items and known resolutions), rowid = ``Document.id``.
PostgreSQL: the ``occurrences_posting`` table of ``index.postings`` (one row per scope, term and
document, scored like ``bm25()``). Both index the analysed terms of ``text.analyse_case``, never
raw text.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from django.db import connection
from django.db.backends.base.base import BaseDatabaseWrapper

from casebridge.occurrences.index import postings
from casebridge.occurrences.index.text import (
    FTS5_TOKENIZE,
    AnalysedText,
    fts5_match_expression,
)

Columns = tuple[str, str, str]

SQLITE_SCHEMA = [
    f"CREATE VIRTUAL TABLE occ_case USING fts5(title, body, extra, content='', "
    f'tokenize="{FTS5_TOKENIZE}")',
    f"CREATE VIRTUAL TABLE occ_case_title USING fts5(title, content='', "
    f'tokenize="{FTS5_TOKENIZE}")',
    f"CREATE VIRTUAL TABLE occ_other USING fts5(title, body, extra, content='', "
    f'tokenize="{FTS5_TOKENIZE}")',
]
SQLITE_DROP = [
    "DROP TABLE IF EXISTS occ_case",
    "DROP TABLE IF EXISTS occ_case_title",
    "DROP TABLE IF EXISTS occ_other",
]
POSTGRES_SCHEMA = postings.SCHEMA
POSTGRES_DROP = postings.DROP


@dataclass(frozen=True, slots=True)
class CandidateSettings:
    """Parameters of the two bounded candidate queries.

    The main query ORs at most ``max_terms`` terms chosen by
    ``text.select_query_terms`` (document frequencies of the main index, at
    most ``max_postings`` postings) against the ``(title, body, extra)`` index,
    ranked by ``bm25()`` with the ``*_weight`` column weights (PostgreSQL: the
    weights of ``postings.COLUMN_WEIGHTS``, applied when a document is written), ``limit`` rows.
    The title query does the same against a title-only index, with title
    document frequencies and ``title_max_postings``, ``title_limit`` rows: on
    large corpora the posting budget drops common words from the main query,
    and the title index, whose posting lists are far shorter, recovers cases
    whose titles share them.  The union is re-ranked in Python.
    """

    max_terms: int = 24
    title_boost: float = 3.0
    max_df_ratio: float = 0.05
    max_postings: int = 8_000
    limit: int = 100
    title_max_postings: int = 3_000
    title_limit: int = 40
    title_weight: float = 3.0
    body_weight: float = 1.0
    extra_weight: float = 1.0


DEFAULT_CANDIDATE_SETTINGS = CandidateSettings()


def create_schema(vendor: str) -> list[str]:
    return SQLITE_SCHEMA if vendor == "sqlite" else POSTGRES_SCHEMA


def drop_schema(vendor: str) -> list[str]:
    return SQLITE_DROP if vendor == "sqlite" else POSTGRES_DROP


def _sqlite_tables(is_case: bool) -> list[str]:
    return ["occ_case", "occ_case_title"] if is_case else ["occ_other"]


def write(doc_id: int, is_case: bool, analysed: AnalysedText, old: Columns | None) -> None:
    """Index (or re-index) one document; ``old`` is what was indexed before, if anything."""
    columns = analysed.fts_columns()
    with connection.cursor() as cursor:
        if connection.vendor != "sqlite":
            old_terms = " ".join(old).split() if old is not None else []
            postings.write(cursor, doc_id, analysed, is_case, old_terms)
            return
        for table in _sqlite_tables(is_case):
            values = list(columns) if table != "occ_case_title" else [columns[0]]
            names = "title, body, extra" if table != "occ_case_title" else "title"
            marks = ", ".join(["%s"] * len(values))
            if old is not None:
                before = list(old) if table != "occ_case_title" else [old[0]]
                cursor.execute(
                    f"INSERT INTO {table}({table}, rowid, {names}) "  # noqa: S608 - constant names
                    f"VALUES ('delete', %s, {marks})",
                    [doc_id, *before],
                )
            cursor.execute(
                f"INSERT INTO {table}(rowid, {names}) VALUES (%s, {marks})",  # noqa: S608
                [doc_id, *values],
            )


def candidates(
    terms: Sequence[str],
    *,
    cases: bool,
    before: int | None,
    settings: CandidateSettings,
    title_only: bool = False,
    idf: Mapping[str, float] | None = None,
) -> dict[int, float]:
    """Document id -> full-text score (larger is better) for an OR of ``terms``.

    ``cases`` searches case documents (earlier than document ``before`` when given), otherwise
    work items and known resolutions. ``title_only`` uses the title index (cases). ``idf``:
    the terms' IDF from the term statistics (PostgreSQL; FTS5 counts its own).
    """
    if not terms:
        return {}
    limit = settings.title_limit if title_only else settings.limit
    bound = before if before is not None else 2**62
    weights = [settings.title_weight, settings.body_weight, settings.extra_weight]
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            table = "occ_case_title" if title_only else ("occ_case" if cases else "occ_other")
            rank = f"bm25({table})" if title_only else f"bm25({table}, %s, %s, %s)"
            rank_args = [] if title_only else weights
            # Sorting by the alias computes bm25() once per matching row; "SELECT -bm25(...)
            # ... ORDER BY bm25(...)" computed it twice, and bm25() is most of the query's cost.
            cursor.execute(
                f"SELECT rowid, {rank} AS score FROM {table} "  # noqa: S608 - constant names
                f"WHERE {table} MATCH %s AND rowid < %s "
                f"ORDER BY score LIMIT %s",
                [*rank_args, fts5_match_expression(terms), bound, limit],
            )
            return {int(row[0]): -float(row[1]) for row in cursor.fetchall()}
        scope = postings.SCOPE_CASE_TITLE if title_only else postings.SCOPE_CASE
        sql, params = postings.statement(
            terms,
            idf or {},
            scope=scope if cases else postings.SCOPE_OTHER,
            before=bound,
            limit=limit,
        )
        cursor.execute(sql, params)
        return {int(row[0]): float(row[1]) for row in cursor.fetchall()}


def reset_if_empty(conn: BaseDatabaseWrapper) -> None:
    if conn.vendor != "sqlite":
        with conn.cursor() as cursor:
            cursor.execute("SELECT to_regclass(%s)", [postings.TABLE])
            if cursor.fetchone()[0] is None:
                return
            cursor.execute("SELECT 1 FROM occurrences_document LIMIT 1")
            if cursor.fetchone() is None:
                cursor.execute(f"TRUNCATE {postings.TABLE}")
        return
    with conn.cursor() as cursor:
        cursor.execute("SELECT name FROM sqlite_master WHERE name = 'occ_case'")
        if cursor.fetchone() is None:
            return
        cursor.execute("SELECT 1 FROM occurrences_document LIMIT 1")
        if cursor.fetchone() is not None:
            return
        for table in ("occ_case", "occ_case_title", "occ_other"):
            cursor.execute(f"INSERT INTO {table}({table}) VALUES ('delete-all')")  # noqa: S608
