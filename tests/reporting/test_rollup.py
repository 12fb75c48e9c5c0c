"""The support report read from the daily rollup equals the live computation (issue 15): on the
demo's generated history, over windows aligned on days or not, per day, week and month, with each
filter; built in bulk (``rebuild-rollup``) and kept current by the periodic job."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.test import override_settings

from casebridge.accounts.models import User
from casebridge.audit.models import AuditEvent
from casebridge.cases.models import Case
from casebridge.cases.services import case_transition
from casebridge.demo.build import load_demo
from casebridge.reporting import rolled
from casebridge.reporting.models import CaseFact, DailyRollup
from casebridge.reporting.rollup import (
    rollup_current,
    rollup_rebuild,
    rollup_tick,
    unpack,
    unpack_ints,
)
from casebridge.reporting.support import filters_for, support_report_for

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
ROLLED = ("volume", "outcomes", "escalations", "times", "states")


def _report(admin: User, **window: object) -> dict[str, list[list[object]]]:
    f = filters_for(**window)  # type: ignore[arg-type]
    return {t.name: t.rows for t in support_report_for(admin, f, ROLLED)}


def _live(admin: User, **window: object) -> dict[str, list[list[object]]]:
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(rolled, "rollup_current", lambda: False)
        return _report(admin, **window)


def _windows() -> list[dict[str, object]]:
    midnight = NOW.replace(hour=0)
    found: list[dict[str, object]] = []
    for period in ("day", "week", "month"):
        found.append({"start": NOW - timedelta(days=120), "end": NOW, "period": period})
    found += [
        {"start": midnight - timedelta(days=60), "end": midnight - timedelta(days=3)},
        {"start": NOW - timedelta(days=45, hours=5), "end": NOW - timedelta(days=2, hours=7)},
        {"start": NOW - timedelta(days=200), "end": NOW + timedelta(days=3), "period": "month"},
    ]
    return found


def _filters() -> list[dict[str, str]]:
    case = (
        Case.objects.filter(work_item__team__isnull=False)
        .select_related("service", "organisation", "work_item__team")
        .first()
    )
    assert case is not None and case.organisation is not None
    return [
        {},
        {"service": case.service.slug},
        {"organisation": case.organisation.slug},
        {"team": case.work_item.team.slug},  # type: ignore[union-attr]
        {"service": "no-such-service"},
    ]


@pytest.fixture
def demo(db: None, tmp_path: Path) -> User:
    with override_settings(MEDIA_ROOT=str(tmp_path)), time_machine.travel(NOW, tick=False):
        load_demo(cases=60, seed=11)
    return User.objects.get(username="admin")


def test_rollup_figures_equal_the_live_computation(demo: User) -> None:
    with time_machine.travel(NOW, tick=False):
        done = rollup_rebuild()
        assert done["cases"] == Case.objects.count() and done["rows"] > 0
        assert rollup_current()
        for window in _windows():
            for filters in _filters():
                got = _report(demo, **window, **filters)
                assert got == _live(demo, **window, **filters), (window, filters)
        # the rollup really is read: its counts alone give the window's closed days
        f = filters_for(start=NOW - timedelta(days=120), end=NOW)
        w = rolled.window(f)
        assert w is not None and w.days[1] == NOW.date() and len(w.edges) == 2
        assert sum(r.opened for r in DailyRollup.objects.filter(day__lt=NOW.date())) > 20
        # and its times: every fact's first response, resolution and hours, once
        rows = DailyRollup.objects.all()
        for name in ("first_response", "resolution"):
            kept = sorted(x for r in rows for x in unpack(getattr(r, name)))
            facts = CaseFact.objects.exclude(**{f"{name}_hours": None})
            assert kept == sorted(facts.values_list(f"{name}_hours", flat=True)), name
        grows = sum(sum(unpack_ints(r.open_counts)) for r in rows)
        assert grows == CaseFact.objects.exclude(state__in=["resolved", "closed"]).count() > 0


def test_the_periodic_job_keeps_the_rollup_current(demo: User) -> None:
    with time_machine.travel(NOW - timedelta(days=1), tick=False):
        CaseFact.objects.all().delete()
        rollup_rebuild()
    # a day later: more activity on old cases (the demo's own services write audit events)
    case = Case.objects.filter(state="resolved").order_by("id").first()
    assert case is not None
    reporter = case.reporter
    with time_machine.travel(NOW - timedelta(hours=30), tick=False):
        case_transition(actor=reporter, case=case, action="reopen", data={"reason": "Back again"})
    with time_machine.travel(NOW, tick=False):
        assert AuditEvent.objects.filter(subject_key=case.key, action="reopen").exists()
        while rollup_tick():
            pass
        fact = CaseFact.objects.get(case=case)
        assert fact.reopened and fact.state != "resolved"
        for window in _windows()[:3]:
            assert _report(demo, **window) == _live(demo, **window)


def test_a_rollup_far_behind_is_not_read(demo: User) -> None:
    with time_machine.travel(NOW, tick=False):
        rollup_rebuild()
        with pytest.MonkeyPatch.context() as mp:
            mp.setattr("casebridge.reporting.rollup.BATCH", 1)
            AuditEvent.objects.create(
                at=NOW, subject_type="case", subject_key="CB-1", action="commented"
            )
            AuditEvent.objects.create(
                at=NOW, subject_type="case", subject_key="CB-2", action="commented"
            )
            assert not rollup_current(limit=1)
        assert rollup_current()


def test_rebuild_of_a_day_range_is_idempotent(demo: User) -> None:
    with time_machine.travel(NOW, tick=False):
        rollup_rebuild()
        before = sorted(DailyRollup.objects.values_list("day", "service_id", "opened", "resolved"))
        call_command("reports", "rebuild-rollup", "--from", "2026-10-01", "--to", "2026-10-31")
        call_command("reports", "rebuild-rollup", "--from", "2026-10-01", "--to", "2026-10-31")
        after = sorted(DailyRollup.objects.values_list("day", "service_id", "opened", "resolved"))
        assert after == before
        assert date(2026, 10, 15) in {d for d, *_ in after}


def test_the_cli_refuses_a_bad_day(db: None) -> None:
    with pytest.raises(CommandError, match="--from"):
        call_command("reports", "rebuild-rollup", "--from", "yesterday")
    with pytest.raises(CommandError, match="--from"):
        call_command("reports", "rebuild-rollup", "--from", "2026-10-02", "--to", "2026-10-01")
