from django.apps import AppConfig


class SprintsConfig(AppConfig):
    name = "casebridge.sprints"
    label = "sprints"
    verbose_name = "Sprints"

    def ready(self) -> None:
        # Binding late is the point: subscribers import services and models, ready once apps are.
        from casebridge.core import events  # noqa: PLC0415 - registered in ready()
        from casebridge.sprints import subscribers  # noqa: PLC0415 - as above
        from casebridge.workitems.events import WorkItemTransitioned  # noqa: PLC0415 - as above

        events.subscribe(
            WorkItemTransitioned, subscribers.sprint_entry_on_transition, events.IN_TRANSACTION
        )
