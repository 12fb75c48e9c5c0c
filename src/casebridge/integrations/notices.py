"""A notice: what happened, said once, rendered for each channel (Slack, Teams, a webhook).

The subscribers of domain events build a ``Notice`` and hand it to
``webhooks.webhooks_fan_out``; routes choose destinations by its ``topic``, ``service``, ``team``
and ``severity``. A notice is plain data, stored in outbox payloads as JSON.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TypedDict

from django.conf import settings

TOPIC = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*$")
#: Severities a route may filter on: incidents' and work items' (critical bugs).
SEVERITIES = ("sev1", "sev2", "sev3", "critical", "major", "minor")
MAX_FIELDS = 10


class NoticePayload(TypedDict):
    """A notice as JSON (``Notice.as_payload``), in an outbox message or a webhook body."""

    topic: str
    title: str
    text: str
    url: str
    fields: list[list[str]]
    severity: str
    service: str
    team: str
    key: str


def _pairs(value: object) -> tuple[tuple[str, str], ...]:
    """``fields`` read back from JSON: a list of [label, value] pairs."""
    if not isinstance(value, list | tuple):
        raise TypeError(f"a notice's fields are a list, not {type(value).__name__}")
    pairs = []
    for item in value:
        if not isinstance(item, list | tuple):
            raise TypeError(f"a notice's field is a pair, not {type(item).__name__}")
        label, text = item
        pairs.append((str(label), str(text)))
    return tuple(pairs)


@dataclass(frozen=True)
class Notice:
    """``url`` is a path in Casebridge (``/incidents/INC-3/``) or an absolute https URL;
    ``fields`` are (label, value) pairs shown as a table (at most ten)."""

    topic: str
    title: str
    text: str = ""
    url: str = ""
    fields: tuple[tuple[str, str], ...] = ()
    severity: str = ""
    service: str = ""
    team: str = ""
    key: str = ""

    def __post_init__(self) -> None:
        if not TOPIC.match(self.topic):
            raise ValueError(f"A notice's topic is dotted lowercase words, not {self.topic!r}")
        if not self.title.strip():
            raise ValueError("A notice needs a title")
        if len(self.fields) > MAX_FIELDS:
            raise ValueError(f"A notice has at most {MAX_FIELDS} fields")
        if self.severity and self.severity not in SEVERITIES:
            raise ValueError(f"Unknown severity {self.severity!r}")
        if self.url and not self.url.startswith(("/", "https://", "http://")):
            raise ValueError("A notice's url is a path or an http(s) URL")

    @property
    def link(self) -> str:
        """The absolute URL of the object, or empty."""
        if self.url.startswith("/"):
            return str(settings.BASE_URL) + self.url
        return self.url

    def as_payload(self) -> NoticePayload:
        return {
            "topic": self.topic,
            "title": self.title,
            "text": self.text,
            "url": self.url,
            "fields": [[label, value] for label, value in self.fields],
            "severity": self.severity,
            "service": self.service,
            "team": self.team,
            "key": self.key,
        }

    @classmethod
    def from_payload(cls, data: Mapping[str, object]) -> Notice:
        return cls(
            topic=str(data["topic"]),
            title=str(data["title"]),
            text=str(data.get("text", "")),
            url=str(data.get("url", "")),
            fields=_pairs(data.get("fields", [])),
            severity=str(data.get("severity", "")),
            service=str(data.get("service", "")),
            team=str(data.get("team", "")),
            key=str(data.get("key", "")),
        )
