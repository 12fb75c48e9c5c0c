"""The backlog order, as a pure function over plain data (fast, and testable by properties).

The natural order, in tiers:

1. critical bugs, 2. major bugs, 3. minor bugs: each by impact (the highest impact of the linked
   cases, then how many cases are linked), then age (oldest first);
4. feature requests and improvements with WSJF inputs, by WSJF = (business value + time
   criticality + risk reduction) / job size, highest first, then age;
5. those without WSJF inputs (an improvement's approval does not ask for them), oldest first.

Ties end on the key, so the order is total and the same inputs always give the same order.
The RTE's pins override it: a pinned item takes its position (1 = top); unpinned items keep
their natural order around the pinned ones. Two pins on one position: the later pin wins.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property

from casebridge.core.text import plural

IMPACT_RANK = {"low": 1, "medium": 2, "high": 3, "critical": 4}
IMPACT_NAME = {rank: name for name, rank in IMPACT_RANK.items()}
BUG_TIERS = {"critical": 1, "major": 2, "minor": 3}
TIER_LABELS = {
    1: "critical bug",
    2: "major bug",
    3: "minor bug",
    4: "WSJF",
    5: "no WSJF",
    6: "untriaged bug",
}


@dataclass(frozen=True)
class Pin:
    position: int
    by: str
    at: datetime
    reason: str = ""


@dataclass(frozen=True)
class Candidate:
    """An item ready to be planned, as the ranking and the planner see it."""

    key: str
    category: str
    title: str
    created_at: datetime
    priority: str = ""
    impact: int = 0  # the highest impact of the linked cases, IMPACT_RANK (0: no case)
    cases: int = 0
    business_value: int | None = None
    time_criticality: int | None = None
    risk_reduction: int | None = None
    job_size: int | None = None
    estimate: int | None = None
    pin: Pin | None = None

    @cached_property
    def wsjf(self) -> float | None:
        """Exact enough to order: inputs are small whole numbers, so distinct ratios never
        round to the same float, and equal ones always do."""
        bv, tc, rr, size = (
            self.business_value,
            self.time_criticality,
            self.risk_reduction,
            self.job_size,
        )
        if bv is None or tc is None or rr is None or not size:
            return None
        return (bv + tc + rr) / size

    @cached_property
    def tier(self) -> int:
        if self.category == "bug":
            return BUG_TIERS.get(self.priority, 6)
        return 4 if self.wsjf is not None else 5


@dataclass(frozen=True)
class Ranked:
    rank: int
    item: Candidate
    now: datetime

    @property
    def key(self) -> str:
        return self.item.key

    @cached_property
    def reason(self) -> str:
        """Why the item is at this rank (made when asked: a 10k backlog shows a page)."""
        return _reason(self.item, self.now)


def natural_key(c: Candidate) -> tuple[object, ...]:
    tier = c.tier
    age = (c.created_at, c.key)
    if tier in (1, 2, 3, 6):
        return (tier, -c.impact, -c.cases, *age)
    if tier == 4:
        return (tier, -(c.wsjf or 0), *age)
    return (tier, *age)


def _days(now: datetime, then: datetime) -> str:
    days = max(0, (now - then).days)
    return "today" if days == 0 else f"{plural(days, 'day')} old"


def natural_reason(c: Candidate, now: datetime) -> str:
    """Why the item sits where the natural order puts it, in a few words."""
    tier = c.tier
    age = _days(now, c.created_at)
    if tier in (1, 2, 3, 6):
        if c.cases:
            impact = f"impact {IMPACT_NAME.get(c.impact, 'unknown')} ({plural(c.cases, 'case')})"
        else:
            impact = "no linked case"
        return f"{TIER_LABELS[tier].capitalize()}; {impact}; {age}"
    if tier == 4:
        value = c.wsjf or 0.0
        parts = f"({c.business_value} + {c.time_criticality} + {c.risk_reduction}) / {c.job_size}"
        return f"WSJF {value:.2f} = {parts}; {age}"
    return f"No WSJF inputs: after the scored items, oldest first; {age}"


def rank_backlog(candidates: Iterable[Candidate], *, now: datetime) -> list[Ranked]:
    """The backlog in order, each item with its rank (1 = top) and the reason for its place."""
    unique = {c.key: c for c in candidates}
    natural = sorted((c for c in unique.values() if c.pin is None), key=natural_key)
    pinned = sorted(
        (c for c in unique.values() if c.pin is not None),
        key=lambda c: (c.pin.position if c.pin else 0, _neg_time(c), c.key),
    )
    ordered: list[Candidate] = []
    rest = iter(natural)
    for item in pinned:
        assert item.pin is not None
        while len(ordered) < item.pin.position - 1:
            nxt = next(rest, None)
            if nxt is None:
                break
            ordered.append(nxt)
        ordered.append(item)
    ordered.extend(rest)
    return [Ranked(n, c, now) for n, c in enumerate(ordered, start=1)]


def _neg_time(c: Candidate) -> float:
    return -c.pin.at.timestamp() if c.pin else 0.0


def _reason(c: Candidate, now: datetime) -> str:
    natural = natural_reason(c, now)
    if c.pin is None:
        return natural
    why = f": {c.pin.reason}" if c.pin.reason else ""
    return f"Pinned at #{c.pin.position} by {c.pin.by} on {c.pin.at:%Y-%m-%d}{why} ({natural})"


def position_after_move(ranked: Sequence[Ranked], key: str, offset: int) -> int:
    """The position an item moves to when it goes ``offset`` places up (<0) or down (>0)."""
    index = next(i for i, r in enumerate(ranked) if r.key == key)
    return max(1, min(len(ranked), index + 1 + offset))
