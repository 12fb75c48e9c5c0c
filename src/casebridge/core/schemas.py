"""Schemas shared by every router, and the bounded types every input schema uses.

Every integer a client sends is bounded (an unbounded one reaches the database and overflows:
a 500 on SQLite and PostgreSQL alike), and every time is aware and within a sane range:

* ``Id``: a row id (a path parameter, a reference in a body), 1 to 2**63 - 1 (a bigint).
* ``BoundedInt``: any other integer (offsets, counts, sizes, minutes), within a signed 32-bit
  integer; a field narrows it further with its own ``ge``/``le``.
* ``AwareDatetime``: an RFC 3339 time. Decision: a time without a zone, or a bare date
  (``2026-11-01``), is read in the server's time zone (``TIME_ZONE``), as a person typing a
  date means it; a year outside 1970..8999 is a 422 naming the field.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated

from django.utils import timezone
from ninja import Schema
from pydantic import BeforeValidator, ConfigDict, Field

from casebridge.core.actors import Actor

MAX_ID = 2**63 - 1
INT_MIN, INT_MAX = -(2**31), 2**31 - 1
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(9000, 1, 1, tzinfo=UTC)

Id = Annotated[int, Field(ge=1, le=MAX_ID)]
BoundedInt = Annotated[int, Field(ge=INT_MIN, le=INT_MAX)]
Offset = Annotated[int, Field(ge=0, le=INT_MAX, description="Rows to skip")]


def bounded_int(text: object, *, low: int = 1, high: int = MAX_ID) -> int | None:
    """A number typed in a URL, a key or a form (ASCII digits) within ``low..high``, else None.

    ``str.isdigit`` alone lets through ``²`` (``int`` refuses it) and numbers too large for a
    database column (``OverflowError``): both were 500s.
    """
    value = str(text).strip()
    if not (value.isascii() and value.isdigit()) or len(value) > len(str(MAX_ID)):
        return None
    number = int(value)
    return number if low <= number <= high else None


def aware_datetime(value: object) -> object:
    """A date or naive time read in the server's zone; out-of-range years refused."""
    if isinstance(value, str):
        text = value.strip().replace("z", "Z")
        try:
            value = datetime.fromisoformat(text) if "T" in text or " " in text else text
            if isinstance(value, str):
                value = date.fromisoformat(value)
        except ValueError as exc:
            raise ValueError(
                "Give an RFC 3339 time such as 2026-11-01T09:00:00Z, or a date 2026-11-01"
            ) from exc
    if isinstance(value, date) and not isinstance(value, datetime):
        value = datetime(value.year, value.month, value.day)
    if isinstance(value, datetime):
        if not EARLIEST.year <= value.year < LATEST.year:
            raise ValueError(f"Give a year from {EARLIEST.year} to {LATEST.year - 1}")
        if timezone.is_naive(value):
            value = timezone.make_aware(value, timezone.get_current_timezone())
    return value


AwareDatetime = Annotated[
    datetime,
    BeforeValidator(aware_datetime),
    Field(description="RFC 3339; a date or a time without a zone is in the server's zone"),
]


class InputSchema(Schema):
    """A request body. A field the schema does not know is an error, never silently dropped."""

    model_config = ConfigDict(extra="forbid")


class ErrorOut(Schema):
    code: str = Field(examples=["validation_error"])
    message: str
    fields: dict[str, str] = Field(default_factory=dict)


class ReasonOut(Schema):
    code: str
    message: str
    field: str | None = None


class RefusalOut(ErrorOut):
    reasons: list[ReasonOut] = Field(default_factory=list)


class UserRef(Schema):
    username: str
    name: str

    @staticmethod
    def of(user: Actor | None) -> UserRef | None:
        return None if user is None else UserRef.required(user)

    @staticmethod
    def required(user: Actor) -> UserRef:
        return UserRef(username=user.username, name=user.display_name)


#: The error responses every authenticated endpoint may give.
ERRORS: dict[int, type[Schema]] = {
    400: ErrorOut,
    401: ErrorOut,
    403: ErrorOut,
    404: ErrorOut,
    413: ErrorOut,
    415: ErrorOut,
    422: ErrorOut,
}
WRITE_ERRORS: dict[int, type[Schema]] = {**ERRORS, 409: RefusalOut}


def page_bounds(limit: int, offset: int) -> tuple[int, int]:
    return max(1, min(limit, 200)), max(0, min(offset, INT_MAX))
