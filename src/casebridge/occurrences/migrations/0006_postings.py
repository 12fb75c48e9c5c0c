"""PostgreSQL: the candidate index moves from tsvector columns to the postings table of
``occurrences.index.postings`` (decision 0008). Existing documents are indexed from their stored
analysed columns (``fts_title``, ``fts_body``, ``fts_extra``). SQLite is unchanged (FTS5)."""

from django.db import migrations

BATCH = 2000
OLD_SCHEMA = [
    "ALTER TABLE occurrences_document ADD COLUMN vector tsvector",
    "ALTER TABLE occurrences_document ADD COLUMN title_vector tsvector",
    "CREATE INDEX occ_case_vector ON occurrences_document USING gin (vector) WHERE kind = 'case'",
    "CREATE INDEX occ_case_title_vector ON occurrences_document USING gin (title_vector) "
    "WHERE kind = 'case'",
    "CREATE INDEX occ_other_vector ON occurrences_document USING gin (vector) WHERE kind <> 'case'",
]


def _documents(connection):  # type: ignore[no-untyped-def]
    """(id, is_case, AnalysedText) of every document, in batches of ids."""
    from casebridge.occurrences.index.text import AnalysedText  # noqa: PLC0415 - only when the migration runs

    last = 0
    while True:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT id, kind, fts_title, fts_body, fts_extra FROM occurrences_document "
                "WHERE id > %s ORDER BY id LIMIT %s",
                [last, BATCH],
            )
            rows = cursor.fetchall()
        if not rows:
            return
        for doc_id, kind, title, body, extra in rows:
            yield (
                doc_id,
                kind == "case",
                AnalysedText(tuple(title.split()), tuple(body.split()), tuple(extra.split())),
            )
        last = rows[-1][0]


def forwards(apps, schema_editor):  # type: ignore[no-untyped-def]
    from casebridge.occurrences.index import postings

    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        return
    for statement in postings.SCHEMA:
        schema_editor.execute(statement)
    with connection.cursor() as cursor:
        for doc_id, is_case, analysed in _documents(connection):
            postings.write(cursor, doc_id, analysed, is_case, ())
    for statement in (
        "DROP INDEX IF EXISTS occ_case_vector",
        "DROP INDEX IF EXISTS occ_case_title_vector",
        "DROP INDEX IF EXISTS occ_other_vector",
        "ALTER TABLE occurrences_document DROP COLUMN IF EXISTS vector",
        "ALTER TABLE occurrences_document DROP COLUMN IF EXISTS title_vector",
    ):
        schema_editor.execute(statement)


def backwards(apps, schema_editor):  # type: ignore[no-untyped-def]
    from casebridge.occurrences.index import postings
    from casebridge.occurrences.index.text import AnalysedText, tsvector_literal  # noqa: PLC0415 - only when reversed

    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        return
    for statement in OLD_SCHEMA:
        schema_editor.execute(statement)
    with connection.cursor() as cursor:
        for doc_id, _, analysed in _documents(connection):
            title_only = AnalysedText(analysed.title, (), ())
            cursor.execute(
                "UPDATE occurrences_document SET vector = %s::tsvector, "
                "title_vector = %s::tsvector WHERE id = %s",
                [tsvector_literal(analysed), tsvector_literal(title_only), doc_id],
            )
    for statement in postings.DROP:
        schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("occurrences", "0005_signature_levels")]
    operations = [migrations.RunPython(forwards, backwards)]
