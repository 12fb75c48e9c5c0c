"""Schemas shared by every router."""

from __future__ import annotations

from typing import Any

from ninja import Schema
from pydantic import ConfigDict, Field


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
    def of(user: Any) -> UserRef | None:
        return None if user is None else UserRef.required(user)

    @staticmethod
    def required(user: Any) -> UserRef:
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
    return max(1, min(limit, 200)), max(0, offset)
