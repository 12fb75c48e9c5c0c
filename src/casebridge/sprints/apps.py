from django.apps import AppConfig


class SprintsConfig(AppConfig):
    name = "casebridge.sprints"
    label = "sprints"
    verbose_name = "Sprints"
