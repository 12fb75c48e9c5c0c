"""Issue 17, storms: alerts grouped by labels (one rule on one service is one group, one case),
storms of new groups folded into one storm case (and an incident proposal) until a quiet period,
flapping alerts that reopen no case; and still nothing lost, no fingerprint open twice."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.core.management.base import CommandError
from django.db.models import Count, Sum
from django.test import Client, override_settings

from casebridge.audit.models import AuditEvent
from casebridge.cases.models import Case
from casebridge.incidents.models import IncidentProposal
from casebridge.monitoring.models import Alert, AlertGroup, AlertStorm
from casebridge.monitoring.storms import storms_end
from casebridge.monitoring.worker import intake_drain
from tests import factories
from tests.monitoring.helpers import T0, Sender, alert, later, make_integration, webhook
from tests.monitoring.test_integration_cli import cli

pytestmark = pytest.mark.django_db(transaction=False)


@pytest.fixture(autouse=True)
def _at_t0() -> Iterator[time_machine.Coordinates]:
    with time_machine.travel(T0, tick=False) as traveller:
        yield traveller


@pytest.fixture
def am(world: factories.World) -> Sender:
    integration, secret = make_integration(world, slug="prom-storm")
    return Sender(integration, secret)


def plain(*alerts: dict[str, Any]) -> dict[str, Any]:
    """A webhook without ``groupLabels``: the integration's grouping labels decide."""
    return {**webhook(*alerts), "groupLabels": {}}


def no_loss(sent: int) -> None:
    """Every alert sent is counted on an alert, and no fingerprint or group key is open twice."""
    counted = Alert.objects.aggregate(f=Sum("firing_count"), r=Sum("resolved_count"))
    assert (counted["f"] or 0) + (counted["r"] or 0) == sent
    grouped = AlertGroup.objects.aggregate(f=Sum("firing_count"), r=Sum("resolved_count"))
    assert (grouped["f"] or 0) + (grouped["r"] or 0) == sent
    for model in (Alert, AlertGroup):
        twice = (
            model.objects.filter(status__in=["firing", "acknowledged"])
            .values("integration_id", "fingerprint")
            .annotate(n=Count("id"))
            .filter(n__gt=1)
        )
        assert not twice.exists(), model


def test_the_alerts_of_one_rule_on_one_service_are_one_group_and_one_case(am: Sender) -> None:
    am.post(plain(*(alert(instance=f"db-{n}") for n in range(40))))
    am.post(plain(alert(instance="db-1"), alert("DiskFull", instance="db-1")))
    intake_drain()
    errors, disk = AlertGroup.objects.order_by("id")
    assert (errors.alerts_total, errors.alerts_open, errors.firing_count) == (40, 40, 41)
    assert (disk.alerts_total, disk.title) == (1, "DiskFull: DiskFull on db-1")
    assert Alert.objects.count() == 41 and Case.objects.count() == 2
    assert errors.case is not None and errors.case_at == T0
    no_loss(42)


def test_a_group_resolves_with_its_last_alert(am: Sender) -> None:
    am.post(plain(alert(instance="db-1"), alert(instance="db-2")))
    intake_drain()
    am.post(plain(alert(status="resolved", ends=later(3), instance="db-1")))
    intake_drain()
    group = AlertGroup.objects.get()
    assert (group.status, group.alerts_open) == ("firing", 1)
    am.post(plain(alert(status="resolved", ends=later(4), instance="db-2")))
    intake_drain()
    group.refresh_from_db()
    assert (group.status, group.alerts_open, group.resolved_at) == ("resolved", 0, later(4))
    assert group.case is not None and group.case.state == "resolved"  # nobody worked on it
    no_loss(4)


def test_group_labels_of_the_webhook_win_unless_turned_off(
    world: factories.World, am: Sender, api: Any
) -> None:
    # groupLabels {alertname}: the same rule on two services is one group
    am.post(webhook(alert(instance="a"), alert(service="search", instance="b")))
    intake_drain()
    assert AlertGroup.objects.count() == 1
    response = api("admin").patch(
        "/integrations/prom-storm/grouping", {"use_group_labels": False, "storm_threshold": 50}
    )
    assert response.status_code == 200, response.content
    assert response.json()["use_group_labels"] is False
    am.post(webhook(alert("Latency", instance="a"), alert("Latency", service="search")))
    intake_drain()
    assert AlertGroup.objects.filter(title__startswith="Latency").count() == 2


def test_grouping_labels_are_editable_and_bad_ones_named(am: Sender, api: Any) -> None:
    admin = api("admin")
    bad = admin.patch("/integrations/prom-storm/grouping", {"grouping_labels": ["ok", "1bad"]})
    assert bad.status_code == 422
    assert "grouping_labels" in bad.json()["fields"]
    bad = admin.patch("/integrations/prom-storm/grouping", {"storm_threshold": -1})
    assert bad.status_code == 422 and "storm_threshold" in bad.json()["fields"]
    assert api("l2").patch("/integrations/prom-storm/grouping", {}).status_code == 403
    good = admin.patch("/integrations/prom-storm/grouping", {"grouping_labels": ["instance"]})
    assert good.json()["grouping_labels"] == ["instance"]
    am.post(plain(alert(instance="db-1"), alert("DiskFull", instance="db-1")))
    intake_drain()
    assert AlertGroup.objects.count() == 1  # grouped by instance alone
    out = cli("integration", "grouping", "prom-storm", "--labels", "alertname", "--json")
    assert json.loads(out)["grouping_labels"] == ["alertname"]
    with pytest.raises(CommandError, match="grouping rules could not be changed"):
        cli("integration", "grouping", "prom-storm", "--labels", "not-a-label")


