"""The three payload formats, checked at the door and read by the worker.

* Alertmanager's webhook, version 4: ``{version, groupKey, status, receiver, groupLabels,
  commonLabels, commonAnnotations, externalURL, alerts: [{status, labels, annotations, startsAt,
  endsAt, generatorURL, fingerprint}]}``.
* Grafana alerting's webhook: the same alert shape (plus ``silenceURL``, ``dashboardURL``,
  ``panelURL``, ``values``), with ``orgId``, ``title``, ``state`` and ``message`` around it.
* Generic events, modelled on PagerDuty's Events API v2: ``{event_action: trigger | acknowledge |
  resolve, dedup_key, payload: {summary, source, severity, timestamp?, component?, group?,
  class?, custom_details?}}``.

``check`` refuses a malformed payload with every bad field named (so nothing is stored);
``events_of`` turns a stored payload into ``AlertEvent``s. Both are pure: no database.

A link from the sender (``generatorURL``, an event's first ``links[].href``) is kept only if it
is an http(s) URL (``core.urls.safe_external_url``); any other is dropped and the alert kept: an
alert must not be lost because its link is bad, and a ``javascript:`` link must never be stored.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from casebridge.core.errors import ValidationFailed
from casebridge.core.urls import safe_external_url

MAX_ALERTS = 1000
MAX_LABELS = 64
MAX_TEXT = 10_000
ALERT_STATUSES = ("firing", "resolved")
EVENT_ACTIONS = ("trigger", "acknowledge", "resolve")
EVENT_SEVERITIES = ("critical", "error", "warning", "info")
GO_ZERO_YEAR = 1  # Go's zero time, "0001-01-01T00:00:00Z", means "not set"


@dataclass(frozen=True, slots=True)
class Checked:
    """What the door learnt: how many alerts, the dedup key it assigned (events without one:
    stored with the payload) and the event's key, sent or assigned (the door answers it)."""

    alerts: int
    dedup_key: str = ""
    event_key: str = ""


@dataclass(frozen=True, slots=True)
class AlertEvent:
    """One alert (or event) of a payload, in its order, the same for every format."""

    fingerprint: str
    action: str  # firing | resolved | acknowledged
    starts_at: datetime | None
    ends_at: datetime | None
    labels: dict[str, str]
    annotations: dict[str, str]
    source_url: str
    title: str
    severity: str
    #: The names of the webhook's ``groupLabels`` (Alertmanager, Grafana), if it has any.
    group_labels: tuple[str, ...] = ()


class _Errors:
    """Collects field messages; at most a few per payload, so a huge bad payload stays short."""

    LIMIT = 20

    def __init__(self) -> None:
        self.fields: dict[str, str] = {}

    def add(self, name: str, message: str) -> None:
        if len(self.fields) < self.LIMIT:
            self.fields.setdefault(name, message)

    def raise_if_any(self, what: str) -> None:
        if self.fields:
            names = ", ".join(list(self.fields)[:5])
            raise ValidationFailed(f"The {what} payload is malformed: {names}", fields=self.fields)


def parse_time(value: object) -> datetime | None:
    """An RFC 3339 time (nanoseconds are cut to microseconds); Go's zero time is None."""
    if not isinstance(value, str) or not value:
        return None
    moment = datetime.fromisoformat(value)
    if moment.tzinfo is None:
        raise ValueError("no time zone")
    return None if moment.year == GO_ZERO_YEAR else moment


def _strings(errors: _Errors, name: str, value: object, *, required: bool = False) -> None:
    if value is None and not required:
        return
    if not isinstance(value, dict):
        errors.add(name, "Must be an object of strings.")
        return
    if required and not value:
        errors.add(name, "Give at least one label.")
    if len(value) > MAX_LABELS:
        errors.add(name, f"At most {MAX_LABELS} entries.")
    for key, item in value.items():
        if not isinstance(item, str) or len(item) > MAX_TEXT:
            errors.add(f"{name}.{key}", f"Must be a string of at most {MAX_TEXT} characters.")
            return


def _time(errors: _Errors, name: str, value: object, *, required: bool) -> None:
    if value is None and not required:
        return
    try:
        if parse_time(value) is None and required:
            errors.add(name, "Give the time as RFC 3339, e.g. 2026-01-31T12:00:00Z.")
    except (ValueError, TypeError):
        errors.add(name, f"Not an RFC 3339 time with a zone: {str(value)[:40]!r}.")


