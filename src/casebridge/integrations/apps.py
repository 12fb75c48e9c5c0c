from django.apps import AppConfig


class IntegrationsConfig(AppConfig):
    name = "casebridge.integrations"
    label = "integrations"
    verbose_name = "Integrations"

    def ready(self) -> None:
        from casebridge.integrations.outbox import register
        from casebridge.integrations.webhooks.delivery import TOPIC, webhook_deliver

        register(TOPIC, webhook_deliver)

        from casebridge.integrations.mail import outgoing

        register(outgoing.TOPIC, outgoing.mail_deliver)

        # Who hears what: after-commit subscribers of the domain events.
        from casebridge.integrations import subscribers

        subscribers.subscribe_all()