def test_a_storm_folds_new_groups_into_one_case_with_an_incident_proposal(
    am: Sender, world: factories.World
) -> None:
    am.integration.storm_threshold = 3
    am.integration.save()
    am.post(plain(alert("A0", instance="x"), alert("A1", instance="x")))
    intake_drain()  # two new groups in the minute: their own cases
    assert Case.objects.count() == 2 and not IncidentProposal.objects.exists()
    am.post(plain(*(alert(f"B{n}", instance=f"h{m}") for n in range(6) for m in range(5))))
    intake_drain()  # eight new groups in the minute: the six new ones fold into a storm
    storm = AlertStorm.objects.get()
    assert Case.objects.count() == 3 and storm.case is not None
    assert storm.case.title == "[Storm] Payments: 8 new alert groups in a minute"
    assert storm.group_count == 6 and storm.ended_at is None
    assert set(storm.groups.values_list("case", flat=True)) == {storm.case.pk}
    joined = AuditEvent.objects.filter(action="alert_storm_joined", subject_key=storm.case.key)
    assert joined.count() == 6
    # AlertStormStarted reached the incidents app: an incident proposed, pointing at the case
    proposal = IncidentProposal.objects.get()
    assert (proposal.storm_id, proposal.case_id, proposal.state) == (
        storm.pk,
        storm.case.pk,
        "open",
    )
    client = Client()
    client.force_login(world["l2"])
    page = client.get("/incidents/").content.decode()
    assert "Proposed incidents" in page and storm.case.key in page
    no_loss(32)


@override_settings(STORM_GROUPS_PER_MINUTE=2, STORM_QUIET_MINUTES=10)
def test_a_storm_ends_after_its_quiet_period(am: Sender, _at_t0: time_machine.Coordinates) -> None:
    am.post(plain(*(alert(f"A{n}") for n in range(4))))
    intake_drain()
    storm = AlertStorm.objects.get()
    _at_t0.move_to(later(5))
    am.post(plain(alert("Late")))  # the storm is still on: joins it (one new group alone)
    intake_drain()
    storm.refresh_from_db()
    assert (storm.group_count, Case.objects.count()) == (5, 1)
    _at_t0.move_to(later(14))
    assert storms_end() == 0  # nine minutes since the last group
    _at_t0.move_to(later(15) + timedelta(seconds=1))
    assert storms_end() == 1
    storm.refresh_from_db()
    assert storm.ended_at == later(15)
    # AlertStormEnded reached the incidents app
    assert IncidentProposal.objects.get().storm_ended_at == later(15)
    am.post(plain(alert("AfterTheStorm")))
    intake_drain()
    assert Case.objects.count() == 2  # its own case again
    assert AlertGroup.objects.get(title__startswith="AfterTheStorm").storm is None


@override_settings(FLAP_LIMIT=2, FLAP_WINDOW_MINUTES=60)
def test_a_flapping_alert_is_marked_and_reopens_no_case(
    am: Sender, _at_t0: time_machine.Coordinates
) -> None:
    cases = []
    for n in range(4):
        _at_t0.move_to(later(10 * n))
        am.post(plain(alert(starts=later(10 * n), instance="db-1")))
        intake_drain()
        _at_t0.move_to(later(10 * n + 2))
        am.post(plain(alert(status="resolved", ends=later(10 * n + 2), instance="db-1")))
        intake_drain()
        cases.append(AlertGroup.objects.latest("id").case_id)
    groups = list(AlertGroup.objects.order_by("id"))
    assert [g.flapping for g in groups] == [False, False, False, True]
    assert list(Alert.objects.order_by("id").values_list("flips", flat=True)) == [0, 1, 2, 3]
    # the fourth firing (third again within the hour) follows the last case, resolved, as is
    assert cases[3] == cases[2] and len(set(cases)) == 3
    last = Case.objects.get(pk=cases[3])
    assert last.state == "resolved"
    assert AuditEvent.objects.filter(action="alert_flapping", subject_key=last.key).count() == 1
    no_loss(8)


def test_no_alert_lost_when_resolves_come_before_their_firings(am: Sender) -> None:
    notes = [alert(f"R{n % 3}", instance=f"h{n}") for n in range(30)]
    resolves = [
        alert(f"R{n % 3}", status="resolved", ends=later(2), instance=f"h{n}") for n in range(10)
    ]
    am.post(plain(*resolves[:5]))
    am.post(plain(*notes[:15], *resolves[5:]))
    am.post(plain(*notes[15:], *notes[:5]))
    intake_drain()
    no_loss(45)
    # a resolve of an alert never seen, into a group already stored: counted there too
    am.post(plain(alert("R0", status="resolved", ends=later(2), instance="never-seen")))
    intake_drain()
    no_loss(46)
    assert Alert.objects.values("fingerprint").distinct().count() == 31


def test_the_settings_page_edits_the_grouping(am: Sender, world: factories.World) -> None:
    client = Client()
    client.force_login(world["admin"])
    path = "/settings/monitoring/prom-storm/grouping/"
    page = client.get(path)
    assert page.status_code == 200
    assert 'value="alertname, service, environment"' in page.content.decode()
    bad = client.post(path, {"grouping_labels": "alertname, bad-name", "storm_threshold": "4"})
    assert bad.status_code == 422 and "is not a label name" in bad.content.decode()
    good = client.post(path, {"grouping_labels": "alertname", "storm_threshold": "4"})
    assert good.status_code == 302
    am.integration.refresh_from_db()
    assert am.integration.grouping_labels == ["alertname"]
    assert (am.integration.storm_threshold, am.integration.use_group_labels) == (4, False)
    listing = client.get("/settings/monitoring/").content.decode()
    assert "storm above 4 new groups/min" in listing
    assert client.get(path.replace("prom-storm", "nope")).status_code == 404
