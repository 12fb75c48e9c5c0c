"""The pure SLA clock: business hours, holidays, DST, pauses; and a brute-force reference that
walks the timeline minute by minute (Hypothesis)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from casebridge.sla.clocks import History, Kind, State, Target, compute_clock
from casebridge.sla.hours import Hours, add_business, business_seconds, parse_week

BERLIN = "Europe/Berlin"
OFFICE = parse_week({d: [["09:00", "17:00"]] for d in ("mon", "tue", "wed", "thu", "fri")})


def at(text: str, zone: str = BERLIN) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=ZoneInfo(zone))


def test_business_hours_skip_the_weekend() -> None:
    hours = Hours(zone=BERLIN, week=OFFICE)
    # Friday 16:00 + 2 business hours = Monday 10:00
    assert add_business(hours, at("2026-11-06 16:00"), 2 * 3600) == at("2026-11-09 10:00")
    assert business_seconds(hours, at("2026-11-06 16:00"), at("2026-11-09 10:00")) == 7200


def test_holidays_are_closed() -> None:
    hours = Hours(zone=BERLIN, week=OFFICE, holidays=frozenset({date(2026, 12, 25)}))
    # Thursday 24 Dec 16:00 + 2 h: Friday 25 is a holiday, so Monday 28 at 10:00
    assert add_business(hours, at("2026-12-24 16:00"), 2 * 3600) == at("2026-12-28 10:00")


def test_a_dst_night_is_counted_in_real_time() -> None:
    always_night = parse_week({d: [["00:00", "24:00"]] for d in ("sat", "sun")})
    hours = Hours(zone=BERLIN, week=always_night)
    # 29 March 2026: clocks go from 02:00 to 03:00; that Sunday is 23 real hours long
    assert business_seconds(hours, at("2026-03-29 00:00"), at("2026-03-30 00:00")) == 23 * 3600
    # 25 October 2026: 03:00 back to 02:00; 25 hours
    assert business_seconds(hours, at("2026-10-25 00:00"), at("2026-10-26 00:00")) == 25 * 3600


def test_a_24x7_calendar_counts_every_minute() -> None:
    hours = Hours(always_open=True)
    start = datetime(2026, 11, 7, 23, 0, tzinfo=UTC)
    assert add_business(hours, start, 3600) == start + timedelta(hours=1)


def _history(*states: tuple[str, str], responses: tuple[str, ...] = ()) -> History:
    return History(
        created_at=at(states[0][0]),
        states=tuple((at(t), s) for t, s in states),
        responses=tuple(at(t) for t in responses),
    )


def test_waiting_on_the_reporter_pauses_and_a_reply_resumes() -> None:
    hours = Hours(zone=BERLIN, week=OFFICE)
    target = Target(kind=Kind.RESOLUTION, seconds=4 * 3600)
    history = _history(
        ("2026-11-09 09:00", "new"),
        ("2026-11-09 10:00", "waiting_on_reporter"),
        ("2026-11-10 09:00", "investigating"),
    )
    paused = compute_clock(
        target, _history(*history_states(history)[:2]), hours, at("2026-11-09 15:00")
    )
    assert paused is not None
    assert paused.state is State.PAUSED and paused.remaining_seconds == 3 * 3600
    assert paused.due_at is None
    running = compute_clock(target, history, hours, at("2026-11-10 09:30"))
    assert running is not None
    assert running.state is State.RUNNING
    assert running.due_at == at("2026-11-10 12:00")
    assert running.warn_at == at("2026-11-10 11:00")  # 75% of 4 h = 3 h
    assert running.paused_seconds == 23 * 3600


def history_states(history: History) -> list[tuple[str, str]]:
    return [
        (t.astimezone(ZoneInfo(BERLIN)).strftime("%Y-%m-%d %H:%M"), s) for t, s in history.states
    ]


def test_first_response_met_and_breached() -> None:
    hours = Hours(zone=BERLIN, week=OFFICE)
    target = Target(kind=Kind.FIRST_RESPONSE, seconds=3600)
    met = compute_clock(
        target,
        _history(("2026-11-09 09:00", "new"), responses=("2026-11-09 09:40",)),
        hours,
        at("2026-11-09 12:00"),
    )
    assert met is not None and met.state is State.MET and met.stopped_at == at("2026-11-09 09:40")
    late = compute_clock(
        target,
        _history(("2026-11-09 16:30", "new"), responses=("2026-11-10 10:00",)),
        hours,
        at("2026-11-10 12:00"),
    )
    assert late is not None and late.state is State.BREACHED
    assert late.breached_at == at("2026-11-10 09:30")


def test_a_reopened_case_does_not_count_its_resolved_days() -> None:
    hours = Hours(always_open=True)
    target = Target(kind=Kind.RESOLUTION, seconds=10 * 3600)
    history = _history(
        ("2026-11-09 09:00", "new"),
        ("2026-11-09 11:00", "resolved"),
        ("2026-11-12 11:00", "investigating"),
    )
    clock = compute_clock(target, history, hours, at("2026-11-12 12:00"))
    assert clock is not None and clock.state is State.RUNNING
    assert clock.elapsed_seconds == 3 * 3600
    assert clock.due_at == at("2026-11-12 19:00")  # 7 hours left at 12:00


def test_triage_only_for_escalated_cases() -> None:
    hours = Hours(always_open=True)
    target = Target(kind=Kind.TRIAGE, seconds=3600)
    assert (
        compute_clock(target, _history(("2026-11-09 09:00", "new")), hours, at("2026-11-09 10:00"))
        is None
    )
    escalated = History(
        created_at=at("2026-11-09 09:00"),
        states=((at("2026-11-09 09:00"), "new"), (at("2026-11-09 10:00"), "escalated")),
        escalations=(at("2026-11-09 10:00"),),
        triaged=(at("2026-11-09 10:30"),),
    )
    clock = compute_clock(target, escalated, hours, at("2026-11-09 12:00"))
    assert clock is not None and clock.state is State.MET and clock.elapsed_seconds == 1800


# --- the brute-force reference -----------------------------------------------------------------

ZONES = ["UTC", "Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "Asia/Kolkata"]
BASE = datetime(2026, 3, 20, tzinfo=UTC)  # spans the March DST changes of both hemispheres


@st.composite
def calendars(draw: st.DrawFn) -> Hours:
    week = []
    for _ in range(7):
        spans: list[tuple[int, int]] = []
        cuts = sorted(set(draw(st.lists(st.integers(0, 96), max_size=4))))
        for a, b in zip(cuts[::2], cuts[1::2], strict=False):
            if a < b:
                spans.append((a * 15, b * 15))
        week.append(tuple(spans))
    holidays = draw(st.frozensets(st.dates(date(2026, 3, 18), date(2026, 4, 30)), max_size=4))
    return Hours(
        zone=draw(st.sampled_from(ZONES)),
        week=tuple(week),
        holidays=holidays,
        always_open=draw(st.booleans().map(lambda b: b and draw(st.integers(0, 9)) == 0)),
    )


@st.composite
def histories(draw: st.DrawFn) -> History:
    minutes = sorted(draw(st.lists(st.integers(0, 12 * 24 * 60), min_size=1, max_size=6)))
    created = BASE + timedelta(minutes=minutes[0])
    states = [(created, "new")]
    for m in minutes[1:]:
        states.append(
            (
                BASE + timedelta(minutes=m),
                draw(st.sampled_from(["investigating", "waiting_on_reporter", "resolved"])),
            )
        )
    responses = tuple(
        BASE + timedelta(minutes=m)
        for m in draw(st.lists(st.integers(minutes[0], 12 * 24 * 60), max_size=2))
    )
    return History(created_at=created, states=tuple(states), responses=responses)


def brute_force(
    target: Target, history: History, hours: Hours, now: datetime
) -> tuple[str, datetime | None, int]:
    """Walk minute by minute: count a minute when the clock runs and the calendar is open."""
    states = list(history.states)
    done = {"resolved", "closed"}

    def state_at(t: datetime) -> str:
        current = "new"
        for when, s in states:
            if when <= t:
                current = s
        return current

    if target.kind is Kind.FIRST_RESPONSE:
        stops = [t for t in history.responses if t >= history.created_at]
        stops += [t for t, s in states if s in done]
        stop = min(stops, default=None)
    else:
        stop = None
        if state_at(now) in done:
            # the moment the case entered the done stretch it is in at ``now`` (two changes in
            # the same minute included: the later one in the history's order counts)
            previous = "new"
            for when, s in states:
                if when > now:
                    continue
                if s in done and previous not in done:
                    stop = when
                previous = s
    t, elapsed, breached_at = history.created_at, 0, None
    end = min(stop, now) if stop else now
    while t < end:
        s = state_at(t)
        if s not in done and s not in target.pause_states and hours.is_open(t):
            elapsed += 60
            if elapsed == target.seconds and breached_at is None:
                breached_at = t + timedelta(minutes=1)
        t += timedelta(minutes=1)
    if stop is not None and stop <= now:
        state = "breached" if breached_at is not None and breached_at < stop else "met"
    elif breached_at is not None:
        state = "breached"
    elif state_at(now) in target.pause_states:
        state = "paused"
    else:
        state = "running"
    return state, breached_at, elapsed


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    hours=calendars(),
    history=histories(),
    kind=st.sampled_from([Kind.FIRST_RESPONSE, Kind.RESOLUTION]),
    target_minutes=st.integers(1, 40 * 60),
    now_minutes=st.integers(0, 14 * 24 * 60),
)
def test_clock_equals_a_minute_by_minute_walk(
    hours: Hours, history: History, kind: Kind, target_minutes: int, now_minutes: int
) -> None:
    now = max(BASE + timedelta(minutes=now_minutes), history.states[-1][0])
    target = Target(kind=kind, seconds=target_minutes * 60)
    result = compute_clock(target, history, hours, now)
    assert result is not None
    state, breached_at, elapsed = brute_force(target, history, hours, now)
    assert result.state.value == state
    assert result.elapsed_seconds == elapsed
    if state == "breached":
        assert result.breached_at == breached_at
