"""Errors as Azure DevOps answers them: a status and the service's JSON error body."""

from __future__ import annotations

from typing import Any


class ServiceError(Exception):
    """An error answer: ``status`` and the body ``{"$id", "innerException", "message", ...}``."""

    def __init__(
        self,
        status: int,
        message: str,
        type_key: str = "VssServiceException",
        *,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.type_key = type_key
        self.headers = dict(headers or {})

    def body(self) -> dict[str, Any]:
        return {
            "$id": "1",
            "innerException": None,
            "message": self.message,
            "typeName": f"Microsoft.TeamFoundation.WorkItemTracking.Server.{self.type_key}, "
            "Microsoft.TeamFoundation.WorkItemTracking.Server",
            "typeKey": self.type_key,
            "errorCode": 0,
            "eventId": 3200,
        }


def not_found(work_item: int) -> ServiceError:
    return ServiceError(
        404,
        f"TF401232: Work item {work_item} does not exist, or you do not have permissions to "
        "read it.",
        "WorkItemUnauthorizedAccessException",
    )


def rule_error(field: str, code: str) -> ServiceError:
    return ServiceError(
        400,
        f"TF401320: Rule Error for field {field}. Error code: {code}.",
        "RuleValidationException",
    )


def stale_revision(status: int) -> ServiceError:
    """What a PATCH whose ``test`` of ``/rev`` fails gets: 412 from Azure DevOps Services, 409
    from Azure DevOps Server."""
    return ServiceError(
        status,
        "TF26071: This work item has been changed by someone else since you opened it. You will "
        "need to refresh it and discard your changes.",
        "WorkItemRevisionMismatchException",
    )
