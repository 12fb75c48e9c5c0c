"""Human keys (CB-42, BUG-7) allocated from a counter row.

One upsert (``INSERT ... ON CONFLICT DO UPDATE ... RETURNING``) creates, increments and reads
the counter atomically in one statement: PostgreSQL takes a row lock, and SQLite (with IMMEDIATE
transactions) holds the write lock, so concurrent writers on either database never receive the
same number. Gaps are possible when a transaction rolls back; duplicates
are not.
"""

from __future__ import annotations

from django.db import connection


def next_number(sequence: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO core_sequence (name, value) VALUES (%s, 1) "
            "ON CONFLICT (name) DO UPDATE SET value = core_sequence.value + 1 RETURNING value",
            [sequence],
        )
        row = cursor.fetchone()
    assert row is not None
    return int(row[0])


def next_key(prefix: str) -> tuple[str, int]:
    number = next_number(prefix)
    return f"{prefix}-{number}", number
