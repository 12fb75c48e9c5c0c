from django.apps import AppConfig


class DeliveryConfig(AppConfig):
    name = "casebridge.integrations.delivery"
    label = "delivery"
    verbose_name = "Inbound deliveries: service hooks, pipelines, pull requests"
