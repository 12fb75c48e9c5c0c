from django.apps import AppConfig


class AdministrationConfig(AppConfig):
    name = "casebridge.administration"
    label = "administration"
    verbose_name = "Administration"
