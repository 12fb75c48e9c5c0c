"""Issue 17, a storm's cases within seconds: the worker opens the group of every new grouping key
(and its case, or its storm's case) as soon as it sees the key's first firing in a stored payload,
ahead of the fold that counts the alerts; the fold then fills the same groups. Nothing lost, no key
open twice, and a group opened ahead whose firing opens no alert does not stay open."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import time_machine

from casebridge.cases.models import Case
from casebridge.monitoring.ahead import ahead_forget, groups_ahead
from casebridge.monitoring.models import Alert, AlertGroup, AlertStorm, Payload
from casebridge.monitoring.worker import (
    groups_sync,
    intake_drain,
    worker_fold,
)
from tests import factories
from tests.monitoring.helpers import T0, Sender, alert, later, make_integration
from tests.monitoring.test_grouping_storms import no_loss, plain

pytestmark = pytest.mark.django_db(transaction=False)


@pytest.fixture(autouse=True)
def _at_t0() -> Iterator[None]:
    ahead_forget()
    with time_machine.travel(T0, tick=False):
        yield
    ahead_forget()


@pytest.fixture
def am(world: factories.World) -> Sender:
    integration, secret = make_integration(world, slug="prom-ahead")
    return Sender(integration, secret)


def test_a_new_key_has_its_group_and_case_before_its_alerts_are_folded(am: Sender) -> None:
    am.post(plain(*(alert(instance=f"db-{n}") for n in range(30)), alert("DiskFull")))
    am.post(plain(alert(instance="db-1"), alert("DiskFull", instance="db-9")))
    ahead = groups_ahead().created
    assert len(ahead) == 2
    while groups_sync(only=ahead):  # transactions of about 20 ms each
        pass
    errors, disk = AlertGroup.objects.order_by("id")
    # the groups and their cases exist; no alert is counted yet
    assert errors.case is not None and disk.case is not None and Case.objects.count() == 2
    assert (errors.alerts_total, errors.firing_count, errors.status) == (0, 0, "firing")
    assert not Alert.objects.exists() and not Payload.objects.filter(state="done").exists()
    assert groups_ahead().created == []  # nothing new to look at
    intake_drain()
    errors.refresh_from_db()
    disk.refresh_from_db()
    assert (errors.alerts_total, errors.alerts_open, errors.firing_count) == (30, 30, 31)
    assert (disk.alerts_total, disk.alerts_open, disk.firing_count) == (2, 2, 2)
    assert AlertGroup.objects.count() == 2 and Case.objects.count() == 2
    no_loss(33)


def test_a_key_already_open_gets_no_second_group(am: Sender) -> None:
    am.post(plain(alert(instance="db-1")))
    intake_drain()
    ahead_forget()  # another process, or a restarted worker: it asks the database
    am.post(plain(alert(instance="db-2")))
    assert groups_ahead().created == []
    intake_drain()
    assert AlertGroup.objects.count() == 1
    no_loss(2)


def test_a_storm_case_exists_before_the_fold(am: Sender) -> None:
    am.integration.storm_threshold = 3
    am.integration.save()
    am.post(plain(*(alert(f"S{n}", instance=f"h{m}") for n in range(8) for m in range(20))))
    ahead = groups_ahead().created
    while groups_sync(only=ahead):
        pass
    storm = AlertStorm.objects.get()
    # eight new groups in the minute, over the threshold from the first: one storm case
    assert storm.case is not None and storm.group_count == 8 and Case.objects.count() == 1
    assert not Alert.objects.exists()
    intake_drain()
    assert AlertGroup.objects.count() == 8 and Case.objects.count() == 1
    no_loss(160)


def test_a_group_opened_ahead_whose_firing_repeats_a_resolve_does_not_stay_open(
    am: Sender,
) -> None:
    # the resolve arrives first, then a late firing of the same alert (it started before the
    # resolve): the firing opens no alert, so the group opened ahead for it resolves
    am.post(plain(alert(status="resolved", starts=T0, ends=later(3), instance="db-1")))
    am.post(plain(alert(starts=T0, instance="db-1")))
    assert len(groups_ahead().created) == 1
    intake_drain()
    group = AlertGroup.objects.get()
    assert (group.status, group.alerts_open, group.alerts_total) == ("resolved", 0, 1)
    assert (group.firing_count, group.resolved_count) == (1, 1)
    assert group.case is not None
    # the next firing of the key opens a new group, as it would have without the look ahead
    am.post(plain(alert(starts=later(10), instance="db-1")))
    intake_drain()
    assert AlertGroup.objects.filter(status="firing").count() == 1
    no_loss(3)


def test_an_alert_open_in_another_group_leaves_the_group_opened_ahead_empty_and_resolved(
    am: Sender, api: object
) -> None:
    am.post(plain(alert(instance="db-1")))
    intake_drain()
    am.integration.grouping_labels = ["instance"]  # regrouped: the same alert, another key
    am.integration.save()
    am.post(plain(alert(instance="db-1")))
    ahead = groups_ahead().created
    assert len(ahead) == 1
    intake_drain()
    empty = AlertGroup.objects.get(pk=ahead[0])
    assert (empty.status, empty.alerts_total) == ("resolved", 0)
    assert AlertGroup.objects.filter(status="firing").count() == 1
    no_loss(2)


def test_the_worker_pass_opens_cases_first_then_folds(am: Sender) -> None:
    am.post(plain(*(alert(f"W{n}", instance=f"h{m}") for n in range(3) for m in range(4))))
    worker_fold()
    assert AlertGroup.objects.exclude(case=None).count() == 3
    intake_drain()
    assert AlertGroup.objects.count() == 3
    no_loss(12)
