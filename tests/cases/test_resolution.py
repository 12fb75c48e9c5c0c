"""Resolving cases: known fixes, duplicates, reopening and the quiet-period close."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine

from casebridge.audit.models import AuditEvent
from casebridge.cases.models import Case
from casebridge.cases.services import case_transition, close_quiet_resolved_cases
from casebridge.core.errors import TransitionRefused
from casebridge.knowledge.models import KnownResolution
from casebridge.knowledge.selectors import known_resolution_get_for
from casebridge.knowledge.services import KnownResolutionInput, known_resolution_create
from tests import factories
from tests.contract.support import snapshot

T0 = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)


def investigating(world: factories.World, **kwargs: Any) -> Case:
    return case_transition(
        actor=world["l2"], case=factories.make_case(world, **kwargs), action="take"
    )


def resolve(world: factories.World, case: Case, **data: Any) -> Case:
    return case_transition(actor=world["l2"], case=case, action="resolve", data=data)


def known_fix(world: factories.World) -> KnownResolution:
    return known_resolution_create(
        actor=world["l2"],
        data=KnownResolutionInput(
            title="Restart the checkout pods",
            symptoms="502 at the payment step",
            steps="kubectl rollout restart deploy/checkout",
            fix_kind="restart_service",
            services=[world.services["payments"]],
        ),
    )


def refusal(world: factories.World, case: Case, **data: Any) -> dict[str, str]:
    before = snapshot()
    with pytest.raises(TransitionRefused) as refused:
        resolve(world, case, **data)
    assert snapshot() == before
    assert Case.objects.get(pk=case.pk).state == case.state
    return {r.field or "": r.code for r in refused.value.reasons}


# --- known fixes ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_known_fix_records_the_resolution_and_the_action_on_the_case(
    world: factories.World,
) -> None:
    fix = known_fix(world)
    case = resolve(
        world,
        investigating(world),
        resolution="known_fix",
        known_resolution=fix.key.lower(),
        action_taken="  Restarted checkout-7f9 and checkout-a1c  ",
    )
    stored = Case.objects.get(pk=case.pk)
    assert (stored.state, stored.resolution) == ("resolved", "known_fix")
    assert stored.known_resolution == fix
    assert stored.action_taken == "Restarted checkout-7f9 and checkout-a1c"
    assert stored.resolved_at is not None
    changed = dict(
        AuditEvent.objects.filter(subject_key=case.key, action="resolve").values_list(
            "field", "new"
        )
    )
    assert changed["known_resolution"] == fix.key
    assert changed["action_taken"] == "Restarted checkout-7f9 and checkout-a1c"
    assert known_resolution_get_for(world["l2"], fix.key).applied == 1


@pytest.mark.django_db
def test_known_fix_needs_the_resolution_and_the_action(world: factories.World) -> None:
    case = investigating(world)
    assert refusal(world, case, resolution="known_fix") == {
        "known_resolution": "required",
        "action_taken": "required",
    }
    assert refusal(
        world, case, resolution="known_fix", known_resolution="KR-404", action_taken="x"
    ) == {"known_resolution": "not_found"}
    assert refusal(world, case, resolution="known_fix", known_resolution=known_fix(world).key) == {
        "action_taken": "required"
    }


@pytest.mark.django_db
def test_fixed_and_unknown_resolutions_are_refused(world: factories.World) -> None:
    case = investigating(world)
    assert refusal(world, case, resolution="fixed") == {"resolution": "resolution"}
    assert refusal(world, case, resolution="wontfix") == {"resolution": "resolution"}
    assert refusal(world, case) == {"resolution": "required"}
    assert refusal(world, case, resolution="no_fault") == {"note": "required"}


# --- duplicates -----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_duplicate_names_the_original(world: factories.World) -> None:
    original = factories.make_case(world, title="Checkout 502 since the deploy")
    case = resolve(world, investigating(world), resolution="duplicate", duplicate_of=original.key)
    stored = Case.objects.get(pk=case.pk)
    assert (stored.resolution, stored.duplicate_of) == ("duplicate", original)
    assert list(original.duplicates.all()) == [stored]


@pytest.mark.django_db
def test_duplicate_rules(world: factories.World) -> None:
    case = investigating(world)
    assert refusal(world, case, resolution="duplicate") == {"duplicate_of": "required"}
    assert refusal(world, case, resolution="duplicate", duplicate_of="CB-9999") == {
        "duplicate_of": "not_found"
    }
    assert refusal(world, case, resolution="duplicate", duplicate_of=case.key) == {
        "duplicate_of": "invalid"
    }
    # The other direction of an existing duplicate would make a loop.
    other = resolve(world, investigating(world), resolution="duplicate", duplicate_of=case.key)
    assert refusal(world, case, resolution="duplicate", duplicate_of=other.key) == {
        "duplicate_of": "invalid"
    }


# --- reopen ---------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_reopen_counts_and_clears_the_resolution(world: factories.World) -> None:
    case = investigating(world)
    for count in (1, 2, 3):
        case = resolve(world, case, resolution="no_fault", note="Cannot reproduce")
        case = case_transition(
            actor=world["cust_a"], case=case, action="reopen", data={"reason": f"Again ({count})"}
        )
        stored = Case.objects.get(pk=case.pk)
        assert (stored.state, stored.reopen_count) == ("investigating", count)
        assert (stored.resolution, stored.resolved_at) == ("", None)
    reasons = AuditEvent.objects.filter(subject_key=case.key, action="reopen", field="state")
    assert [e.reason for e in reasons] == ["Again (1)", "Again (2)", "Again (3)"]
    assert all(e.public for e in reasons)


@pytest.mark.django_db
def test_a_closed_case_cannot_be_reopened(world: factories.World) -> None:
    case = resolve(world, investigating(world), resolution="no_fault", note="ok")
    case = case_transition(actor=world["cust_a"], case=case, action="close")
    with pytest.raises(TransitionRefused) as refused:
        case_transition(actor=world["cust_a"], case=case, action="reopen", data={"reason": "again"})
    assert [r.code for r in refused.value.reasons] == ["state"]


# --- the quiet period -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_quiet_resolved_cases_close_after_the_configured_days(
    world: factories.World, settings: Any
) -> None:
    settings.CASE_AUTO_CLOSE_DAYS = 7
    with time_machine.travel(T0, tick=False) as clock:
        quiet = resolve(world, investigating(world), resolution="no_fault", note="ok")
        clock.shift(timedelta(days=2))
        later = resolve(world, investigating(world), resolution="no_fault", note="ok")
        still_open = investigating(world)

        clock.move_to(T0 + timedelta(days=7) - timedelta(seconds=1))
        assert close_quiet_resolved_cases() == 0

        clock.move_to(T0 + timedelta(days=7))
        assert close_quiet_resolved_cases() == 1
        closed = Case.objects.get(pk=quiet.pk)
        assert (closed.state, closed.closed_at) == ("closed", T0 + timedelta(days=7))
        assert Case.objects.get(pk=later.pk).state == "resolved"
        assert Case.objects.get(pk=still_open.pk).state == "investigating"
        event = AuditEvent.objects.get(subject_key=quiet.key, action="close", field="state")
        assert (event.actor, event.reason, event.at) == (
            None,
            "quiet period",
            T0 + timedelta(days=7),
        )

        assert close_quiet_resolved_cases() == 0  # idempotent

        settings.CASE_AUTO_CLOSE_DAYS = 2
        clock.move_to(T0 + timedelta(days=4))
        assert close_quiet_resolved_cases() == 1
        assert Case.objects.get(pk=later.pk).state == "closed"


@pytest.mark.django_db
def test_reopening_restarts_the_quiet_period(world: factories.World, settings: Any) -> None:
    settings.CASE_AUTO_CLOSE_DAYS = 7
    with time_machine.travel(T0, tick=False) as clock:
        case = resolve(world, investigating(world), resolution="no_fault", note="ok")
        clock.shift(timedelta(days=6))
        case = case_transition(
            actor=world["cust_a"], case=case, action="reopen", data={"reason": "no"}
        )
        case = resolve(world, case, resolution="no_fault", note="really ok")
        clock.shift(timedelta(days=6))
        assert close_quiet_resolved_cases() == 0
        clock.shift(timedelta(days=1))
        assert close_quiet_resolved_cases() == 1


@pytest.mark.django_db
def test_quiet_close_respects_its_batch_limit(world: factories.World, settings: Any) -> None:
    settings.CASE_AUTO_CLOSE_DAYS = 1
    with time_machine.travel(T0, tick=False) as clock:
        for _ in range(3):
            resolve(world, investigating(world), resolution="no_fault", note="ok")
        clock.shift(timedelta(days=1))
        assert close_quiet_resolved_cases(limit=2) == 2
        assert close_quiet_resolved_cases(limit=2) == 1


@pytest.mark.django_db
def test_the_administrators_quiet_period_wins_over_the_environment(
    world: factories.World, settings: Any
) -> None:
    """CASEBRIDGE_CASE_AUTO_CLOSE_DAYS is the default until an administrator sets the period;
    the setting is stored in the database and audited with its old and new value."""
    from casebridge.cases.services import case_auto_close_days, case_policy_set

    settings.CASE_AUTO_CLOSE_DAYS = 7
    assert case_auto_close_days() == 7
    with time_machine.travel(T0, tick=False) as clock:
        case = resolve(world, investigating(world), resolution="no_fault", note="ok")
        case_policy_set(actor=world["admin"], auto_close_days=3)
        clock.shift(timedelta(days=3))
        assert close_quiet_resolved_cases() == 1
    assert Case.objects.get(pk=case.pk).state == "closed"
    event = AuditEvent.objects.get(subject_type="case_policy")
    assert (event.field, event.old, event.new, event.actor) == (
        "auto_close_days",
        "7",
        "3",
        world["admin"],
    )
    case_policy_set(actor=world["admin"], auto_close_days=3)  # no change, no event
    assert AuditEvent.objects.filter(subject_type="case_policy").count() == 1
