"""The full-text side of the occurrence index, for the database in use (see occurrences.index.search)."""

from django.db import migrations


def create(apps, schema_editor):  # type: ignore[no-untyped-def]
    from casebridge.occurrences.index.search import create_schema

    for statement in create_schema(schema_editor.connection.vendor):
        schema_editor.execute(statement)


def drop(apps, schema_editor):  # type: ignore[no-untyped-def]
    from casebridge.occurrences.index.search import drop_schema

    for statement in drop_schema(schema_editor.connection.vendor):
        schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("occurrences", "0001_initial")]
    operations = [migrations.RunPython(create, drop)]
