from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "casebridge.core"
    label = "core"
    verbose_name = "Core"

    def ready(self) -> None:
        # Binding late is the point: the outbox's models exist only once apps are loaded.
        from casebridge.core import checks, events  # noqa: PLC0415 - registered in ready(), once apps are loaded
        from casebridge.integrations.outbox import register  # noqa: PLC0415 - as above

        register(f"{events.TOPIC_PREFIX}*", events.deliver)
        assert checks.check_secret_key  # registered on import
