"""Policy 8: anomalies reported by L1 staff are routed to an L2+ responder.

An anomaly is what a person saw in monitoring that no alert reported; reporting it makes an alert
group of kind ``anomaly`` and its case. Reported by L1 staff (an L1 developer or an L1 agent), it
goes to a responder at the policy's level (L2 by default): the one named if they qualify, else
the least busy qualified person, the service's owning team first.
"""

from __future__ import annotations

from typing import Any

import pytest

from casebridge.accounts.models import Team
from casebridge.core.errors import PermissionDenied, ValidationFailed
from casebridge.integrations.models import Notification
from casebridge.monitoring.services import alert_group_assign, anomaly_report
from casebridge.workitems.services import ladder_policy_set
from tests import factories

pytestmark = pytest.mark.django_db


def report(world: factories.World, by: str, **kwargs: Any) -> Any:
    return anomaly_report(
        actor=world[by],
        service=world.services["payments"],
        summary="Checkout p99 latency doubled since 10:00",
        **kwargs,
    )


def test_an_l1_developers_anomaly_is_routed_to_an_l2_plus_responder(world: factories.World) -> None:
    group = report(world, "dev1")
    assert group.kind == "anomaly" and group.reporter == world["dev1"]
    assert group.responder is not None and group.responder.level_rank >= 2
    assert group.case is not None and group.case.source == "monitoring"
    assert group.case.reporter == world["dev1"]
    assert Notification.objects.filter(user=group.responder, subject_key=group.case.key).exists()


def test_routing_prefers_the_owning_team_and_spreads_the_load(world: factories.World) -> None:
    from casebridge.catalog.models import Service

    Service.objects.filter(pk=world.services["payments"].pk).update(
        owner_team=Team.objects.get(slug="core-team")  # dev2, dev3
    )
    world.services["payments"].refresh_from_db()
    first = report(world, "dev1").responder
    second = report(world, "l1").responder
    assert {first, second} == {world["dev2"], world["dev3"]}


def test_naming_an_l1_responder_for_an_l1_report_is_refused(world: factories.World) -> None:
    for reporter in ("dev1", "l1"):
        with pytest.raises(ValidationFailed) as refused:
            report(world, reporter, responder=world["dev1"])
        assert "L2+ responder" in refused.value.fields["responder"]
    assert report(world, "l1", responder=world["l2"]).responder == world["l2"]


def test_later_routing_keeps_the_policy(world: factories.World) -> None:
    group = report(world, "dev1", responder=world["dev2"])
    with pytest.raises(ValidationFailed) as refused:
        alert_group_assign(actor=world["l2"], group=group, responder=world["dev1"])
    assert "responder" in refused.value.fields
    assert (
        alert_group_assign(actor=world["l2"], group=group, responder=world["dev4"]).responder
        == world["dev4"]
    )
    with pytest.raises(PermissionDenied):
        alert_group_assign(actor=world["cust_a"], group=group, responder=world["dev4"])


def test_policy_8_concerns_reports_of_l1_staff_only(world: factories.World) -> None:
    group = report(world, "dev3", responder=world["dev1"])
    assert group.responder == world["dev1"]
    assert report(world, "dev3").responder is None  # L3 reports go to the L2 queue as usual


def test_policy_8_is_data_an_admin_tunes(world: factories.World) -> None:
    ladder_policy_set(actor=world["admin"], code="anomaly_responder", min_level=3)
    with pytest.raises(ValidationFailed):
        report(world, "dev1", responder=world["dev2"])
    assert report(world, "dev1").responder.level_rank >= 3
    ladder_policy_set(actor=world["admin"], code="anomaly_responder", enabled=False)
    assert report(world, "dev1", responder=world["dev1"]).responder == world["dev1"]


def test_customers_do_not_report_anomalies_and_bad_input_is_named(world: factories.World) -> None:
    with pytest.raises(PermissionDenied):
        report(world, "cust_a")
    with pytest.raises(ValidationFailed) as short:
        anomaly_report(actor=world["dev1"], service=world.services["payments"], summary="slow")
    assert "summary" in short.value.fields
