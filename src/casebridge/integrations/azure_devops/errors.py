"""What can go wrong talking to Azure DevOps, as types an outbox handler can act on.

``retryable`` errors (``RateLimited``, ``Unavailable``) are worth trying again later, after
``retry_after`` seconds when the service said so; the others are permanent until something changes:
``Conflict`` (someone else changed the work item: re-read and merge), ``Unauthorized`` (the token
is wrong, expired or lacks a scope), ``NotFound``, ``Invalid`` (the service refused the request).

Messages name the request (method and API path) and the service's own message; they never carry
the personal access token or any header.
"""

from __future__ import annotations

from typing import ClassVar


class AzureDevOpsError(Exception):
    retryable: ClassVar[bool] = False

    def __init__(self, message: str, *, status: int | None = None, type_key: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.type_key = type_key

    def __repr__(self) -> str:
        return f"{type(self).__name__}(status={self.status!r}, message={self.message!r})"


class Unauthorized(AzureDevOpsError):
    """401 (or the sign-in page Azure DevOps answers instead): a wrong or expired token, or one
    without the Work Items (read & write) scope."""


class NotFound(AzureDevOpsError):
    """404: no such project or work item (or the token may not see it)."""


class Invalid(AzureDevOpsError):
    """400, 415 and other refusals: the request itself is wrong; sending it again will not help."""


class Conflict(AzureDevOpsError):
    """The work item changed since the revision the update was tested against (412 from Azure
    DevOps Services, 409 from Azure DevOps Server, ``TF26071``)."""


class RateLimited(AzureDevOpsError):
    """429: Azure DevOps blocked the request; try again after ``retry_after`` seconds."""

    retryable = True

    def __init__(self, message: str, *, retry_after: float, status: int | None = 429) -> None:
        super().__init__(message, status=status, type_key="RequestBlockedException")
        self.retry_after = retry_after


class Unavailable(AzureDevOpsError):
    """5xx, a timeout, or no answer at all (DNS, connection refused, TLS)."""

    retryable = True
