"""Presentation helpers of the occurrence panels: reasons as chips, levels as badges."""

from __future__ import annotations

from collections.abc import Mapping

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString

from casebridge.occurrences.index.ranking import Reasons

register = template.Library()


@register.inclusion_tag("occurrences/_reasons.html")
def reasons(value: Reasons | None, texts: Mapping[str, str] | None = None) -> dict[str, object]:
    """Why a hit is shown: the same log signature, shared terms, same service/component..."""
    order = list(texts or {})
    signatures = sorted(
        value.shared_log_signatures if value else (),
        key=lambda sig: order.index(sig) if sig in order else len(order),
    )
    return {
        "r": value,
        "signatures": [(sig, (texts or {}).get(sig, "")) for sig in signatures[:2]],
        "more_signatures": max(len(signatures) - 2, 0),
        "terms": list(value.shared_terms[:6]) if value else [],
    }


@register.filter
def level_badge(level: str) -> SafeString:
    label = {"error": "error", "warning": "warn", "debug": "debug"}.get(level, "info")
    style = label if label in ("error", "warn") else "info"
    return format_html('<span class="badge lvl lvl-{}">{}</span>', style, label)


@register.filter
def lookup(mapping: Mapping[str, object] | None, key: str) -> object:
    return (mapping or {}).get(key, "")
