from django.apps import AppConfig


class ReportingConfig(AppConfig):
    name = "casebridge.reporting"
    label = "reporting"
    verbose_name = "Reporting"
