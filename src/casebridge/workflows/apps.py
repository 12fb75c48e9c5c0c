from django.apps import AppConfig


class WorkflowsConfig(AppConfig):
    name = "casebridge.workflows"
    label = "workflows"
    verbose_name = "Workflows"
