"""Incident proposals: the incidents app's reactions to an alert storm (``AlertStormStarted``,
``AlertStormEnded``; in-transaction subscribers, in the monitoring worker's transaction).

A storm on a service proposes one incident, pointing at the storm's case; the incident staff
declare it from the case (``incident_declare``) or leave it. The end of the storm is noted on it.
"""

from __future__ import annotations

from datetime import datetime

from casebridge.core import clock
from casebridge.incidents.models import IncidentProposal
from casebridge.monitoring.events import AlertStormEnded, AlertStormStarted


def incident_propose_for_storm(event: AlertStormStarted) -> IncidentProposal:
    proposal, _ = IncidentProposal.objects.get_or_create(
        storm_id=event.storm_id,
        defaults={
            "service_id": event.service_id,
            "case_id": event.case_id,
            "title": f"Alert storm on {event.service}"[:200],
            "reason": f"{event.groups} new alert groups on {event.service} within a minute "
            f"(threshold {event.threshold}); they fold into one storm case.",
            "proposed_at": clock.now(),
        },
    )
    return proposal


def incident_proposal_storm_ended(event: AlertStormEnded) -> int:
    ended = datetime.fromisoformat(event.ended_at)
    return IncidentProposal.objects.filter(storm_id=event.storm_id).update(storm_ended_at=ended)
