"""Read and write rows with statements built once, not compiled by the ORM on every call.

``rows_update`` and ``rows_insert`` write many rows of one model with one prepared statement
(``executemany``); ``row_insert`` writes one new object and sets its key; ``row_by`` reads one
row by a unique key, and ``rows_read`` turns rows read on the bare cursor into model instances.
They are for measured hot paths (case intake, the alert fold, API authentication), where
building the SQL costs more than running it; everything else uses the ORM.

Django's ``bulk_update`` builds a ``CASE WHEN pk = ... THEN ...`` expression per field and row and
compiles it in Python: for a few hundred rows that takes longer than the database needs to write
them, and on SQLite it takes it while holding the write lock. Here every row is one execution of
the same ``UPDATE ... WHERE pk = %s`` (or ``INSERT``): the database driver prepares the statement
once and only the values change. The values go through each field's ``get_db_prep_save``, as the
ORM would send them, so JSON, datetimes and foreign keys behave the same on SQLite and PostgreSQL.

These are plain writes, like ``QuerySet.update``: no ``save()``, no signals. Inserts fill values
as ``save()`` does (each field's ``pre_save``: defaults held by the instance, ``auto_now``). Callers
own the transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from functools import cache
from typing import Never

from django.core.exceptions import MultipleObjectsReturned
from django.db import connection, models
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Field, Model
from django.db.models.expressions import Col
from django.db.models.fields import AutoFieldMixin

#: A field of any model, whatever its values: Field's value to write is contravariant, so the
#: field that accepts every value type is ``Field[Never, ...]`` (nothing is written through it
#: here but database values the field itself prepared).
type ModelField = Field[Never, object]


def _fields(model: type[Model], names: Iterable[str]) -> list[ModelField]:
    fields = [model._meta.get_field(name) for name in names]
    concrete = [f for f in fields if isinstance(f, Field) and f.concrete]
    if len(concrete) != len(fields):
        raise ValueError(f"Only concrete fields can be written: {list(names)}")
    return concrete


def _column(field: ModelField) -> str:
    assert field.column is not None
    return connection.ops.quote_name(field.column)


#: Field classes whose ``get_db_prep_save`` returns a value of this plain type unchanged.
_PLAIN: dict[type[Field[Never, object]], type] = {
    models.CharField: str,
    models.TextField: str,
    models.SlugField: str,
    models.IntegerField: int,
    models.BigIntegerField: int,
    models.PositiveIntegerField: int,
    models.PositiveSmallIntegerField: int,
    models.SmallIntegerField: int,
    models.BooleanField: bool,
}


MAX_ADAPTED = 1000


def _preparer(field: ModelField) -> Callable[[object], object]:
    """The value as ``field.get_db_prep_save`` sends it to the driver, taking the short way for
    the values that function would return unchanged (a ``str`` of a ``CharField``, an ``int``
    key) or only adapt (an aware ``datetime``): the general way costs several calls per value,
    which the alert fold pays for every field of thousands of rows."""

    def general(value: object) -> object:
        return field.get_db_prep_save(value, connection)

    plain = _PLAIN.get(type(field))
    if type(field) is models.ForeignKey and isinstance(field.target_field, AutoFieldMixin):
        plain = object  # a key: sent as it is (``AutoFieldMixin.get_db_prep_value``)
    if plain is object:

        def prepare_key(value: object) -> object:
            return value if value is None or type(value) is int else general(value)

        return prepare_key
    if plain is int:
        internal = field.get_internal_type()  # PostgreSQL: psycopg's Int4, Int8, ...

        def prepare_int(value: object) -> object:
            if type(value) is int:
                return connection.ops.adapt_integerfield_value(value, internal)
            return None if value is None else general(value)

        return prepare_int
    if plain is not None:
        kind = plain

        def prepare(value: object) -> object:
            return value if value is None or type(value) is kind else general(value)

        return prepare
    if type(field) is models.DateTimeField:
        adapted: dict[datetime, object] = {}  # the rows of one batch share a few moments

        def prepare_datetime(value: object) -> object:
            if type(value) is datetime and value.tzinfo is not None:
                found = adapted.get(value)
                if found is None:
                    if len(adapted) > MAX_ADAPTED:
                        adapted.clear()
                    found = adapted[value] = connection.ops.adapt_datetimefield_value(value)
                return found
            return general(value)

        return prepare_datetime
    return general


@cache
def _preparers(
    model: type[Model], names: tuple[str, ...], vendor: str
) -> tuple[tuple[str, Callable[[object], object]], ...]:
    fields = _by_attname(model)
    return tuple((name, _preparer(fields[name])) for name in names)


def _values(fields: Sequence[ModelField], obj: Model) -> list[object]:
    model = type(obj)
    prepared = _preparers(model, tuple(f.attname for f in fields), connection.vendor)
    return [prepare(getattr(obj, name)) for name, prepare in prepared]


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


@cache
def _insert_sql(model: type[Model], vendor: str) -> tuple[str, tuple[ModelField, ...]]:
    """``INSERT`` of every concrete field but an automatic primary key (cached per database)."""
    meta = model._meta
    fields = tuple(f for f in meta.concrete_fields if f is not meta.auto_field)
    columns = ", ".join(_column(f) for f in fields)
    marks = ", ".join(["%s"] * len(fields))
    table = connection.ops.quote_name(meta.db_table)
    return f"INSERT INTO {table} ({columns}) VALUES ({marks})", fields  # noqa: S608 - model names


def _insert_values(fields: Sequence[ModelField], obj: Model) -> list[object]:
    """The values as each field prepares them for the driver: plain values or the driver's own
    adapters (psycopg's ``Jsonb``), wider than the parameter types django-stubs lists."""
    model = type(obj)
    prepared = _preparers(model, tuple(f.attname for f in fields), connection.vendor)
    return [
        prepare(f.pre_save(obj, True)) for f, (_, prepare) in zip(fields, prepared, strict=True)
    ]


def rows_insert(model: type[Model], objs: Sequence[Model]) -> None:
    """``INSERT`` every object with all its concrete fields but an automatic primary key.

    The objects' primary keys stay unset: use ``bulk_create`` when the caller needs them.
    """
    if not objs:
        return
    sql, fields = _insert_sql(model, connection.vendor)
    rows = [_insert_values(fields, obj) for obj in objs]
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)  # type: ignore[arg-type]  # see _insert_values


