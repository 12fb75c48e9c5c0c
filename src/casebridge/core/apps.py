from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "casebridge.core"
    label = "core"
    verbose_name = "Core"

    def ready(self) -> None:
        # Binding late is the point: the outbox's models exist only once apps are loaded.
        from casebridge.core import checks, events
        from casebridge.integrations.outbox import register

        register(f"{events.TOPIC_PREFIX}*", events.deliver)
        assert checks.check_secret_key  # registered on import
