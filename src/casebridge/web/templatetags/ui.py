"""Small presentation helpers: relative ages, state and impact badges, file sizes, plurals and
articles (``core.text``)."""

from __future__ import annotations

from datetime import datetime

from django import template
from django.db import models
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString

from casebridge.cases import milestones
from casebridge.cases.models import CaseState, Impact, Resolution
from casebridge.core import clock, text
from casebridge.core.actors import Actor

register = template.Library()


def choice_badge(
    choices: type[models.TextChoices], value: str, css: str, *, cut: str | None = None
) -> SafeString:
    """A badge for one value of ``choices``: its label (up to ``cut``), or the value made
    readable when it is not one of them, with the classes ``badge {css} {css}-{value}``."""
    try:
        label = str(choices(value).label)
        label = label.split(cut, 1)[0] if cut else label
    except ValueError:
        label = value.replace("_", " ").capitalize()
    return format_html('<span class="badge {} {}-{}">{}</span>', css, css, value, label)


UNITS = (
    (365 * 86400, "y"),
    (30 * 86400, "mo"),
    (7 * 86400, "w"),
    (86400, "d"),
    (3600, "h"),
    (60, "min"),
)


def relative(then: datetime, now: datetime | None = None) -> str:
    """``3 h``, ``2 d``, ``5 min``; ``now`` under a minute. Future times read the same."""
    seconds = abs(int(((now or clock.now()) - then).total_seconds()))
    for size, unit in UNITS:
        if seconds >= size:
            return f"{seconds // size} {unit}"
    return "now"


def exact(value: datetime) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M %Z")


@register.filter
def age(value: datetime | None) -> SafeString | str:
    """A relative age with the exact time on hover, as a ``<time>`` element."""
    if value is None:
        return ""
    return format_html(
        '<time datetime="{}" title="{}">{}</time>', value.isoformat(), exact(value), relative(value)
    )


@register.filter
def ago(value: datetime | None) -> SafeString | str:
    """Like ``age`` with "ago" for sentences ("3 h ago")."""
    if value is None:
        return ""
    text = relative(value)
    return format_html(
        '<time datetime="{}" title="{}">{}</time>',
        value.isoformat(),
        exact(value),
        "just now" if text == "now" else f"{text} ago",
    )


@register.filter
def state_badge(state: str) -> SafeString:
    return choice_badge(CaseState, state, "state")


@register.filter
def customer_state_badge(state: str) -> SafeString:
    """The case's state in the customer's words ("Waiting for you"), as a badge."""
    label = milestones.customer_state(state)
    return format_html('<span class="badge state state-{}">{}</span>', state, label)


@register.filter
def public_name(user: Actor | None) -> str:
    """The name a customer reads: a person of their side or of support, else "Our team"."""
    return milestones.public_name(user)


@register.filter
def impact_badge(impact: str) -> SafeString:
    return choice_badge(Impact, impact, "impact", cut=":")


def _sla_due(due: datetime, warn: datetime | None, now: datetime) -> tuple[str, str]:
    if due <= now:
        return "breached", f"Breached {relative(due, now)} ago"
    if warn is not None and warn <= now:
        return "warning", f"At risk: {relative(due, now)} left"
    return "ok", f"On track: {relative(due, now)} left"


@register.filter
def breach_badge(case: object) -> SafeString | str:
    """The time to breach of a case's next SLA clock, in words and colour (never colour alone):
    "On track: 3 h left", "At risk: 20 min left", "Breached 1 h ago", "Paused"."""
    due: datetime | None = getattr(case, "sla_due_at", None)
    if due is None:
        if getattr(case, "sla_paused", False):
            return format_html('<span class="sla sla-paused">{}</span>', "Paused")
        return format_html('<span class="muted" title="{}">—</span>', "No SLA clock running")
    level, words = _sla_due(due, getattr(case, "sla_warn_at", None), clock.now())
    mark = {"breached": "!", "warning": "◔", "ok": "○"}[level]
    return format_html(
        '<span class="sla sla-{}" title="Due {}"><span aria-hidden="true">{}</span> {}</span>',
        level,
        exact(due),
        mark,
        words,
    )


@register.filter
def resolution_label(value: str) -> str:
    try:
        return str(Resolution(value).label)
    except ValueError:
        return value


@register.filter
def plural(count: int | None, noun: str) -> str:
    """``{{ n|plural:"case" }}``: "1 case", "3 cases"; ``"person,people"`` names the plural."""
    singular, _, many = noun.partition(",")
    return text.plural(int(count or 0), singular, many or None)


@register.filter
def plural_noun(count: int | None, noun: str) -> str:
    """``{{ n|plural_noun:"case" }}``: only the noun, "case" or "cases" (the count is shown
    apart, e.g. in bold)."""
    singular, _, many = noun.partition(",")
    return text.noun_for(int(count or 0), singular, many or None)


@register.filter
def with_article(word: str) -> str:
    """``{{ label|with_article }}``: "an improvement", "a bug"."""
    return text.with_article(str(word))


@register.filter
def filesize(size: int) -> str:
    value = float(size)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} GB"  # pragma: no cover


@register.filter
def field_value(form: object, name: str) -> object:
    """``form[name]`` for a name held in a variable."""
    return form[name]  # type: ignore[index]
