"""One pure function computes an SLA clock from a case's history and a calendar.

No database and no clock: the history is plain data read from the audit log (``sla.history``),
``now`` is passed in. The stored clock (``SlaClock``) is this function's result, so it can be
recomputed at any time (a new policy, a new impact) and tested against a brute-force reference.

Definitions (docs/operations.md, "SLA clocks"):

* first response: from the case's creation to the first public reply by staff (a public comment,
  a question to the reporter, an escalation or a resolution by a person, not the system); a case
  resolved before any reply stops the clock then.
* triage (escalated cases only): from the first escalation to the moment the work item's
  priority is set (the RTE's triage); a resolution first stops it.
* resolution: from creation to resolution; resolved periods that ended in a reopen do not count.

Time counts only while the calendar is open and the case is in none of the policy's pause states
(by default waiting on the reporter), up to the stop.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from casebridge.sla.hours import Hours, add_business, business_seconds

DONE_STATES = frozenset({"resolved", "closed"})


class Kind(StrEnum):
    FIRST_RESPONSE = "first_response"
    TRIAGE = "triage"
    RESOLUTION = "resolution"


KIND_LABELS = {
    Kind.FIRST_RESPONSE: "First response",
    Kind.TRIAGE: "Triage",
    Kind.RESOLUTION: "Resolution",
}


class State(StrEnum):
    RUNNING = "running"
    PAUSED = "paused"
    MET = "met"
    BREACHED = "breached"


@dataclass(frozen=True)
class History:
    """What a case's clocks depend on, read from its audit events (times are aware)."""

    created_at: datetime
    #: (at, new state), in order; the first is the state at creation
    states: tuple[tuple[datetime, str], ...]
    #: public replies by staff
    responses: tuple[datetime, ...] = ()
    escalations: tuple[datetime, ...] = ()
    #: the work item's priority set
    triaged: tuple[datetime, ...] = ()

    def until(self, now: datetime) -> History:
        """What was known at ``now`` (a computation never sees the future)."""
        return History(
            created_at=self.created_at,
            states=tuple(s for s in self.states if s[0] <= now),
            responses=tuple(t for t in self.responses if t <= now),
            escalations=tuple(t for t in self.escalations if t <= now),
            triaged=tuple(t for t in self.triaged if t <= now),
        )

    def state_at_end(self) -> str:
        return self.states[-1][1] if self.states else "new"


@dataclass(frozen=True)
class Target:
    kind: Kind
    seconds: int
    warn_share: float = 0.75
    pause_states: frozenset[str] = frozenset({"waiting_on_reporter"})


@dataclass(frozen=True)
class Result:
    kind: Kind
    state: State
    started_at: datetime
    due_at: datetime | None
    warn_at: datetime | None
    stopped_at: datetime | None
    breached_at: datetime | None
    elapsed_seconds: int
    remaining_seconds: int
    paused_seconds: int


Interval = tuple[datetime, datetime | None]  # None: open-ended


def _first_after(times: tuple[datetime, ...], start: datetime) -> datetime | None:
    return min((t for t in times if t >= start), default=None)


def _first_done(history: History, start: datetime) -> datetime | None:
    return next((at for at, s in history.states if at >= start and s in DONE_STATES), None)


def _bounds(kind: Kind, history: History) -> tuple[datetime | None, datetime | None]:
    """When the clock starts (None: no clock) and when it stopped (None: not yet)."""
    done = _first_done(history, history.created_at)
    if kind is Kind.FIRST_RESPONSE:
        start = history.created_at
        candidates = [t for t in (_first_after(history.responses, start), done) if t]
        return start, min(candidates, default=None)
    if kind is Kind.TRIAGE:
        if not history.escalations:
            return None, None
        start = min(history.escalations)
        done_after = _first_done(history, start)
        candidates = [t for t in (_first_after(history.triaged, start), done_after) if t]
        return start, min(candidates, default=None)
    start = history.created_at
    final = history.state_at_end()
    if final not in DONE_STATES:
        return start, None
    last_done: datetime | None = None  # the start of the last run of done states
    for at, state in history.states:
        if state not in DONE_STATES:
            last_done = None
        elif last_done is None:
            last_done = at
    return start, last_done


def _segments(history: History) -> Iterator[tuple[datetime, datetime | None, str]]:
    states = history.states or ((history.created_at, "new"),)
    for i, (at, state) in enumerate(states):
        end = states[i + 1][0] if i + 1 < len(states) else None
        yield at, end, state


def _active(
    history: History, start: datetime, stop: datetime | None, excluded: frozenset[str]
) -> list[Interval]:
    """The parts of [start, stop) in which the clock runs, in order."""
    out: list[Interval] = []
    for a, b, state in _segments(history):
        if state in excluded:
            continue
        lo = max(a, start)
        hi: datetime | None = b
        if stop is not None:
            hi = stop if hi is None else min(hi, stop)
        if hi is not None and hi <= lo:
            continue
        if out and out[-1][1] == lo:
            out[-1] = (out[-1][0], hi)
        else:
            out.append((lo, hi))
    return out


def _elapsed(hours: Hours, active: list[Interval], until: datetime) -> float:
    total = 0.0
    for lo, hi in active:
        end = until if hi is None else min(hi, until)
        if end > lo:
            total += business_seconds(hours, lo, end)
    return total


def _reach(hours: Hours, active: list[Interval], seconds: float) -> datetime | None:
    """When the clock's elapsed time reaches ``seconds``; None if it does not (stopped or
    paused before that, or a calendar never open)."""
    left = seconds
    for lo, hi in active:
        if hi is None:
            return add_business(hours, lo, left)
        length = business_seconds(hours, lo, hi)
        if length >= left:
            return add_business(hours, lo, left)
        left -= length
    return None


def _paused(history: History, start: datetime, until: datetime, excluded: frozenset[str]) -> float:
    total = 0.0
    for a, b, state in _segments(history):
        if state not in excluded or state in DONE_STATES:
            continue
        lo, hi = max(a, start), until if b is None else min(b, until)
        if hi > lo:
            total += (hi - lo).total_seconds()
    return total


def compute_clock(target: Target, history: History, hours: Hours, now: datetime) -> Result | None:
    """The clock of ``target`` for a case with ``history``, as of ``now``; None when the clock
    does not apply (triage of a case never escalated)."""
    history = history.until(now)
    start, stop = _bounds(target.kind, history)
    if start is None:
        return None
    excluded = target.pause_states | DONE_STATES
    active = _active(history, start, stop, excluded)
    until = stop if stop is not None and stop <= now else now
    elapsed = _elapsed(hours, active, until)
    due = _reach(hours, active, target.seconds)
    warn = _reach(hours, active, target.seconds * target.warn_share)
    remaining = max(0.0, target.seconds - elapsed)
    paused = _paused(history, start, until, target.pause_states)
    running_now = bool(active) and active[-1][1] is None
    if stop is not None and stop <= now:
        state = State.BREACHED if due is not None and due < stop else State.MET
    elif due is not None and due <= now:
        state = State.BREACHED
    elif running_now:
        state = State.RUNNING
    else:
        state = State.PAUSED
    return Result(
        kind=target.kind,
        state=state,
        started_at=start,
        due_at=due if state is not State.PAUSED else None,
        warn_at=warn if state is State.RUNNING else (warn if state is State.BREACHED else None),
        stopped_at=stop if stop is not None and stop <= now else None,
        breached_at=due if state is State.BREACHED else None,
        elapsed_seconds=round(elapsed),
        remaining_seconds=round(remaining) if state in (State.RUNNING, State.PAUSED) else 0,
        paused_seconds=round(paused),
    )
