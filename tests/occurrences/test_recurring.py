"""Recurring clusters: detection under controlled time (time-machine), and the one-action
decisions L2 takes on a cluster."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
import time_machine
from tests import factories

from casebridge.audit.models import AuditEvent
from casebridge.cases.models import Case
from casebridge.core.errors import PermissionDenied, TransitionRefused
from casebridge.occurrences.models import (
    ClusterMember,
    ClusterState,
    NearDuplicate,
    RecurringCluster,
    RecurringPolicy,
    Signature,
)
from casebridge.occurrences.recurring import (
    near_duplicates_refresh,
    recurring_create_bug,
    recurring_detect,
    recurring_detect_for_case,
    recurring_dismiss,
    recurring_link_all,
    recurring_propose_improvement,
)
from casebridge.occurrences.services import occurrences_refresh_stats
from casebridge.workitems.services import work_item_create

pytestmark = pytest.mark.django_db

LINE = (
    "2026-03-{day:02d} 10:00:01 ERROR [pool-2] Gateway: connection to db-{n} refused after {n}0 ms"
)
START = datetime.fromisoformat("2026-03-01T09:00:00+00:00")


def _at(day: int) -> str:
    return f"2026-03-{day:02d}T09:00:00Z"


def _case(world: factories.World, day: int, n: int = 1, **kwargs: Any) -> Case:
    """A case reported on ``day`` of March whose description holds the recurring log line."""
    with time_machine.travel(_at(day), tick=False):
        return factories.make_case(
            world,
            title=kwargs.pop("title", f"Checkout broken (report {day}-{n})"),
            description=f"It fails.\n{LINE.format(day=day, n=n)}",
            **kwargs,
        )


def _detect(day: int) -> int:
    with time_machine.travel(_at(day), tick=False):
        return recurring_detect()


def _signature_clusters() -> list[RecurringCluster]:
    return list(RecurringCluster.objects.filter(basis="signature"))


# --- detection: the window and the threshold ----------------------------------------------------


def test_two_cases_are_not_a_cluster(world):
    _case(world, 1), _case(world, 3, n=2)
    assert _detect(5) == 0
    assert _signature_clusters() == []


def test_three_cases_in_fourteen_days_are_a_cluster(world):
    cases = [_case(world, 1), _case(world, 6, n=2), _case(world, 12, n=3)]
    assert _detect(13) == 1
    (cluster,) = _signature_clusters()
    assert cluster.state == ClusterState.OPEN and cluster.size == 3
    assert set(cluster.cases.all()) == set(cases)
    assert (cluster.first_seen, cluster.last_seen) == (cases[0].created_at, cases[2].created_at)
    assert cluster.signature.template == "connection to db-<*> refused after <*>"
    assert cluster.service == cases[0].service
    assert AuditEvent.objects.filter(subject_key=cluster.key, action="detected").count() == 1


def test_three_cases_spread_over_twenty_days_are_not(world):
    _case(world, 1), _case(world, 11, n=2), _case(world, 21, n=3)
    assert _detect(21) == 0  # days 7..21 hold two of them
    assert _detect(12) == 0  # days 1..12 hold two (the third is not reported yet)
    assert _signature_clusters() == []


def test_an_admin_changing_the_policy_to_2_in_30_days_changes_the_result(world):
    _case(world, 1), _case(world, 20, n=2)
    assert _detect(21) == 0
    RecurringPolicy.objects.create(min_cases=2, window_days=30)
    assert _detect(21) == 1
    assert _signature_clusters()[0].size == 2
    RecurringPolicy.objects.update(min_cases=3, window_days=30)
    _case(world, 25, n=3)
    assert _detect(25) == 1  # the open cluster grows
    assert _signature_clusters()[0].size == 3


def test_detection_is_idempotent_and_grows_the_open_cluster(world):
    for day, n in ((1, 1), (2, 2), (3, 3)):
        _case(world, day, n=n)
    assert _detect(4) == 1
    assert _detect(4) == 0  # nothing new: nothing written
    fourth = _case(world, 5, n=4)
    with time_machine.travel(_at(5), tick=False):
        assert recurring_detect_for_case(case=fourth) == 1  # after a parse, for its signatures
    (cluster,) = _signature_clusters()
    assert cluster.size == 4 and cluster.last_seen == fourth.created_at
    assert AuditEvent.objects.filter(subject_key=cluster.key).count() == 2


def test_only_errors_and_pasted_lines_cluster_not_info_noise(world):
    from django.core.files.base import ContentFile

    from casebridge.cases.attachments import attachment_add
    from casebridge.occurrences.services import log_source_parse

    for day in (1, 2, 3):
        case = _case(world, day, n=day)
        with time_machine.travel(_at(day), tick=False):
            attachment = attachment_add(
                actor=world["l2"],
                case=case,
                upload=ContentFile(b"2026-03-01 10:00:00 INFO [main] App: heartbeat 42 ok\n" * 5),
                filename="app.log",
            )
            log_source_parse(source_id=attachment.log_source.pk)
    _detect(4)
    assert [c.signature.template for c in _signature_clusters()] == [
        "connection to db-<*> refused after <*>"
    ]


SLOW = (
    "2026-03-{day:02d} 10:00:02 WARN [http-1] Http: "
    "Slow request GET /api/v2/catalogue?page={n} {n}43 ms"
)


def _logged_case(world: factories.World, day: int, service: str, *lines: str) -> Case:
    """A case of ``service`` reported on ``day`` whose description holds ``lines``."""
    extra = {"service": world.services[service], "component": None}
    if service == "payments":
        extra.pop("component")
    with time_machine.travel(_at(day), tick=False):
        return factories.make_case(
            world,
            title=f"Something is off in {service} ({day})",
            description="\n".join(["See the log.", *lines]),
            **extra,
        )


def _four_services(world: factories.World) -> None:
    world.services["identity"] = factories.make_service("Identity", [])
    world.services["reporting"] = factories.make_service("Reporting", [])


def test_a_line_every_service_logs_is_not_a_recurring_problem(world):
    """ "Slow request GET <*> <*>" seen in most services tells no problem apart; the payments
    error beside it does."""
    _four_services(world)
    for day in (1, 2, 3):
        _logged_case(
            world, day, "payments", LINE.format(day=day, n=day), SLOW.format(day=day, n=day)
        )
    _logged_case(world, 2, "search", SLOW.format(day=2, n=7))
    _logged_case(world, 3, "identity", SLOW.format(day=3, n=8))
    _logged_case(
        world, 3, "reporting", "2026-03-03 10:00:00 ERROR [export] Lease expired for job 12"
    )
    _detect(4)
    assert [c.signature.template for c in _signature_clusters()] == [
        "connection to db-<*> refused after <*>"
    ]


def test_pasted_info_lines_are_not_a_recurring_problem(world):
    """Lines a person pasted count for similarity, but INFO/DEBUG lines never make a cluster."""
    for day in (1, 2, 3):
        _logged_case(
            world,
            day,
            "payments",
            f"2026-03-{day:02d} 10:00:00 INFO [http] GET /api/v2/orders/{day}42 200 {day}5 ms",
            f"2026-03-{day:02d} 10:00:01 DEBUG [pool] Connection {day} returned to pool db-main",
        )
    assert _detect(4) == 0
    assert _signature_clusters() == []
    case = Case.objects.order_by("id").last()
    assert case is not None
    levels = sorted(Signature.objects.filter(sightings__case=case).values_list("level", flat=True))
    assert levels == ["debug", "info"]


def test_an_open_cluster_on_a_line_that_spread_to_most_services_is_retired(world):
    for day in (1, 2, 3):
        _logged_case(world, day, "payments", SLOW.format(day=day, n=day))
    assert _detect(4) == 1  # one service logs it so far: a cluster of that service
    (cluster,) = _signature_clusters()
    _four_services(world)
    for day, service in ((5, "search"), (6, "identity")):
        _logged_case(world, day, service, SLOW.format(day=day, n=day))
    _logged_case(world, 6, "reporting", "2026-03-06 10:00:00 ERROR [export] Lease expired for 1")
    assert _detect(7) == 1
    cluster.refresh_from_db()
    assert (cluster.state, cluster.size, cluster.decided_by) == (ClusterState.DISMISSED, 3, None)
    event = AuditEvent.objects.get(subject_key=cluster.key, action="dismissed")
    assert event.reason == (
        "Not a recurring problem: an everyday log line "
        "(it is seen in 3 of the 4 services with logs)."
    )
    assert _detect(8) == 0  # nothing again


def test_a_dismissed_cluster_stays_dismissed_until_new_cases_recur(world):
    for day, n in ((1, 1), (2, 2), (3, 3)):
        _case(world, day, n=n)
    _detect(4)
    (cluster,) = _signature_clusters()
    with time_machine.travel(_at(4), tick=False):
        recurring_dismiss(actor=world["l2"], cluster=cluster, reason="Expected during failover")
    assert _detect(5) == 0
    _case(world, 6, n=4), _case(world, 7, n=5)
    assert _detect(8) == 0  # two new ones only
    _case(world, 9, n=6)
    assert _detect(10) == 1
    states = sorted((c.state, c.size) for c in _signature_clusters())
    assert states == [(ClusterState.DISMISSED, 3), (ClusterState.OPEN, 3)]


def test_near_duplicate_reports_without_logs_are_a_cluster(world):
    text = "Invoice PDF export hangs forever for large customers with many invoice lines"
    cases = []
    for day in (1, 3, 5):
        with time_machine.travel(_at(day), tick=False):
            cases.append(
                factories.make_case(
                    world, title="Invoice PDF export hangs for large customers", description=text
                )
            )
    for i in range(80):  # background: terms in more than 5% of the cases are not searched
        with time_machine.travel(_at(1), tick=False):
            factories.make_case(
                world, title=f"Unrelated question {i} about avatars", description=f"avatar {i}"
            )
    occurrences_refresh_stats()
    with time_machine.travel(_at(6), tick=False):
        assert near_duplicates_refresh(batch=60) == 60
        assert near_duplicates_refresh(batch=60) == 23
        assert near_duplicates_refresh() == 0  # each case once
    assert NearDuplicate.objects.filter(case=cases[2], other=cases[0]).exists()
    assert _detect(6) == 1
    (cluster,) = RecurringCluster.objects.filter(basis="near_duplicate")
    assert set(cluster.cases.all()) == set(cases) and cluster.signature is None
    RecurringPolicy.objects.create(near_duplicate_score=99.0)
    RecurringCluster.objects.all().delete()
    assert _detect(6) == 0  # the threshold is respected


# --- one action for the whole cluster -----------------------------------------------------------


@pytest.fixture
def cluster(world: factories.World) -> RecurringCluster:
    for day, n in ((1, 1), (2, 2), (3, 3)):
        _case(world, day, n=n)
    _detect(4)
    return RecurringCluster.objects.get(basis="signature")


def test_link_every_case_to_one_work_item(world, cluster):
    bug = work_item_create(
        actor=world["l2"], category="bug", title="DB refuses connections", docs={}
    )
    closed = cluster.cases.order_by("created_at").last()
    from casebridge.cases.services import case_transition

    case_transition(
        actor=world["l2"],
        case=closed,
        action="resolve",
        data={"resolution": "no_fault", "note": "ok"},
    )
    outcome = recurring_link_all(actor=world["l2"], cluster=cluster, work_item=bug.key.lower())
    assert len(outcome.linked) == 2 and outcome.skipped == [closed.key]
    for case in Case.objects.filter(recurring_clusters=cluster).exclude(pk=closed.pk):
        assert (case.state, case.work_item_id) == ("escalated", bug.pk)
    cluster.refresh_from_db()
    assert (cluster.state, cluster.work_item_id, cluster.decided_by) == (
        "linked",
        bug.pk,
        world["l2"],
    )
    event = AuditEvent.objects.get(subject_key=cluster.key, action="linked")
    assert event.data["skipped"] == [closed.key]
    with pytest.raises(TransitionRefused):  # decided once
        recurring_link_all(actor=world["l2"], cluster=cluster, work_item=bug.key)


def test_link_to_an_unknown_work_item_is_refused_and_changes_nothing(world, cluster):
    with pytest.raises(TransitionRefused) as refused:
        recurring_link_all(actor=world["l2"], cluster=cluster, work_item="BUG-999")
    assert refused.value.reasons[0].field == "work_item"
    assert RecurringCluster.objects.get(pk=cluster.pk).state == ClusterState.OPEN


def test_create_a_bug_from_the_cluster_goes_through_the_escalation_gate(world, cluster):
    with pytest.raises(TransitionRefused) as refused:
        recurring_create_bug(actor=world["l2"], cluster=cluster, title="", docs={})
    missing = {r.field for r in refused.value.reasons}
    assert {"steps_to_reproduce", "expected_result", "actual_result"} <= missing
    assert not Case.objects.filter(state="escalated").exists()  # one transaction: nothing done
    docs = {
        "steps_to_reproduce": "Pay with a card",
        "expected_result": "Paid",
        "actual_result": "Connection refused",
        "log_excerpt": cluster.signature.template,
    }
    outcome = recurring_create_bug(actor=world["l2"], cluster=cluster, title="", docs=docs)
    assert outcome.work_item.category == "bug" and outcome.work_item.title == cluster.title
    assert len(outcome.linked) == 3
    assert set(Case.objects.values_list("work_item_id", flat=True)) == {outcome.work_item.pk}


def test_propose_an_improvement_from_the_cluster(world, cluster):
    with pytest.raises(TransitionRefused) as refused:
        recurring_propose_improvement(
            actor=world["l2"], cluster=cluster, title="Retry DB connections", docs={}
        )
    assert {"rationale", "expected_benefit", "area"} <= {r.field for r in refused.value.reasons}
    outcome = recurring_propose_improvement(
        actor=world["l2"],
        cluster=cluster,
        title="Retry DB connections",
        docs={"rationale": "3 cases", "expected_benefit": "No more 502", "area": "reliability"},
    )
    item = outcome.work_item
    assert (item.category, item.status, item.rationale) == ("improvement", "proposed", "3 cases")
    assert RecurringCluster.objects.get(pk=cluster.pk).work_item_id == item.pk
    assert not Case.objects.filter(state="escalated").exists()  # the cases stay with L2


def test_only_l2_acts_on_a_cluster(world, cluster):
    for who in ("l1", "cust_a", "dev3"):
        with pytest.raises(PermissionDenied):
            recurring_dismiss(actor=world[who], cluster=cluster, reason="noise")
    with pytest.raises(TransitionRefused):
        recurring_dismiss(actor=world["l2"], cluster=cluster, reason=" ")
    recurring_dismiss(actor=world["l2"], cluster=cluster, reason="Planned maintenance")
    assert ClusterMember.objects.filter(cluster=cluster).count() == 3
    assert AuditEvent.objects.get(subject_key=cluster.key, action="dismissed").reason == (
        "Planned maintenance"
    )


def test_cases_sharing_an_error_and_its_warning_make_one_cluster_of_the_error(world):
    warning = "\n2026-03-0{day} 10:00:02 WARN [pool-2] Checkout: returning 502 to client {n}"
    for day, n in ((1, 1), (2, 2), (3, 3)):
        with time_machine.travel(_at(day), tick=False):
            factories.make_case(
                world,
                title=f"Checkout broken {n}",
                description=f"{LINE.format(day=day, n=n)}{warning.format(day=day, n=n)}",
            )
    assert _detect(4) == 1
    (cluster,) = RecurringCluster.objects.all()
    assert cluster.signature.level == "error"


def test_near_duplicates_skip_cases_older_than_the_window(world):
    for day in (1, 2):
        with time_machine.travel(_at(day), tick=False):
            factories.make_case(world, title="Old report", description="From long ago")
    occurrences_refresh_stats()
    with time_machine.travel(_at(28), tick=False):
        assert near_duplicates_refresh() == 0
    from casebridge.occurrences.models import IndexState

    assert IndexState.objects.get(name="near_duplicates").counted_through > 0  # passed by