def row_insert[M: Model](obj: M) -> M:
    """``INSERT`` one new object as ``save()`` would, set its primary key and return it."""
    model = type(obj)
    meta = model._meta
    sql, fields = _insert_sql(model, connection.vendor)
    auto = meta.auto_field
    returning = f" RETURNING {_column(auto)}" if auto is not None else ""
    with connection.cursor() as cursor:
        cursor.execute(sql + returning, _insert_values(fields, obj))  # type: ignore[arg-type]
        if auto is not None:
            setattr(obj, auto.attname, cursor.fetchone()[0])
    obj._state.adding = False
    obj._state.db = connection.alias
    return obj


def _multi_insert(objs: Sequence[Model]) -> tuple[ModelField, str, list[object]]:
    """The automatic primary key of the objects' model, and one ``INSERT`` of all of them with
    its values (a statement to end with ``RETURNING``)."""
    model = type(objs[0])
    auto = model._meta.auto_field
    assert auto is not None, f"{model.__name__} has no automatic primary key"
    sql, fields = _insert_sql(model, connection.vendor)
    head, _, marks = sql.rpartition(" VALUES ")
    values: list[object] = []
    for obj in objs:
        values.extend(_insert_values(fields, obj))
    return auto, f"{head} VALUES {', '.join([marks] * len(objs))}", values


def rows_insert_returning[M: Model](objs: Sequence[M]) -> list[M]:
    """``INSERT`` new objects of one model in one statement, set their primary keys (in the
    order given, as ``bulk_create`` reads them) and return them."""
    if not objs:
        return []
    auto, statement, values = _multi_insert(objs)
    statement += f" RETURNING {_column(auto)}"
    with connection.cursor() as cursor:
        cursor.execute(statement, values)  # type: ignore[arg-type]  # see _insert_values
        keys = [row[0] for row in cursor.fetchall()]
    for obj, key in zip(objs, keys, strict=True):
        setattr(obj, auto.attname, key)
        obj._state.adding = False
        obj._state.db = connection.alias
    return list(objs)


def rows_insert_new[M: Model](objs: Sequence[M], *, by: tuple[str, ...]) -> list[M]:
    """``INSERT`` new objects of one model in one statement, skipping those a unique constraint
    refuses (``ON CONFLICT DO NOTHING``: another process wrote the same meanwhile), and return
    the ones written, their primary keys set. ``by``: the fields that tell the objects apart
    (each written row is matched back to its object by their values)."""
    if not objs:
        return []
    auto, statement, values = _multi_insert(objs)
    named = _fields(type(objs[0]), by)
    back = ", ".join([_column(auto), *(_column(f) for f in named)])
    statement += f" ON CONFLICT DO NOTHING RETURNING {back}"
    mine = {tuple(getattr(obj, f.attname) for f in named): obj for obj in objs}
    written: list[M] = []
    with connection.cursor() as cursor:
        cursor.execute(statement, values)  # type: ignore[arg-type]  # see _insert_values
        for key, *rest in cursor.fetchall():
            obj = mine[tuple(rest)]
            setattr(obj, auto.attname, key)
            obj._state.adding = False
            obj._state.db = connection.alias
            written.append(obj)
    return written


