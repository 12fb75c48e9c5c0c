from django.apps import AppConfig


class WorkItemsConfig(AppConfig):
    name = "casebridge.workitems"
    label = "workitems"
    verbose_name = "Work items"
