from django.apps import AppConfig


class AzureDevOpsConfig(AppConfig):
    name = "casebridge.integrations.azure_devops"
    label = "azure_devops"
    verbose_name = "Azure DevOps"

    def ready(self) -> None:
        from casebridge.integrations.azure_devops.hooks import hook_project_check  # noqa: PLC0415 - registered in ready(), once apps are loaded
        from casebridge.integrations.delivery.checks import register_check  # noqa: PLC0415 - as above
        from casebridge.integrations.delivery.models import SourceKind  # noqa: PLC0415 - as above

        register_check(SourceKind.AZURE_DEVOPS, hook_project_check)
