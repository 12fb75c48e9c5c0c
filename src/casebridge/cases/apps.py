from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "casebridge.cases"
    label = "cases"
    verbose_name = "Cases"

    def ready(self) -> None:
        # Binding late is the point: subscribers import services and models, ready once apps are.
        from casebridge.cases import following  # noqa: PLC0415 - registered in ready()
        from casebridge.core import events  # noqa: PLC0415 - as above
        from casebridge.workitems import events as workitems  # noqa: PLC0415 - as above

        events.subscribe(
            workitems.WorkItemTransitioned, following.cases_follow, events.IN_TRANSACTION
        )
        events.subscribe(
            workitems.WorkItemSuperseded, following.cases_relink, events.IN_TRANSACTION
        )
