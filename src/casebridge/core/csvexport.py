"""CSV exports: streamed row by row, so 100,000 rows never sit in memory, and safe to open in a
spreadsheet (a cell starting with ``=``, ``+``, ``-``, ``@``, tab or carriage return is prefixed
with ``'`` so it is shown, not run as a formula: OWASP's advice on CSV injection)."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator, Sequence
from datetime import date, datetime

from django.http import StreamingHttpResponse

from casebridge.core import clock

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

#: ``openapi_extra`` of a list endpoint that also answers ``?format=csv``.
CSV_OPENAPI: dict[str, object] = {
    "responses": {
        200: {
            "description": "OK (``format=csv``: the whole list as CSV, streamed)",
            "content": {"text/csv": {"schema": {"type": "string"}}},
        }
    }
}


class _Line:
    """A file-like object whose ``write`` returns what it is given (csv.writer's output)."""

    def write(self, value: str) -> str:
        return value


def cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return "true" if value else "false"
    text = str(value)
    if text.startswith(FORMULA_STARTS) and not _is_number(text):
        return "'" + text
    return text


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def csv_lines(header: Sequence[str], rows: Iterable[Sequence[object]]) -> Iterator[str]:
    writer = csv.writer(_Line())
    yield writer.writerow(header)
    for row in rows:
        yield writer.writerow([cell(v) for v in row])


def csv_response(
    name: str, header: Sequence[str], rows: Iterable[Sequence[object]]
) -> StreamingHttpResponse:
    """A streamed CSV download named ``<name>-<date>.csv``."""
    filename = f"{name}-{clock.now().date().isoformat()}.csv"
    response = StreamingHttpResponse(
        csv_lines(header, rows), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response
