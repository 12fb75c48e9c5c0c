from django.apps import AppConfig


class MonitoringConfig(AppConfig):
    name = "casebridge.monitoring"
    label = "monitoring"
    verbose_name = "Monitoring intake"
