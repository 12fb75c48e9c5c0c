"""The global search: a key goes straight to its object, words search cases, work items and
known fixes the viewer may see (the same selectors as every other page, so the same visibility:
customers find only their organisation's cases, never the internal side)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from django.db.models import Q
from django.urls import reverse

from casebridge.cases.selectors import CaseFilters, case_get_for, case_list_for
from casebridge.core.actors import Actor
from casebridge.core.errors import NotFound
from casebridge.incidents.selectors import incident_get_for
from casebridge.knowledge.selectors import known_resolution_get_for, known_resolution_list_for
from casebridge.workitems.selectors import work_item_get_for, work_item_list_for

KEY = re.compile(r"^\s*(CB|BUG|FR|IMP|KR|INC)-(\d{1,18})\s*$", re.IGNORECASE)
WORDS = re.compile(r"\w+")
PER_KIND = 20


#: The kind of object a key prefix names, as the API and the CLI spell it.
KINDS = {
    "CB": "case",
    "BUG": "bug",
    "FR": "feature",
    "IMP": "improvement",
    "KR": "known_fix",
    "INC": "incident",
}


@dataclass(frozen=True)
class Hit:
    kind: str
    key: str
    title: str
    url: str
    detail: str
    score: int

    @property
    def kind_slug(self) -> str:
        return KINDS[self.key.split("-", 1)[0]]


@dataclass(frozen=True)
class Found:
    """What a key names: its prefix, the key as stored, the object and its page."""

    prefix: str
    key: str
    obj: object
    url: str

    @property
    def kind(self) -> str:
        return KINDS[self.prefix]


#: Per key prefix: the selector that checks the viewer may see it, and the page's URL name.
FINDERS: dict[str, tuple[Callable[[Actor, str], object], str]] = {
    "KR": (known_resolution_get_for, "knowledge:detail"),
    "INC": (incident_get_for, "incidents:room"),
    "BUG": (work_item_get_for, "workitems:detail"),
    "FR": (work_item_get_for, "workitems:detail"),
    "IMP": (work_item_get_for, "workitems:detail"),
}


def find_key(viewer: Actor, text: str) -> Found | None:
    """The object a key names, if ``text`` is a key and the viewer may see it; else None."""
    match = KEY.match(text)
    if match is None:
        return None
    prefix = match[1].upper()
    key = f"{prefix}-{int(match[2])}"
    find: Callable[[Actor, str], object]
    if prefix == "CB":
        find, name = case_get_for, "portal:detail" if viewer.is_external else "cases:detail"
    elif viewer.is_external:
        return None
    else:
        find, name = FINDERS[prefix]
    try:
        found = find(viewer, key)
    except NotFound:
        return None
    return Found(prefix, key, found, reverse(name, args=[key]))


def key_url(viewer: Actor, text: str) -> str:
    """The page of the object a key names, if the viewer may see it; else ""."""
    found = find_key(viewer, text)
    return found.url if found else ""


def _score(title: str, words: list[str]) -> int:
    """Words found in the title count twice as much as words found elsewhere."""
    lowered = title.lower()
    return sum(2 if w.lower() in lowered else 1 for w in words)


def search_for(viewer: Actor, text: str) -> list[Hit]:
    """Cases, work items and known fixes matching every word, best first (more words in the
    title first, then the newest)."""
    words = WORDS.findall(text)[:10]
    if not words:
        return []
    hits: list[Hit] = []
    cases = case_list_for(viewer, CaseFilters(text=" ".join(words), sort="newest"))[:PER_KIND]
    case_page = "portal:detail" if viewer.is_external else "cases:detail"
    for case in cases:
        hits.append(
            Hit(
                "Case",
                case.key,
                case.title,
                reverse(case_page, args=[case.key]),
                case.get_state_display(),
                _score(case.title, words),
            )
        )
    if not viewer.is_external:
        condition = Q()
        for word in words:
            condition &= Q(title__icontains=word) | Q(description__icontains=word)
        items = work_item_list_for(viewer).filter(condition).order_by("-created_at")[:PER_KIND]
        for item in items:
            hits.append(
                Hit(
                    item.get_category_display(),
                    item.key,
                    item.title,
                    reverse("workitems:detail", args=[item.key]),
                    item.status.replace("_", " "),
                    _score(item.title, words),
                )
            )
        for known in known_resolution_list_for(viewer, query=" ".join(words))[:PER_KIND]:
            hits.append(
                Hit(
                    "Known fix",
                    known.key,
                    known.title,
                    reverse("knowledge:detail", args=[known.key]),
                    known.get_fix_kind_display(),
                    _score(known.title, words),
                )
            )
    return sorted(hits, key=lambda h: -h.score)
