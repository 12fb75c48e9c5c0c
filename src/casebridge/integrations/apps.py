from django.apps import AppConfig


class IntegrationsConfig(AppConfig):
    name = "casebridge.integrations"
    label = "integrations"
    verbose_name = "Integrations"

    def ready(self) -> None:
        from casebridge.integrations import subscribers  # noqa: PLC0415 - as above
        from casebridge.integrations.mail import outgoing  # noqa: PLC0415 - as above
        from casebridge.integrations.outbox import register  # noqa: PLC0415 - registered in ready(), once apps are loaded
        from casebridge.integrations.webhooks.delivery import TOPIC, webhook_deliver  # noqa: PLC0415 - as above

        register(TOPIC, webhook_deliver)
        register(outgoing.TOPIC, outgoing.mail_deliver)
        # Who hears what: after-commit subscribers of the domain events.
        subscribers.subscribe_all()
