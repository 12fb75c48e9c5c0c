from django.apps import AppConfig


class IncidentsConfig(AppConfig):
    name = "casebridge.incidents"
    label = "incidents"
    verbose_name = "Incidents"

    def ready(self) -> None:
        # Binding late is the point: subscribers import services and models, ready once apps are.
        from casebridge.core import events  # noqa: PLC0415 - registered in ready()
        from casebridge.incidents.services import incident_alert_recorded  # noqa: PLC0415 - as above
        from casebridge.monitoring.events import AlertGroupChanged  # noqa: PLC0415 - as above

        events.subscribe(AlertGroupChanged, incident_alert_recorded, events.IN_TRANSACTION)
