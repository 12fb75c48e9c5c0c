from django.apps import AppConfig


class IntegrationsConfig(AppConfig):
    name = "casebridge.integrations"
    label = "integrations"
    verbose_name = "Integrations"
