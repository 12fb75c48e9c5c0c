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

        from casebridge.cases.events import CaseEscalated, CommentAdded  # noqa: PLC0415 - as above
        from casebridge.core import events  # noqa: PLC0415 - as above
        from casebridge.integrations.azure_devops import handlers  # noqa: PLC0415 - as above
        from casebridge.integrations.azure_devops.sync import PUSH_TOPIC  # noqa: PLC0415 - as above
        from casebridge.integrations.outbox import register  # noqa: PLC0415 - as above
        from casebridge.workitems.events import WorkItemCreated, WorkItemTransitioned  # noqa: PLC0415 - as above

        after = events.AFTER_COMMIT
        events.subscribe(WorkItemCreated, handlers.push_created_work_item, after)
        events.subscribe(WorkItemTransitioned, handlers.push_transitioned_work_item, after)
        events.subscribe(CaseEscalated, handlers.push_escalated_work_item, after)
        events.subscribe(CommentAdded, handlers.post_case_comment, after)
        register(PUSH_TOPIC, handlers.on_push_requested)
