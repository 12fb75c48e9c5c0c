"""The full-text side of the occurrence index, for the database in use (see occurrences.index.search).

The PostgreSQL statements are frozen here as this migration first ran them (tsvector columns with
GIN indexes); migration 0006 replaced them with the postings table of ``index.postings``.
"""

from django.db import migrations

POSTGRES_SCHEMA = [
    "ALTER TABLE occurrences_document ADD COLUMN vector tsvector",
    "ALTER TABLE occurrences_document ADD COLUMN title_vector tsvector",
    "CREATE INDEX occ_case_vector ON occurrences_document USING gin (vector) WHERE kind = 'case'",
    "CREATE INDEX occ_case_title_vector ON occurrences_document USING gin (title_vector) "
    "WHERE kind = 'case'",
    "CREATE INDEX occ_other_vector ON occurrences_document USING gin (vector) WHERE kind <> 'case'",
]
POSTGRES_DROP = [
    "ALTER TABLE occurrences_document DROP COLUMN IF EXISTS vector",
    "ALTER TABLE occurrences_document DROP COLUMN IF EXISTS title_vector",
]


def create(apps, schema_editor):  # type: ignore[no-untyped-def]
    from casebridge.occurrences.index.search import SQLITE_SCHEMA  # noqa: PLC0415 - only when the migration runs, on SQLite

    vendor = schema_editor.connection.vendor
    for statement in SQLITE_SCHEMA if vendor == "sqlite" else POSTGRES_SCHEMA:
        schema_editor.execute(statement)


def drop(apps, schema_editor):  # type: ignore[no-untyped-def]
    from casebridge.occurrences.index.search import SQLITE_DROP  # noqa: PLC0415 - only when the migration runs, on SQLite

    vendor = schema_editor.connection.vendor
    for statement in SQLITE_DROP if vendor == "sqlite" else POSTGRES_DROP:
        schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("occurrences", "0001_initial")]
    operations = [migrations.RunPython(create, drop)]
