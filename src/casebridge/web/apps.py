from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "casebridge.web"
    label = "web"
    verbose_name = "Web UI"
