"""What each door accepts: the event types it uses and the shape each must have, from the senders'
documentation (Azure DevOps "Service hooks events", GitHub "Webhook events and payloads", and our
own generic deployment event). A malformed delivery is refused naming the field; a well-formed
event this door does not use is answered ``ignored`` and not stored.

Other apps may add checks to a kind (``register_check``) from their ``AppConfig.ready()``: the
Azure DevOps connections check that a work item hook comes from the connection's project.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from casebridge.core.errors import ValidationFailed
from casebridge.core.urls import safe_external_url
from casebridge.integrations.delivery.models import DeliverySource, SourceKind

AZURE_EVENTS: dict[str, frozenset[str]] = {
    SourceKind.AZURE_DEVOPS: frozenset(
        {
            "workitem.created",
            "workitem.updated",
            "workitem.commented",
            "workitem.deleted",
            "workitem.restored",
        }
    ),
    SourceKind.AZURE_PIPELINES: frozenset(
        {
            "ms.vss-release.deployment-completed-event",
            "ms.vss-pipelines.run-state-changed-event",
            "ms.vss-pipelines.stage-state-changed-event",
        }
    ),
    SourceKind.AZURE_REPOS: frozenset(
        {"git.pullrequest.created", "git.pullrequest.updated", "git.pullrequest.merged"}
    ),
}
GITHUB_EVENTS = frozenset({"deployment_status", "pull_request", "pull_request_review"})
DEPLOYMENT_STATUSES = ("started", "succeeded", "failed", "cancelled")
#: BUG-7, FR-3, IMP-2 (Casebridge) or AB#123 (an Azure Boards id).
WORK_ITEM_REFERENCE = re.compile(r"^(?:(?:BUG|FR|IMP)-\d{1,9}|AB#\d{1,9})$")
MAX_WORK_ITEMS = 500

ExtraCheck = Callable[[DeliverySource, Mapping[str, object]], dict[str, str]]
_extra: dict[str, list[ExtraCheck]] = {}


def register_check(kind: str, check: ExtraCheck) -> None:
    if check not in _extra.setdefault(kind, []):
        _extra[kind].append(check)


@dataclass(frozen=True)
class Checked:
    event_type: str
    delivery_id: str = ""
    ignored: str = ""


def _refuse(fields: dict[str, str]) -> ValidationFailed:
    names = ", ".join(fields)
    return ValidationFailed(f"The delivery is not in the expected shape ({names})", fields=fields)


def _object(
    data: Mapping[str, object], path: str, errors: dict[str, str]
) -> Mapping[str, object] | None:
    """``data`` at dotted ``path`` if it is an object; otherwise ``None`` and an error names the
    path."""
    value: object = data
    for part in path.split("."):
        value = value.get(part) if isinstance(value, Mapping) else None
    if not isinstance(value, Mapping):
        errors.setdefault(path, "Expected an object.")
        return None
    return value


def _typed(
    data: Mapping[str, object], key: str, kind: type, errors: dict[str, str], where: str
) -> None:
    value = data.get(key)
    if not isinstance(value, kind) or isinstance(value, bool) or value in ("", None):
        label = "a number" if kind is int else "a non-empty string"
        errors.setdefault(f"{where}.{key}" if where else key, f"Expected {label}.")


def check(
    source: DeliverySource, headers: Mapping[str, str], data: Mapping[str, object]
) -> Checked:
    if source.kind == SourceKind.GITHUB:
        checked = _github(headers, data)
    elif source.kind == SourceKind.DEPLOYMENTS:
        checked = _deployment(headers, data)
    else:
        checked = _azure(source.kind, data)
    if not checked.ignored:
        errors: dict[str, str] = {}
        for extra in _extra.get(source.kind, ()):
            errors |= extra(source, data)  # a function, not QuerySet.extra  # nosec B610
        if errors:
            raise _refuse(errors)
    return checked


def _azure(kind: str, data: Mapping[str, object]) -> Checked:
    errors: dict[str, str] = {}
    event = data.get("eventType")
    if not isinstance(event, str) or not event:
        raise _refuse({"eventType": "Expected the service hook's event type."})
    if event not in AZURE_EVENTS[kind]:
        return Checked(event, ignored=f"This door does not use '{event}' events.")
    delivery = data.get("id")
    if not isinstance(delivery, str) or not 1 <= len(delivery) <= 200:
        errors["id"] = "Expected the notification's id."
    resource = _object(data, "resource", errors)
    if resource is not None:
        _azure_resource(event, resource, data, errors)
    if errors:
        raise _refuse(errors)
    return Checked(event, str(delivery))


def _azure_resource(
    event: str, resource: Mapping[str, object], data: Mapping[str, object], errors: dict[str, str]
) -> None:
    if event.startswith("workitem."):
        if event == "workitem.updated":
            _typed(resource, "workItemId", int, errors, "resource")
            _object(data, "resource.revision", errors)
        else:
            _typed(resource, "id", int, errors, "resource")
        _typed(resource, "rev", int, errors, "resource")
    elif event == "ms.vss-release.deployment-completed-event":
        environment = _object(data, "resource.environment", errors)
        if environment is not None:
            _typed(environment, "name", str, errors, "resource.environment")
            _typed(environment, "status", str, errors, "resource.environment")
    elif event.startswith("ms.vss-pipelines."):
        run = _object(data, "resource.run", errors)
        if run is not None:
            _typed(run, "state", str, errors, "resource.run")
        _object(data, "resource.pipeline", errors)
    else:
        _typed(resource, "pullRequestId", int, errors, "resource")
        _typed(resource, "status", str, errors, "resource")
        _object(data, "resource.repository", errors)


def _github(headers: Mapping[str, str], data: Mapping[str, object]) -> Checked:
    event = (headers.get("X-GitHub-Event") or "").strip()
    delivery = (headers.get("X-GitHub-Delivery") or "").strip()
    errors: dict[str, str] = {}
    if not event:
        errors["X-GitHub-Event"] = "Expected GitHub's event header."
    if not 1 <= len(delivery) <= 200:
        errors["X-GitHub-Delivery"] = "Expected GitHub's delivery id header."
    if errors:
        raise _refuse(errors)
    if event == "ping":
        return Checked("ping", delivery, ignored="pong")
    if event not in GITHUB_EVENTS:
        return Checked(event, delivery, ignored=f"This door does not use '{event}' events.")
    _github_shape(event, data, errors)
    if errors:
        raise _refuse(errors)
    action = data.get("action")
    return Checked(f"{event}.{action}" if isinstance(action, str) else event, delivery)


def _github_shape(event: str, data: Mapping[str, object], errors: dict[str, str]) -> None:
    if event == "deployment_status":
        status = _object(data, "deployment_status", errors)
        if status is not None:
            _typed(status, "state", str, errors, "deployment_status")
        deployment = _object(data, "deployment", errors)
        if deployment is not None:
            _typed(deployment, "environment", str, errors, "deployment")
    else:
        _typed(data, "action", str, errors, "")
        pull = _object(data, "pull_request", errors)
        if pull is not None:
            _typed(pull, "number", int, errors, "pull_request")
        if event == "pull_request_review":
            review = _object(data, "review", errors)
            if review is not None:
                _typed(review, "state", str, errors, "review")
    _object(data, "repository", errors)


def _deployment(headers: Mapping[str, str], data: Mapping[str, object]) -> Checked:
    errors: dict[str, str] = {}
    for key, most in (("service", 120), ("environment", 64), ("version", 64)):
        value = data.get(key)
        if not isinstance(value, str) or not 1 <= len(value.strip()) <= most:
            errors[key] = f"Expected a non-empty string of at most {most} characters."
    status = data.get("status")
    if status not in DEPLOYMENT_STATUSES:
        errors["status"] = f"Use one of {', '.join(DEPLOYMENT_STATUSES)}."
    items = data.get("work_items")
    if not isinstance(items, list) or len(items) > MAX_WORK_ITEMS:
        errors["work_items"] = f"Expected a list of at most {MAX_WORK_ITEMS} work item keys."
    else:
        for index, item in enumerate(items):
            if not isinstance(item, str) or not WORK_ITEM_REFERENCE.match(item):
                errors[f"work_items.{index}"] = (
                    "Expected a work item key (BUG-7, FR-3, IMP-2) or an Azure Boards id (AB#123)."
                )
    url = data.get("url")
    if url is not None and safe_external_url(url) is None:
        errors["url"] = "Expected an http(s) URL with a host."
    if errors:
        raise _refuse(errors)
    delivery = (headers.get("X-Casebridge-Delivery") or "").strip()
    if len(delivery) > 200:
        raise _refuse({"X-Casebridge-Delivery": "At most 200 characters."})
    return Checked(f"deployment.{status}", delivery)
