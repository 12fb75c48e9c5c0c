"""Keeping the report's rollup current (issue 15): the facts of each case (``CaseFact``), the days
it was escalated (``EscalationDay``) and the counts per day, service, organisation and team
(``DailyRollup``).

* ``facts_for`` derives a case's facts with the predicates the live report uses (``tables``), and
  ``walk`` is the one time-in-state walk both use, so the rollup and the live computation agree.
* ``rollup_tick`` (a periodic job, and before each report read) refreshes the facts of the cases
  with audit events since its cursor (a work item's events refresh its cases) and recomputes the
  days they touch; ``rollup_rebuild`` recomputes every case, or the cases of a day range, and
  their days (``casebridge reports rebuild-rollup``). Both are idempotent.
"""

from __future__ import annotations

import logging
import sys
from array import array
from collections import Counter, defaultdict
from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta

from django.db import transaction
from django.db.models import Exists, Min, OuterRef, Q
from django.utils import timezone

from casebridge.audit.models import AuditEvent
from casebridge.cases.models import Case, CaseState
from casebridge.core import clock
from casebridge.reporting import tables as t
from casebridge.reporting.models import CaseFact, DailyRollup, EscalationDay
from casebridge.sla.models import TickCursor

log = logging.getLogger(__name__)

CURSOR = "report_rollup"
BATCH = 2000
#: The open states whose hours a fact keeps, and its column for each.
HOURS = {
    CaseState.NEW.value: "hours_new",
    CaseState.INVESTIGATING.value: "hours_investigating",
    CaseState.WAITING_ON_REPORTER.value: "hours_waiting_on_reporter",
    CaseState.ESCALATED.value: "hours_escalated",
}
ENDED = (CaseState.RESOLVED.value, CaseState.CLOSED.value)
Change = tuple[datetime, str]


def local_day(at: datetime) -> date:
    return timezone.localtime(at, timezone.get_current_timezone()).date()


def midnight(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time()), timezone.get_current_timezone())


EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def epoch_us(at: datetime) -> int:
    """Microseconds since 1970: exact, so ``(b - a) / 10**6`` equals ``timedelta.total_seconds``."""
    delta = at - EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def walk(
    created: datetime, changes: list[Change], horizon: datetime, into: dict[str, float]
) -> str:
    """Add the hours of each open state of the timeline (creation, then ``changes``) up to
    ``horizon`` into ``into``; a state the case was in counts even for zero hours. Returns the
    state the timeline ends in. The live report and the facts both use this walk."""
    timeline: list[Change] = [(created, CaseState.NEW.value), *changes]
    for (at, state), nxt in zip(timeline, [*timeline[1:], (horizon, "")], strict=True):
        if state in ENDED:
            continue
        into[state] = into.get(state, 0.0) + max(0.0, t.hours(min(nxt[0], horizon) - at))
    return timeline[-1][1]


def _case_events(keys: list[str]) -> list[tuple[str, datetime, str, str]]:
    # A plain query, not .iterator(): on PostgreSQL that is a cursor, planned for its first
    # rows, which walks the whole log in time order (seconds per batch at 5M events) instead of
    # reading each case's events by the subject index (milliseconds).
    return list(
        AuditEvent.objects.filter(subject_type="case", subject_key__in=keys, field="state")
        .order_by("at", "id")
        .values_list("subject_key", "at", "new", "action")
    )


def facts_for(case_ids: Iterable[int]) -> tuple[list[CaseFact], list[EscalationDay]]:
    """The facts (and escalation days) of the cases ``case_ids``, from the case rows and their
    audit events, with the live report's predicates."""
    rows = list(
        Case.objects.filter(pk__in=list(case_ids)).values_list(
            "id", "key", "created_at", "resolved_at", "service_id", "organisation_id",
            "work_item__team_id", "work_item__category", "reopen_count", "work_item_id",
        )
    )  # fmt: skip
    keys = [r[1] for r in rows]
    changes: dict[str, list[Change]] = defaultdict(list)
    escalated: dict[str, set[date]] = defaultdict(set)
    for key, at, new, action in _case_events(keys):
        changes[key].append((at, new))
        if action == "escalate":
            escalated[key].add(local_day(at))
    of_case = AuditEvent.objects.filter(subject_type="case", subject_key__in=keys)
    replies = dict(
        of_case.filter(t.staff_reply())
        .values_list("subject_key")
        .annotate(first=Min("at"))
        .values_list("subject_key", "first")
    )
    returned = set(
        of_case.filter(action="work_item_progress", data__action="needs_info").values_list(
            "subject_key", flat=True
        )
    )
    facts, days = [], []
    for cid, key, created, resolved, service, org, team, category, reopens, item in rows:
        done: list[Change] = changes.get(key, [])
        spent: dict[str, float] = {}
        # the completed intervals only: the last one runs to whatever horizon the report asks
        state = walk(created, done[:-1], done[-1][0], spent) if done else CaseState.NEW.value
        if done:
            state = done[-1][1]
        first = replies.get(key)
        facts.append(CaseFact(
            case_id=cid, created_at=created, day=local_day(created), resolved_at=resolved,
            resolved_day=local_day(resolved) if resolved else None, service_id=service,
            organisation_id=org or 0, team_id=team or 0,
            category=(category or "") if item else "", reopened=reopens > 0,
            returned=key in returned,
            first_response_hours=t.hours(first - created) if first is not None else None,
            resolution_hours=t.hours(resolved - created) if resolved is not None else None,
            state=state, since_us=epoch_us(done[-1][0] if done else created),
            **{column: spent.get(s) for s, column in HOURS.items()},
        ))  # fmt: skip
        days += [EscalationDay(case_id=cid, day=d) for d in sorted(escalated.get(key, ()))]
    return facts, days


