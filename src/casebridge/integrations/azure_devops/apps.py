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
