"""Grouping rules: which alerts are one alert group (and one case).

An integration groups by its ``grouping_labels`` (default ``alertname``, ``service``,
``environment``), or by the webhook's ``groupLabels`` when it has them and the integration uses
them (``use_group_labels``, on by default: Alertmanager already grouped the notification by
its route's ``group_by``). The key is a hash of the values of those labels; an alert with none of
them (a generic event, say) is a group of its own, keyed by its fingerprint.
"""

from __future__ import annotations

import hashlib
import json
import re

from casebridge.monitoring.formats import AlertEvent
from casebridge.monitoring.models import Integration

MAX_GROUPING_LABELS = 10
LABEL_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,99}$")
KEY_PREFIX = "g:"


def labels_of(integration: Integration, event: AlertEvent) -> list[str]:
    if integration.use_group_labels and event.group_labels:
        return list(event.group_labels)
    return list(integration.grouping_labels or [])


def group_key(integration: Integration, event: AlertEvent) -> str:
    """The alert's grouping key: ``g:`` and a hash of its grouping labels' values, or its own
    fingerprint when it has none of them."""
    values = [(name, event.labels.get(name, "")) for name in sorted(labels_of(integration, event))]
    if not any(value for _, value in values):
        return event.fingerprint
    text = json.dumps(values, separators=(",", ":"))
    return KEY_PREFIX + hashlib.sha256(text.encode()).hexdigest()[:24]


def grouping_errors(labels: object) -> str | None:
    """Why ``labels`` is not a list of grouping labels, or ``None``."""
    if not isinstance(labels, list) or not all(isinstance(name, str) for name in labels):
        return "Give a list of label names."
    if len(labels) > MAX_GROUPING_LABELS:
        return f"Group by at most {MAX_GROUPING_LABELS} labels."
    bad = [name for name in labels if not LABEL_NAME.match(name)]
    if bad:
        return f"'{bad[0][:100]}' is not a label name (letters, digits and _, not first a digit)."
    if len(set(labels)) != len(labels):
        return "Name each label once."
    return None