def _days_of(case_ids: list[int]) -> set[date]:
    found: set[date] = set()
    for day, resolved in CaseFact.objects.filter(case_id__in=case_ids).values_list(
        "day", "resolved_day"
    ):
        found.add(day)
        if resolved:
            found.add(resolved)
    return found


def refresh_cases(case_ids: Iterable[int]) -> set[date]:
    """Recompute the facts of ``case_ids``; returns the days whose counts they touch (before
    and after)."""
    ids = list(case_ids)
    touched = _days_of(ids)
    facts, days = facts_for(ids)
    with transaction.atomic():
        CaseFact.objects.filter(case_id__in=ids).delete()
        EscalationDay.objects.filter(case_id__in=ids).delete()
        CaseFact.objects.bulk_create(facts, batch_size=1000)
        EscalationDay.objects.bulk_create(days, batch_size=1000)
    for fact in facts:
        touched.add(fact.day)
        if fact.resolved_day:
            touched.add(fact.resolved_day)
    return touched


Keys = tuple[date, int, int, int]
#: the per-case times a ``DailyRollup`` row keeps (packed doubles, sorted)
TIMES = ("first_response", "resolution", *HOURS.values())


def pack(values: Iterable[float] | Iterable[int], code: str = "d") -> bytes:
    """Numbers as bytes (little-endian doubles, or 64-bit integers with ``code="q"``)."""
    found = array(code, values)
    if sys.byteorder == "big":
        found.byteswap()
    return found.tobytes()


def _unpacked[N: (int, float)](found: array[N], blob: bytes | memoryview | None) -> array[N]:
    if blob:
        found.frombytes(blob)
        if sys.byteorder == "big":
            found.byteswap()
    return found


def unpack(blob: bytes | memoryview | None) -> array[float]:
    """The doubles ``pack`` wrote."""
    return _unpacked(array("d"), blob)


def unpack_ints(blob: bytes | memoryview | None) -> array[int]:
    """The 64-bit integers ``pack(..., "q")`` wrote."""
    return _unpacked(array("q"), blob)


class _Day:
    """One ``DailyRollup`` row being counted, with the per-case times behind it."""

    def __init__(self, key: Keys) -> None:
        self.row = DailyRollup(
            day=key[0], service_id=key[1], organisation_id=key[2], team_id=key[3], escalated={}
        )
        self.times: dict[str, list[float]] = {name: [] for name in TIMES}
        self.open: list[list[tuple[float, int]]] = [[] for _ in HOURS]

    def opened(self, fact: tuple[float | str | None, ...]) -> None:
        """A case opened that day: ``fact`` is first response, hours per state, state, since."""
        first, *hours, state, entered = fact
        since = int(entered or 0)
        if first is not None:
            self.times["first_response"].append(float(first))
        for i, (name, column) in enumerate(HOURS.items()):
            spent = hours[i]
            if state == name:  # still growing: the report adds the hours up to its horizon
                self.open[i].append((float(spent or 0.0), since))
            elif spent is not None:
                self.times[column].append(float(spent))
        self.row.last_change_us = max(self.row.last_change_us, since)

    def done(self) -> DailyRollup:
        for name, values in self.times.items():
            setattr(self.row, name, pack(sorted(values)))
        self.row.open_counts = pack((len(o) for o in self.open), "q")
        self.row.open_hours = pack(h for o in self.open for h, _ in o)
        self.row.open_since = pack((s for o in self.open for _, s in o), "q")
        return self.row


