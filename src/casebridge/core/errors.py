"""Domain errors: a machine code, a human message and per-field messages.

The API maps them to JSON with a 4xx status, pages render the field messages beside the fields,
and the CLI prints them and exits non-zero.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from casebridge.core.text import plural


@dataclass(frozen=True)
class Reason:
    """One reason a change was refused; ``field`` names the input it concerns, if any."""

    code: str
    message: str
    field: str | None = None

    def as_dict(self) -> dict[str, str | None]:
        return {"code": self.code, "message": self.message, "field": self.field}


class DomainError(Exception):
    code = "error"
    status = 400

    def __init__(self, message: str, *, fields: Mapping[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.fields: dict[str, str] = dict(fields or {})

    def as_dict(self) -> dict[str, object]:
        return {"code": self.code, "message": self.message, "fields": self.fields}


class ValidationFailed(DomainError):
    code = "validation_error"
    status = 422


class NotFound(DomainError):
    code = "not_found"
    status = 404


class PermissionDenied(DomainError):
    code = "permission_denied"
    status = 403


class PayloadTooLarge(DomainError):
    code = "too_large"
    status = 413

    @classmethod
    def for_file(cls, limit: int) -> PayloadTooLarge:
        mib = limit / (1024 * 1024)
        return cls(
            f"The file is larger than the limit of {mib:g} MiB",
            fields={"file": f"Files are limited to {mib:g} MiB."},
        )


class Conflict(DomainError):
    code = "conflict"
    status = 409


class TransitionRefused(Conflict):
    """A workflow refused an action; ``reasons`` lists every reason at once."""

    code = "transition_refused"

    def __init__(self, action: str, reasons: Sequence[Reason]) -> None:
        self.action = action
        self.reasons = list(reasons)
        fields: dict[str, str] = {}
        for reason in self.reasons:
            key = reason.field or "action"
            fields[key] = f"{fields[key]} {reason.message}" if key in fields else reason.message
        count = len(self.reasons)
        summary = "; ".join(r.message for r in self.reasons)
        super().__init__(
            f"Cannot {action.replace('_', ' ')} ({plural(count, 'reason')}): {summary}",
            fields=fields,
        )

    def as_dict(self) -> dict[str, object]:
        data = super().as_dict()
        data["reasons"] = [r.as_dict() for r in self.reasons]
        return data


class TooManyRequests(DomainError):
    """429: over a rate limit; the API answers ``Retry-After: <retry_after>``."""

    code = "rate_limited"
    status = 429

    def __init__(self, message: str, *, retry_after: int, field: str = "rate") -> None:
        super().__init__(message, fields={field: message})
        self.retry_after = max(1, retry_after)
