from django.apps import AppConfig


class KnowledgeConfig(AppConfig):
    name = "casebridge.knowledge"
    label = "knowledge"
    verbose_name = "Knowledge base"