def rollup_days(days: Iterable[date]) -> int:
    """Recompute the counts and times of ``days`` from the facts (idempotent). Returns the rows
    written."""
    wanted = sorted(set(days))
    if not wanted:
        return 0
    written = 0
    fields = ("day", "resolved_day", "service_id", "organisation_id", "team_id", "category",
              "reopened", "resolution_hours", "first_response_hours", *HOURS.values(), "state",
              "since_us")  # fmt: skip
    for part in range(0, len(wanted), 20):
        chunk = wanted[part : part + 20]
        found = CaseFact.objects.filter(Q(day__in=chunk) | Q(resolved_day__in=chunk))
        picked = set(chunk)
        rows: dict[Keys, _Day] = {}
        escalated: Counter[tuple[Keys, str]] = Counter()
        # a plain query (20 days of facts), not a cursor: see _case_events
        for fact in found.values_list(*fields):
            day, resolved_day, s, o, team, category, reopened, resolution = fact[:8]
            if day in picked:
                key = (day, s, o, team)
                row = rows.get(key) or rows.setdefault(key, _Day(key))
                row.row.opened += 1
                row.opened(fact[8:])
                if category:
                    escalated[key, category] += 1
            if resolved_day in picked:
                key = (resolved_day, s, o, team)
                row = rows.get(key) or rows.setdefault(key, _Day(key))
                row.row.resolved += 1
                row.row.resolved_at_l2 += not category
                row.row.resolved_reopened += reopened
                if resolution is not None:
                    row.times["resolution"].append(resolution)
        for (key, category), n in escalated.items():
            rows[key].row.escalated[category] = n
        made = [row.done() for row in rows.values()]
        with transaction.atomic():
            DailyRollup.objects.filter(day__in=chunk).delete()
            DailyRollup.objects.bulk_create(made, batch_size=500)
        written += len(made)
    return written


def _pending(last_id: int, limit: int) -> list[tuple[int, str, str]]:
    return list(
        AuditEvent.objects.filter(pk__gt=last_id, subject_type__in=["case", "work_item"])
        .order_by("id")
        .values_list("id", "subject_type", "subject_key")[:limit]
    )


def rollup_tick(*, limit: int = BATCH) -> int:
    """The periodic job: refresh the facts of the cases with audit events since the cursor (and
    of the cases of work items with events), then their days. Nothing until the rollup is built
    (``rollup_rebuild``). Returns how many cases it refreshed."""
    cursor = TickCursor.objects.filter(name=CURSOR).first()
    if cursor is None:
        return 0
    rows = _pending(cursor.last_id, limit)
    if not rows:
        return 0
    case_keys = {key for _, kind, key in rows if kind == "case"}
    item_keys = {key for _, kind, key in rows if kind == "work_item"}
    found = (
        Q(key__in=case_keys) | Q(work_item__key__in=item_keys)
        if item_keys
        else Q(key__in=case_keys)
    )
    ids = list(Case.objects.filter(found).values_list("id", flat=True))
    rollup_days(refresh_cases(ids))
    TickCursor.objects.filter(name=CURSOR).update(last_id=rows[-1][0])
    return len(ids)


def rollup_current(*, limit: int = BATCH) -> bool:
    """Whether the rollup is built and has read every audit event (catching up first with at
    most ``limit`` events: the few since the last periodic pass)."""
    cursor = TickCursor.objects.filter(name=CURSOR).first()
    if cursor is None:
        return False
    if not _pending(cursor.last_id, 1):
        return True
    if len(_pending(cursor.last_id, limit + 1)) > limit:
        log.warning("report rollup behind by more than %s audit events; computing live", limit)
        return False
    rollup_tick(limit=limit)  # every pending event fits in one pass: current as of now
    return True


def _cases_touching(start: date, end: date) -> list[int]:
    lo, hi = midnight(start), midnight(end + timedelta(days=1))
    ids = set(
        Case.objects.filter(
            Q(created_at__gte=lo, created_at__lt=hi) | Q(resolved_at__gte=lo, resolved_at__lt=hi)
        ).values_list("id", flat=True)
    )
    keys = AuditEvent.objects.filter(
        subject_type="case", action="escalate", field="state", at__gte=lo, at__lt=hi
    ).values("subject_key")
    ids |= set(Case.objects.filter(key__in=keys).values_list("id", flat=True))
    return sorted(ids)


def rollup_rebuild(*, start: date | None = None, end: date | None = None) -> dict[str, int]:
    """Recompute the facts and counts of every case (or of the cases created, resolved or
    escalated from ``start`` to ``end``, both included) and their days. Idempotent; the periodic
    job keeps it current from then on."""
    last = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
    if start is None and end is None:
        ids = list(Case.objects.order_by("id").values_list("id", flat=True))
    else:
        today = local_day(clock.now())
        ids = _cases_touching(start or date(1970, 1, 1), end or today + timedelta(days=1))
    touched: set[date] = set()
    for part in range(0, len(ids), BATCH):
        touched |= refresh_cases(ids[part : part + BATCH])
    if start is None and end is None:
        stale = set(DailyRollup.objects.values_list("day", flat=True).distinct())
        touched |= stale
        # NOT EXISTS, not NOT IN (a subquery of every case: PostgreSQL cannot hash 1M ids in
        # work_mem and ran it for minutes)
        CaseFact.objects.filter(~Exists(Case.objects.filter(pk=OuterRef("case_id")))).delete()
    rows = rollup_days(touched)
    if start is None and end is None:
        # a day range alone never makes the rollup complete: only a full rebuild starts it
        TickCursor.objects.update_or_create(name=CURSOR, defaults={"last_id": last})
    return {"cases": len(ids), "days": len(touched), "rows": rows}