def _optional_str(errors: _Errors, name: str, value: object, limit: int = MAX_TEXT) -> None:
    if value is not None and (not isinstance(value, str) or len(value) > limit):
        errors.add(name, f"Must be a string of at most {limit} characters.")


def _check_alerts(errors: _Errors, alerts: object) -> int:
    if not isinstance(alerts, list) or not alerts:
        errors.add("alerts", "Give a non-empty list of alerts.")
        return 0
    if len(alerts) > MAX_ALERTS:
        errors.add("alerts", f"At most {MAX_ALERTS} alerts per payload (got {len(alerts)}).")
        return 0
    for n, alert in enumerate(alerts):
        at = f"alerts.{n}"
        if not isinstance(alert, dict):
            errors.add(at, "Must be an object.")
            continue
        if alert.get("status") not in ALERT_STATUSES:
            errors.add(f"{at}.status", "Use 'firing' or 'resolved'.")
        _strings(errors, f"{at}.labels", alert.get("labels"), required=True)
        _strings(errors, f"{at}.annotations", alert.get("annotations"))
        _time(errors, f"{at}.startsAt", alert.get("startsAt"), required=True)
        _time(errors, f"{at}.endsAt", alert.get("endsAt"), required=False)
        _optional_str(errors, f"{at}.generatorURL", alert.get("generatorURL"), 1000)
        _optional_str(errors, f"{at}.fingerprint", alert.get("fingerprint"), 255)
    return len(alerts)


def _check_group(errors: _Errors, data: Mapping[str, object]) -> int:
    if data.get("status") not in ALERT_STATUSES:
        errors.add("status", "Use 'firing' or 'resolved'.")
    for name in ("groupLabels", "commonLabels", "commonAnnotations"):
        _strings(errors, name, data.get(name))
    for name in ("groupKey", "receiver", "externalURL"):
        _optional_str(errors, name, data.get(name))
    return _check_alerts(errors, data.get("alerts"))


def check_alertmanager(data: object) -> Checked:
    errors = _Errors()
    if not isinstance(data, dict):
        raise ValidationFailed("Send a JSON object", fields={"body": "Must be a JSON object."})
    if data.get("version") != "4":
        errors.add("version", 'Casebridge reads Alertmanager\'s webhook version "4".')
    count = _check_group(errors, data)
    errors.raise_if_any("Alertmanager")
    return Checked(alerts=count)


def check_grafana(data: object) -> Checked:
    errors = _Errors()
    if not isinstance(data, dict):
        raise ValidationFailed("Send a JSON object", fields={"body": "Must be a JSON object."})
    count = _check_group(errors, data)
    errors.raise_if_any("Grafana")
    return Checked(alerts=count)


def check_event(data: object, *, new_key: str) -> Checked:
    """A generic event; a trigger without ``dedup_key`` is given ``new_key``."""
    errors = _Errors()
    if not isinstance(data, dict):
        raise ValidationFailed("Send a JSON object", fields={"body": "Must be a JSON object."})
    action = data.get("event_action")
    key = data.get("dedup_key")
    if action not in EVENT_ACTIONS:
        errors.add("event_action", "Use trigger, acknowledge or resolve.")
    if key is not None and (not isinstance(key, str) or not key or len(key) > 255):
        errors.add("dedup_key", "Must be a string of 1 to 255 characters.")
    elif key is None and action in ("acknowledge", "resolve"):
        errors.add("dedup_key", f"Name the dedup_key of the event to {action}.")
    payload = data.get("payload")
    if action == "trigger" or payload is not None:
        _check_event_payload(errors, payload)
    errors.raise_if_any("event")
    if key:
        return Checked(alerts=1, event_key=key)
    return Checked(alerts=1, dedup_key=new_key, event_key=new_key)


