"""Plurals and articles come from one helper (``core.text``), in Python and in templates."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.template import Context, Template

from casebridge.core.text import plural, plural_of, with_article

SRC = Path(__file__).resolve().parents[2] / "src" / "casebridge"


@pytest.mark.parametrize(
    ("count", "noun", "text"),
    [
        (0, "case", "0 cases"),
        (1, "case", "1 case"),
        (2, "case", "2 cases"),
        (1204, "item", "1,204 items"),
        (2, "entry", "2 entries"),
        (3, "try", "3 tries"),
        (2, "day", "2 days"),
        (2, "person", "2 people"),
        (2, "process", "2 processes"),
        (2, "critical bug", "2 critical bugs"),
        (1, "open incident", "1 open incident"),
    ],
)
def test_plural(count: int, noun: str, text: str) -> None:
    assert plural(count, noun) == text


@pytest.mark.parametrize(
    ("word", "text"),
    [
        ("improvement", "an improvement"),
        ("bug", "a bug"),
        ("feature request", "a feature request"),
        ("incident", "an incident"),
        ("user", "a user"),
        ("hour", "an hour"),
        ("RTE", "an RTE"),
        ("L3+ developer", "an L3+ developer"),
        ("PM", "a PM"),
        ("urgent fix", "an urgent fix"),
    ],
)
def test_with_article(word: str, text: str) -> None:
    assert with_article(word) == text


def test_template_filters() -> None:
    template = Template(
        '{% load ui %}{{ one|plural:"case" }}|{{ two|plural:"person,people" }}|'
        '{{ two|plural_noun:"case" }}|{{ label|with_article|capfirst }}'
    )
    text = template.render(Context({"one": 1, "two": 2, "label": "improvement"}))
    assert text == "1 case|2 people|cases|An improvement"
    assert plural_of("Reply") == "Replies"


HAND_MADE = (
    (re.compile(r"\|pluralize"), 'a template\'s |pluralize (use |plural:"noun")'),
    (re.compile(r"""['"]s['"] if .{0,20}(!=|==|>) ?1"""), 'a hand-made "s" if n != 1'),
    (re.compile(r"[a-z](?<!http)\(s\)(?! for\b| else\b| if\b)[ .,;:!?]"), 'a "(s)" plural'),
    (
        re.compile(r"\{\{ ?[\w.]+(\|length)? ?\}\} (cases|items|days|alerts|signatures)\b"),
        "{{ n }} cases",
    ),
    (re.compile(r"\b[Aa] \{\{|needed for a \{"), 'a hand-made article "a {{ word }}"'),
)


def test_no_hand_made_plurals_or_articles_in_the_source() -> None:
    """Issue 10: "1 cases of RC-8", "needed for a improvement"."""
    found = []
    for path in sorted(SRC.rglob("*")):
        if path.suffix not in (".py", ".html") or "migrations" in path.parts:
            continue
        if path.name == "text.py" and path.parent.name == "core":
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            for pattern, what in HAND_MADE:
                if pattern.search(line) and "1 item(s) differ" not in line:
                    found.append(f"{path.relative_to(SRC)}:{number}: {what}")
    assert not found, "\n".join(found)
