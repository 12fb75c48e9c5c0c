"""Work items carry fix targets: the item's clock from the same pure function, paused while
development waits on L2, a warning and a breach each once at the minute, shown on the item's
page and its board card."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.test import Client

from casebridge.audit.models import AuditEvent
from casebridge.core import events
from casebridge.integrations.models import Notification
from casebridge.sla.calendars import calendar_create
from casebridge.sla.events import ItemSlaBreached, ItemSlaWarningReached
from casebridge.sla.items import item_policy_create
from casebridge.sla.models import ItemClock
from casebridge.sla.services import sla_tick
from casebridge.sla.subscribers import on_item_sla_event
from casebridge.workitems.models import WorkItem
from casebridge.workitems.services import work_item_create, work_item_transition
from tests import factories

T0 = datetime(2026, 11, 9, 8, 0, tzinfo=UTC)
DOCS = {"steps_to_reproduce": "Pay", "expected_result": "Paid", "actual_result": "502",
        "log_excerpt": "ERROR gateway timeout"}  # fmt: skip


@pytest.fixture
def critical_fix(world: factories.World) -> None:
    always = calendar_create(actor=world["admin"], name="24x7", always_open=True)
    item_policy_create(
        actor=world["admin"], name="Critical bugs", calendar=always, categories=["bug"],
        priorities=["critical"], fix_minutes=2 * 24 * 60, lead="l2b",
    )  # fmt: skip


def critical_bug(world: factories.World) -> WorkItem:
    item = work_item_create(actor=world["l2"], category="bug", title="Checkout 502", docs=DOCS)
    triage = {"priority": "critical", "impact": "Nobody can pay"}
    return work_item_transition(actor=world["rte"], item=item, action="triage", data=triage)


def test_only_administrators_set_item_targets(world: factories.World) -> None:
    always = calendar_create(actor=world["admin"], name="24x7", always_open=True)
    with pytest.raises(Exception, match="administrator"):
        item_policy_create(actor=world["rte"], name="X", calendar=always, fix_minutes=60)
    with pytest.raises(Exception) as bad:
        item_policy_create(actor=world["admin"], name="X", calendar=always, fix_minutes=0,
                           priorities=["urgent"])  # fmt: skip
    assert set(bad.value.fields) == {"fix_minutes", "priorities"}  # type: ignore[attr-defined]


def test_the_fix_clock_pauses_warns_and_breaches_once(world, critical_fix) -> None:
    with time_machine.travel(T0, tick=False):
        item = critical_bug(world)
        sla_tick()
        clock = ItemClock.objects.get(work_item=item)
        assert (clock.state, clock.due_at) == ("running", T0 + timedelta(days=2))
    with time_machine.travel(T0 + timedelta(hours=1), tick=False):
        item = work_item_transition(actor=world["rte"], item=item, action="needs_info",
                                    data={"reason": "Which card?"})  # fmt: skip
        sla_tick()
        assert ItemClock.objects.get(work_item=item).state == "paused"
    with time_machine.travel(T0 + timedelta(hours=2), tick=False):
        work_item_transition(actor=world["l2"], item=item, action="provide_info",
                             data={"reason": "Visa"})  # fmt: skip
        sla_tick()
        clock = ItemClock.objects.get(work_item=item)
        assert clock.state == "running" and clock.paused_seconds == 3600
        assert clock.due_at == T0 + timedelta(hours=49)
        assert clock.warn_at == T0 + timedelta(hours=37)
    with events.recorded() as seen:
        for hour, minute in ((36, 59), (37, 0), (37, 1), (48, 59), (49, 0), (50, 0)):
            at = T0 + timedelta(hours=hour, minutes=minute)
            with time_machine.travel(at, tick=False):
                sla_tick()  # a fresh pass each time: everything it knows is in the database
                warned = [e for e in seen if isinstance(e, ItemSlaWarningReached)]
                breached = [e for e in seen if isinstance(e, ItemSlaBreached)]
                assert len(warned) == (1 if at >= T0 + timedelta(hours=37) else 0), at
                assert len(breached) == (1 if at >= T0 + timedelta(hours=49) else 0), at
    assert breached[0].breached_at == T0 + timedelta(hours=49)
    assert breached[0].people == ["l2b"]
    timeline = AuditEvent.objects.filter(subject_key=item.key, action="sla_breached")
    assert [(e.new, e.at) for e in timeline] == [("fix", T0 + timedelta(hours=49))]
    for event in [*warned, *breached, *breached]:  # the outbox delivers; a retry tells once
        on_item_sla_event(event)
    notes = Notification.objects.filter(user=world["l2b"], subject_key=item.key)
    assert sorted(n.message for n in notes) == [
        f"{item.key}: the fix target is breached",
        f"{item.key}: the fix target is close (due 2026-11-11 09:00 UTC)",
    ]


def test_the_item_page_and_board_show_the_fix_clock(world, critical_fix) -> None:
    with time_machine.travel(T0, tick=False):
        item = critical_bug(world)
        sla_tick()
    client = Client()
    client.force_login(world["rte"])
    with time_machine.travel(T0 + timedelta(hours=40), tick=False):
        page = client.get(f"/work-items/{item.key}/").content.decode()
        assert "Fix" in page and "At risk: 8 h left" in page
        board = client.get("/work-items/board/bug/").content.decode()
        card = board.split(f'data-key="{item.key}"')[1].split("</li>")[0]
        assert 'class="sla sla-warning"' in card and "At risk: 8 h left" in card
