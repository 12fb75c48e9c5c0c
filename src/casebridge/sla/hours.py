"""Business time: when a calendar is open, how much open time lies between two instants, and
when a given amount of open time has passed. Pure: no database, no clock.

An instant ``t`` is open when its wall-clock time in the calendar's zone falls on a day that is
no holiday, inside one of that weekday's ``[start, end)`` spans. The arithmetic works on spans of
constant UTC offset, so it is exact across daylight-saving changes (a skipped hour is never open,
a repeated hour is open twice if its wall time is).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DAY = timedelta(days=1)
Span = tuple[int, int]  # minutes after local midnight, [start, end), 0..1440


@dataclass(frozen=True)
class Hours:
    """A calendar reduced to what the arithmetic needs."""

    zone: str = "UTC"
    #: per weekday (0 = Monday) the open spans in minutes after local midnight
    week: tuple[tuple[Span, ...], ...] = ((),) * 7
    holidays: frozenset[date] = field(default_factory=frozenset)
    always_open: bool = False

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.zone)

    def is_open(self, t: datetime) -> bool:
        """The reference definition (the brute-force tests walk minutes through it)."""
        if self.always_open:
            return True
        local = t.astimezone(self.tz)
        if local.date() in self.holidays:
            return False
        minute = local.hour * 60 + local.minute + local.second / 60
        return any(a <= minute < b for a, b in self.week[local.weekday()])

    @property
    def never_open(self) -> bool:
        return not self.always_open and not any(self.week)


ALWAYS = Hours(always_open=True)


def _offset(tz: ZoneInfo, t: datetime) -> timedelta:
    offset = t.astimezone(tz).utcoffset()
    assert offset is not None
    return offset


def _constant_spans(tz: ZoneInfo, a: datetime, b: datetime) -> Iterator[tuple[datetime, datetime]]:
    """[a, b) cut where the zone's UTC offset changes; each piece has one offset. Changes are
    found a day at a time, then to the second (tzdata's transitions fall on whole seconds)."""
    start = a
    while start < b:
        offset = _offset(tz, start)
        probe, changed = start, None
        while probe < b:
            nxt = min(probe + DAY, b)
            if _offset(tz, nxt) != offset:
                changed = probe, nxt
                break
            probe = nxt
        if changed is None:
            yield start, b
            return
        lo, hi = math.floor(changed[0].timestamp()), math.ceil(changed[1].timestamp())
        while hi - lo > 1:
            mid = (lo + hi) // 2
            if _offset(tz, datetime.fromtimestamp(mid, UTC)) == offset:
                lo = mid
            else:
                hi = mid
        cut = min(datetime.fromtimestamp(hi, UTC), b)
        yield start, cut
        start = cut


def open_spans(hours: Hours, a: datetime, b: datetime) -> Iterator[tuple[datetime, datetime]]:
    """The open parts of [a, b), in order, as aware UTC datetimes."""
    a, b = a.astimezone(UTC), b.astimezone(UTC)
    if a >= b:
        return
    if hours.always_open:
        yield a, b
        return
    if hours.never_open:
        return
    tz = hours.tz
    for seg_a, seg_b in _constant_spans(tz, a, b):
        offset = _offset(tz, seg_a)
        wall_a, wall_b = seg_a + offset, seg_b + offset  # naive-equivalent wall times (UTC tag)
        day = wall_a.date()
        while datetime.combine(day, time(), UTC) < wall_b:
            if day not in hours.holidays:
                midnight = datetime.combine(day, time(), UTC)
                for s, e in hours.week[day.weekday()]:
                    lo = max(midnight + timedelta(minutes=s), wall_a)
                    hi = min(midnight + timedelta(minutes=e), wall_b)
                    if lo < hi:
                        yield lo - offset, hi - offset
            day += DAY


def business_seconds(hours: Hours, a: datetime, b: datetime) -> float:
    """Open time in [a, b), in seconds (0 when b <= a)."""
    return sum((hi - lo).total_seconds() for lo, hi in open_spans(hours, a, b))


#: How far ahead ``add_business`` looks before it says "never" (a calendar with no open day).
HORIZON = timedelta(days=3 * 366)


def add_business(hours: Hours, start: datetime, seconds: float) -> datetime | None:
    """The instant at which ``seconds`` of open time have passed since ``start``; None if the
    calendar is not open that long within three years."""
    start = start.astimezone(UTC)
    if seconds <= 0:
        return start
    if hours.always_open:
        return start + timedelta(seconds=seconds)
    left = seconds
    window_start = start
    while window_start < start + HORIZON:
        window_end = window_start + timedelta(days=31)
        for lo, hi in open_spans(hours, window_start, window_end):
            length = (hi - lo).total_seconds()
            if length >= left:
                return lo + timedelta(seconds=left)
            left -= length
        window_start = window_end
    return None


def parse_week(spec: dict[str, list[list[str]]] | None) -> tuple[tuple[Span, ...], ...]:
    """``{"mon": [["08:00", "18:00"]], ...}`` to per-weekday minute spans (validated elsewhere)."""
    spec = spec or {}
    week: list[tuple[Span, ...]] = []
    for name in WEEKDAYS:
        spans = sorted((to_minutes(a), to_minutes(b)) for a, b in spec.get(name, []))
        week.append(tuple(spans))
    return tuple(week)


def to_minutes(text: str) -> int:
    """``"08:30"`` is 510; ``"24:00"`` is 1440 (the end of the day)."""
    hh, mm = text.split(":")
    value = int(hh) * 60 + int(mm)
    if not (0 <= int(mm) < 60 and 0 <= value <= 1440):
        raise ValueError(text)
    return value