@cache
def _update_sql(model: type[Model], vendor: str) -> tuple[str, tuple[ModelField, ...]]:
    """``UPDATE`` of every concrete field but the primary key, by the primary key."""
    meta = model._meta
    pk = meta.pk
    assert pk is not None
    fields = tuple(f for f in meta.concrete_fields if f is not pk)
    assignments = ", ".join(f"{_column(f)} = %s" for f in fields)
    table = connection.ops.quote_name(meta.db_table)
    return f"UPDATE {table} SET {assignments} WHERE {_column(pk)} = %s", fields  # noqa: S608


def row_save(obj: Model) -> None:
    """Write every field of an existing row as ``save()`` does (each field's ``pre_save``, so
    ``auto_now`` stamps), with a statement built once: no signals (Casebridge has none)."""
    sql, fields = _update_sql(type(obj), connection.vendor)
    values = [f.get_db_prep_save(f.pre_save(obj, False), connection) for f in fields]
    with connection.cursor() as cursor:
        cursor.execute(sql, [*values, obj.pk])
        if cursor.rowcount != 1:
            raise type(obj).DoesNotExist(f"{type(obj).__name__} {obj.pk} is gone")  # type: ignore[attr-defined]


def row_for_update[M: Model](model: type[M], pk: object) -> M:
    """The row of ``model`` with primary key ``pk``, locked for the transaction (``SELECT ...
    FOR UPDATE`` where the database has it; SQLite's writer holds the database), as
    ``select_for_update().get(pk=pk)`` reads it, with a statement built once."""
    key = model._meta.pk
    assert key is not None
    sql, attnames, where = _select_sql(model, (key.attname,), connection.vendor)
    if connection.features.has_select_for_update:
        sql += " FOR UPDATE"
    with connection.cursor() as cursor:
        cursor.execute(sql, [where[0].get_db_prep_value(pk, connection)])
        rows = cursor.fetchall()
    if not rows:
        raise model.DoesNotExist(f"{model.__name__} {pk} does not exist")  # type: ignore[attr-defined]
    return rows_read(model, attnames, rows)[0]


#: One of the ORM's converters of a value read: (value, column, connection) -> value.
Converter = Callable[[object, Col, BaseDatabaseWrapper], object]


@cache
def _by_attname(model: type[Model]) -> dict[str, ModelField]:
    return {f.attname: f for f in model._meta.concrete_fields}


@cache
def _converters(
    model: type[Model], names: tuple[str, ...], vendor: str
) -> list[tuple[Col, list[Converter]]]:
    """The ORM's converters for each named field's values as the database driver returns them,
    with the column expression they are called with."""
    table = model._meta.db_table
    result = []
    for name in names:
        col = _by_attname(model)[name].get_col(table)
        converters = [*connection.ops.get_db_converters(col), *col.get_db_converters(connection)]
        result.append((col, converters))
    return result


def rows_read[M: Model](
    model: type[M], names: Sequence[str], rows: Iterable[Sequence[object]]
) -> list[M]:
    """Instances of ``model`` from rows of the ``names`` fields' columns (by attribute name, as
    ``user_id``), read on the bare cursor; the values are converted as the ORM converts them and
    the fields not named are deferred."""
    attnames = tuple(names)
    converters = _converters(model, attnames, connection.vendor)
    objs = []
    for row in rows:
        values = list(row)
        for i, (col, convs) in enumerate(converters):
            for convert in convs:
                values[i] = convert(values[i], col, connection)
        objs.append(model.from_db(connection.alias, attnames, values))
    return objs


@cache
def _select_sql(
    model: type[Model], names: tuple[str, ...], vendor: str
) -> tuple[str, tuple[str, ...], tuple[ModelField, ...]]:
    """``SELECT`` of every concrete field where the ``names`` fields equal parameters: the SQL,
    the attribute names of the columns read, and the fields of the parameters."""
    fields = _by_attname(model)
    columns = ", ".join(_column(f) for f in fields.values())
    where = " AND ".join(f"{_column(fields[name])} = %s" for name in names)
    table = connection.ops.quote_name(model._meta.db_table)
    sql = f"SELECT {columns} FROM {table} WHERE {where}"  # noqa: S608 - model names
    return sql, tuple(fields), tuple(fields[name] for name in names)


def row_by[M: Model](model: type[M], **equals: object) -> M | None:
    """The one row of ``model`` whose fields (by attribute name) equal the values, or None:
    ``row_by(Service, slug="payments")``. For lookups by a unique key on hot paths."""
    names = tuple(sorted(equals))
    sql, attnames, where = _select_sql(model, names, connection.vendor)
    params = [f.get_db_prep_value(equals[f.attname], connection) for f in where]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchmany(2)
    if len(rows) > 1:
        raise MultipleObjectsReturned(f"{model.__name__} {equals} is not unique")
    return rows_read(model, attnames, rows)[0] if rows else None
