"""A notice as each receiver reads it, and what each receiver's refusals mean.

* **Slack incoming webhook**: ``{"text": fallback, "blocks": [...]}`` in Block Kit (a header,
  the text as mrkdwn, the fields, a button to the object, a context line). Slack answers ``200
  ok``; refusals are a plain-text code: 400 ``invalid_payload`` / ``no_text`` /
  ``invalid_blocks``, 403 ``action_prohibited`` / ``invalid_token``, 404 ``channel_not_found`` /
  ``no_service``, 410 ``channel_is_archived``, 429 with ``Retry-After`` (rate limited), 500
  ``rollup_error``.
* **Microsoft Teams workflow** ("When a Teams webhook request is received", Power Automate): a
  message with one Adaptive Card attachment (``application/vnd.microsoft.card.adaptive``,
  version 1.4). The workflow answers ``202 Accepted``; refusals are JSON
  ``{"error": {"code", "message"}}`` (400 for a body the trigger cannot read, 401/403 for a bad
  signature in the URL, 404 for a deleted workflow, 429 with ``Retry-After`` when throttled).
* **Generic JSON webhook**: ``{"id", "topic", "occurred_at", "notice": {...}}``, signed with
  HMAC-SHA256 over ``"<timestamp>." + body`` (docs/integrations.md has the recipe).
"""

from __future__ import annotations

import hashlib
import hmac
import json

from casebridge.integrations.http import Answer
from casebridge.integrations.models import OutboxMessage
from casebridge.integrations.notices import Notice

SIGNATURE_HEADER = "X-Casebridge-Signature"
TIMESTAMP_HEADER = "X-Casebridge-Timestamp"
EVENT_HEADER = "X-Casebridge-Event"
IDEMPOTENCY_HEADER = "Idempotency-Key"
SIGNATURE_VERSION = "v1"
TEAMS_CARD = "application/vnd.microsoft.card.adaptive"
OPEN_LABEL = "Open in Casebridge"
#: Block Kit limits: header text, section text, field text.
SLACK_HEADER_MAX, SLACK_TEXT_MAX, SLACK_FIELD_MAX = 150, 3000, 2000
URGENT = {"sev1": "Attention", "critical": "Attention", "sev2": "Warning", "major": "Warning"}


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def slack_escape(text: str) -> str:
    """Slack's mrkdwn gives ``&``, ``<`` and ``>`` meaning: escape them in plain text."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _context(notice: Notice) -> list[str]:
    return [part for part in (notice.key, notice.service, notice.team, notice.topic) if part]


def slack_body(notice: Notice) -> dict[str, object]:
    blocks: list[dict[str, object]] = [
        {
            "type": "header",
            "text": {"type": "plain_text", "text": _cut(notice.title, SLACK_HEADER_MAX)},
        }
    ]
    if notice.text:
        text = _cut(slack_escape(notice.text), SLACK_TEXT_MAX)
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": text}})
    facts = ([("Severity", notice.severity)] if notice.severity else []) + list(notice.fields)
    if facts:
        fields = [
            {
                "type": "mrkdwn",
                "text": _cut(f"*{slack_escape(label)}*\n{slack_escape(value)}", SLACK_FIELD_MAX),
            }
            for label, value in facts[:10]
        ]
        blocks.append({"type": "section", "fields": fields})
    if notice.link:
        button = {
            "type": "button",
            "text": {"type": "plain_text", "text": OPEN_LABEL},
            "url": notice.link,
        }
        blocks.append({"type": "actions", "elements": [button]})
    context = " · ".join(slack_escape(part) for part in _context(notice))
    if context:
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": context}]})
    fallback = notice.title + (f": {notice.text}" if notice.text else "")
    return {"text": _cut(slack_escape(fallback), SLACK_TEXT_MAX), "blocks": blocks}


def teams_body(notice: Notice) -> dict[str, object]:
    title: dict[str, object] = {
        "type": "TextBlock",
        "text": notice.title,
        "size": "Medium",
        "weight": "Bolder",
        "wrap": True,
    }
    if notice.severity in URGENT:
        title["color"] = URGENT[notice.severity]
    body: list[dict[str, object]] = [title]
    if notice.text:
        body.append({"type": "TextBlock", "text": notice.text, "wrap": True})
    facts = ([("Severity", notice.severity)] if notice.severity else []) + list(notice.fields)
    if facts:
        body.append({"type": "FactSet", "facts": [{"title": a, "value": b} for a, b in facts]})
    context = " · ".join(_context(notice))
    if context:
        body.append({"type": "TextBlock", "text": context, "isSubtle": True, "size": "Small"})
    card: dict[str, object] = {
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": "1.4",
        "body": body,
        "msteams": {"width": "Full"},
    }
    if notice.link:
        card["actions"] = [{"type": "Action.OpenUrl", "title": OPEN_LABEL, "url": notice.link}]
    attachment = {"contentType": TEAMS_CARD, "contentUrl": None, "content": card}
    return {"type": "message", "attachments": [attachment]}


def generic_body(message: OutboxMessage, notice: Notice) -> dict[str, object]:
    data = notice.as_payload()
    data["url"] = notice.link
    return {
        "id": str(message.idempotency_key),
        "topic": notice.topic,
        "occurred_at": message.created_at.isoformat(),
        "notice": data,
    }


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The signature header's value: ``v1=`` and the hex HMAC-SHA256 of ``<timestamp>.<body>``."""
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"{SIGNATURE_VERSION}={digest.hexdigest()}"


def encode(data: dict[str, object]) -> bytes:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()


def refusal(kind: str, answer: Answer) -> str:
    """What the receiver said when it refused: Slack's code, Teams' error code and message."""
    if kind == "teams" and answer.body.startswith(b"{"):
        try:
            error = json.loads(answer.body).get("error") or {}
        except (ValueError, AttributeError):
            return answer.text()
        if isinstance(error, dict):
            said = ": ".join(str(error[k]) for k in ("code", "message") if error.get(k))
            return " ".join(said.split())[:300]
    return answer.text()