def _check_event_payload(errors: _Errors, payload: object) -> None:
    if not isinstance(payload, dict):
        errors.add("payload", "Give the event as an object with summary, source and severity.")
        return
    summary, source = payload.get("summary"), payload.get("source")
    if not isinstance(summary, str) or not summary.strip() or len(summary) > 1024:
        errors.add("payload.summary", "Summarise the event in 1 to 1024 characters.")
    if not isinstance(source, str) or not source.strip() or len(source) > 255:
        errors.add("payload.source", "Name the affected system (1 to 255 characters).")
    if payload.get("severity") not in EVENT_SEVERITIES:
        errors.add("payload.severity", f"Use one of {', '.join(EVENT_SEVERITIES)}.")
    _time(errors, "payload.timestamp", payload.get("timestamp"), required=False)
    for name in ("component", "group", "class"):
        _optional_str(errors, f"payload.{name}", payload.get(name), 255)


# --- reading a stored payload -----------------------------------------------------------------


def fingerprint_of(labels: Mapping[str, str]) -> str:
    """Alertmanager's fingerprint is a hash of the label set; ours when a sender gives none."""
    text = json.dumps(sorted(labels.items()), separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def title_of(labels: Mapping[str, str], annotations: Mapping[str, str]) -> str:
    name = labels.get("alertname", "")
    summary = annotations.get("summary") or annotations.get("description") or ""
    text = f"{name}: {summary}" if name and summary else name or summary or "Alert"
    text = " ".join(text.split())
    return text if len(text) <= 200 else text[:199] + "…"


def _object(value: object) -> dict[str, object]:
    """A JSON object of a checked payload (``check_*`` ran at the door)."""
    if not isinstance(value, dict):
        raise TypeError(f"not an object: {type(value).__name__}")
    return value


def _array(value: object) -> list[object]:
    if not isinstance(value, list):
        raise TypeError(f"not a list: {type(value).__name__}")
    return value


def _text_map(value: object) -> dict[str, str]:
    """A checked object of strings (labels, annotations)."""
    found = _object(value)
    if not all(isinstance(v, str) for v in found.values()):
        raise TypeError("not an object of strings")
    return {k: str(v) for k, v in found.items()}


def _alert_events(data: Mapping[str, object]) -> list[AlertEvent]:
    events = []
    grouped = data.get("groupLabels")
    group_labels = tuple(sorted(grouped)) if isinstance(grouped, dict) else ()
    for item in _array(data["alerts"]):
        alert = _object(item)
        labels = _text_map(alert["labels"])
        annotations = _text_map(alert.get("annotations") or {})
        events.append(
            AlertEvent(
                fingerprint=str(alert.get("fingerprint") or "") or fingerprint_of(labels),
                action=str(alert["status"]),
                starts_at=parse_time(alert.get("startsAt")),
                ends_at=parse_time(alert.get("endsAt")),
                labels=labels,
                annotations=annotations,
                source_url=safe_external_url(alert.get("generatorURL")) or "",
                title=title_of(labels, annotations),
                severity=labels.get("severity", ""),
                group_labels=group_labels,
            )
        )
    return events


EVENT_ACTION = {"trigger": "firing", "acknowledge": "acknowledged", "resolve": "resolved"}


def _first_href(links: object) -> object:
    """The ``href`` of an event's first link. The door does not check ``links``: a string (or
    nothing) has no link, while an object or a number fails the payload, as indexing them does."""
    if not links or isinstance(links, str):
        return ""
    first = _array(links)[0]
    return first.get("href", "") if isinstance(first, dict) else ""


def _generic_events(data: Mapping[str, object], assigned_key: str) -> list[AlertEvent]:
    payload = _object(data.get("payload") or {})
    labels = {
        name: str(payload[name])
        for name in ("source", "severity", "component", "group", "class")
        if payload.get(name)
    }
    summary = str(payload.get("summary") or "")
    annotations = {"summary": summary} if summary else {}
    first_link = _first_href(data.get("links"))
    return [
        AlertEvent(
            fingerprint=str(data.get("dedup_key") or assigned_key),
            action=EVENT_ACTION[str(data["event_action"])],
            starts_at=parse_time(payload.get("timestamp")),
            ends_at=None,
            labels=labels,
            annotations=annotations,
            source_url=safe_external_url(first_link) or "",
            title=title_of({}, annotations) if summary else "Event",
            severity=str(payload.get("severity") or ""),
        )
    ]


def events_of(kind: str, body: str, *, dedup_key: str = "") -> list[AlertEvent]:
    """The alerts of a stored payload in their order; raises on a body ``check`` would refuse."""
    data = json.loads(body)
    if kind == "events":
        return _generic_events(data, dedup_key)
    return _alert_events(data)
