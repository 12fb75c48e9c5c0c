from django.apps import AppConfig


class SlaConfig(AppConfig):
    name = "casebridge.sla"
    label = "sla"
    verbose_name = "Service levels"

    def ready(self) -> None:
        # Binding late is the point: subscribers import services and models, ready once apps are.
        from casebridge.core import events  # noqa: PLC0415 - registered in ready()
        from casebridge.sla.events import (  # noqa: PLC0415 - as above
            ItemSlaBreached,
            ItemSlaWarningReached,
        )
        from casebridge.sla.subscribers import on_item_sla_event  # noqa: PLC0415 - as above

        events.subscribe(ItemSlaWarningReached, on_item_sla_event, events.AFTER_COMMIT)
        events.subscribe(ItemSlaBreached, on_item_sla_event, events.AFTER_COMMIT)
