"""CSV exports: streamed in blocks of rows, so 100,000 rows never sit in memory, and safe to open
in a spreadsheet (a cell starting with ``=``, ``+``, ``-``, ``@``, tab or carriage return is
prefixed with ``'`` so it is shown, not run as a formula: OWASP's advice on CSV injection).

Every export goes through ``csv_response``: the API's ``?format=csv`` on a list endpoint (its
query schema takes ``format: ExportFormat``, so another value is a 422 naming ``format``, and the
route declares ``openapi_extra=CSV_OPENAPI``) and the pages' "Export CSV" links. Rows come from
a selector that applies the viewer's visibility and reads in chunks (``values_list`` and
``iterator(chunk_size=CHUNK)``); ``chunked`` feeds such rows through a per-chunk lookup (an M2M's
names, say) so the lookup costs one query per chunk, not one per row.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import date, datetime
from decimal import Decimal
from itertools import islice
from typing import Literal

from django.db import connection
from django.http import StreamingHttpResponse

from casebridge.core import clock

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
#: Rows read from the database per query round trip, and written per streamed block.
CHUNK = 2000
BLOCK_ROWS = 500
#: SQLite's page cache (KiB) while an export streams; settings give connections 64 MB.
SCAN_CACHE_KIB = 2048

#: The ``format`` query parameter of a list endpoint that can answer in CSV.
ExportFormat = Literal["json", "csv"]

#: ``openapi_extra`` of a list endpoint that also answers ``?format=csv``.
CSV_OPENAPI: dict[str, object] = {
    "responses": {
        200: {
            "description": "OK (``format=csv``: the whole list as CSV, streamed)",
            "content": {"text/csv": {"schema": {"type": "string"}}},
        }
    }
}

Row = Sequence[object]


def cell(value: object) -> object:
    """One value as the csv module should write it; text that a spreadsheet would run as a
    formula is quoted with a leading ``'`` (a number such as ``-3`` stays a number)."""
    kind = type(value)
    if kind is int or kind is float or kind is Decimal:
        return value
    if value is None:
        text = ""
    elif kind is bool:
        text = "true" if value else "false"
    elif isinstance(value, datetime | date):
        text = value.isoformat()
    else:
        text = str(value)
        if text.startswith(FORMULA_STARTS) and not _is_number(text):
            text = "'" + text
    return text


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def csv_lines(header: Sequence[str], rows: Iterable[Row]) -> Iterator[bytes]:
    """The header, then the rows, as UTF-8 blocks of ``BLOCK_ROWS`` lines."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    iterator = iter(rows)
    while True:
        block = list(islice(iterator, BLOCK_ROWS))
        # Plain text that cannot start a formula (most cells) skips the call to ``cell``.
        writer.writerows(
            [
                [v if type(v) is str and not v.startswith(FORMULA_STARTS) else cell(v) for v in row]
                for row in block
            ]
        )
        text = buffer.getvalue()
        if text:
            yield text.encode()
        if len(block) < BLOCK_ROWS:
            return
        buffer.seek(0)
        buffer.truncate()


def chunked[T](
    rows: Iterable[T], enrich: Callable[[list[T]], Iterable[Row]], size: int = CHUNK
) -> Iterator[Row]:
    """``rows`` through ``enrich`` a chunk at a time (one lookup query per chunk)."""
    iterator = iter(rows)
    while block := list(islice(iterator, size)):
        yield from enrich(block)


def small_cache_scan[T](rows: Iterable[T]) -> Iterator[T]:
    """``rows``, with SQLite's page cache held at ``SCAN_CACHE_KIB`` while they are read.

    An export reads a whole table once, in order: caching its pages gains nothing, and with the
    connection's 64 MB cache a 100k-case export would fill it (64 MB more resident memory in the
    worker) and push out the pages that the queue's pages keep hot. PostgreSQL is unaffected.
    """
    if connection.vendor != "sqlite":
        yield from rows
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA cache_size")
        (previous,) = cursor.fetchone()
        cursor.execute(f"PRAGMA cache_size=-{SCAN_CACHE_KIB}")
    try:
        yield from rows
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA cache_size={int(previous)}")


def csv_response(name: str, header: Sequence[str], rows: Iterable[Row]) -> StreamingHttpResponse:
    """A streamed CSV download named ``<name>-<date>.csv``."""
    filename = f"{name}-{clock.now().date().isoformat()}.csv"
    response = StreamingHttpResponse(
        csv_lines(header, small_cache_scan(rows)), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response
