"""Write many rows of one model with one prepared statement (``executemany``).

Django's ``bulk_update`` builds a ``CASE WHEN pk = ... THEN ...`` expression per field and row and
compiles it in Python: for a few hundred rows that takes longer than the database needs to write
them, and on SQLite it takes it while holding the write lock. Here every row is one execution of
the same ``UPDATE ... WHERE pk = %s`` (or ``INSERT``): the database driver prepares the statement
once and only the values change. The values go through each field's ``get_db_prep_save``, as the
ORM would send them, so JSON, datetimes and foreign keys behave the same on SQLite and PostgreSQL.

These are plain writes, like ``QuerySet.update``: no ``save()``, no signals, no defaults filled in
beyond what the instances already hold. Callers own the transaction.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from django.db import connection
from django.db.models import Field, Model


def _fields(model: type[Model], names: Iterable[str]) -> list[Field[Any, Any]]:
    fields = [model._meta.get_field(name) for name in names]
    concrete = [f for f in fields if isinstance(f, Field) and f.concrete]
    if len(concrete) != len(fields):
        raise ValueError(f"Only concrete fields can be written: {list(names)}")
    return concrete


def _column(field: Field[Any, Any]) -> str:
    assert field.column is not None
    return connection.ops.quote_name(field.column)


def _values(fields: Sequence[Field[Any, Any]], obj: Model) -> list[Any]:
    return [f.get_db_prep_save(getattr(obj, f.attname), connection) for f in fields]


def rows_update(model: type[Model], objs: Sequence[Model], names: Sequence[str]) -> None:
    """``UPDATE`` the ``names`` fields of every object (each has a primary key) by its key."""
    if not objs:
        return
    fields = _fields(model, names)
    pk = model._meta.pk
    assert pk is not None
    assignments = ", ".join(f"{_column(f)} = %s" for f in fields)
    table = connection.ops.quote_name(model._meta.db_table)
    sql = f"UPDATE {table} SET {assignments} WHERE {_column(pk)} = %s"  # noqa: S608 - model names
    rows = [[*_values(fields, obj), obj.pk] for obj in objs]
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)


def rows_insert(model: type[Model], objs: Sequence[Model]) -> None:
    """``INSERT`` every object with all its concrete fields but an automatic primary key.

    The objects' primary keys stay unset: use ``bulk_create`` when the caller needs them.
    """
    if not objs:
        return
    meta = model._meta
    fields = [f for f in meta.concrete_fields if f is not meta.auto_field]
    columns = ", ".join(_column(f) for f in fields)
    marks = ", ".join(["%s"] * len(fields))
    table = connection.ops.quote_name(meta.db_table)
    sql = f"INSERT INTO {table} ({columns}) VALUES ({marks})"  # noqa: S608 - model names
    rows = [_values(fields, obj) for obj in objs]
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)
