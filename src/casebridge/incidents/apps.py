from django.apps import AppConfig


class IncidentsConfig(AppConfig):
    name = "casebridge.incidents"
    label = "incidents"
    verbose_name = "Incidents"

    def ready(self) -> None:
        # Binding late is the point: subscribers import services and models, ready once apps are.
        from casebridge.core import events  # noqa: PLC0415 - registered in ready()
        from casebridge.incidents.services import incident_alert_recorded  # noqa: PLC0415 - as above
        from casebridge.incidents.services.proposals import (  # noqa: PLC0415 - as above
            incident_proposal_storm_ended,
            incident_propose_for_storm,
        )
        from casebridge.monitoring.events import (  # noqa: PLC0415 - as above
            AlertGroupChanged,
            AlertStormEnded,
            AlertStormStarted,
        )

        events.subscribe(AlertGroupChanged, incident_alert_recorded, events.IN_TRANSACTION)
        events.subscribe(AlertStormStarted, incident_propose_for_storm, events.IN_TRANSACTION)
        events.subscribe(AlertStormEnded, incident_proposal_storm_ended, events.IN_TRANSACTION)
