from django.apps import AppConfig


class AzureDevOpsConfig(AppConfig):
    name = "casebridge.integrations.azure_devops"
    label = "azure_devops"
    verbose_name = "Azure DevOps"

    def ready(self) -> None:
        from casebridge.integrations.azure_devops.hooks import hook_project_check
        from casebridge.integrations.delivery.checks import register_check
        from casebridge.integrations.delivery.models import SourceKind

        register_check(SourceKind.AZURE_DEVOPS, hook_project_check)

        from casebridge.integrations.azure_devops import handlers
        from casebridge.integrations.outbox import register

        register("work_item.created", handlers.on_work_item_changed)
        register("work_item.transitioned", handlers.on_work_item_changed)
        register("case.transitioned", handlers.on_case_transitioned)
        register("case.commented", handlers.on_case_commented)
        register("azure_devops.push", handlers.on_work_item_changed)
