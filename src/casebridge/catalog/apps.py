from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "casebridge.catalog"
    label = "catalog"
    verbose_name = "Service catalogue"
