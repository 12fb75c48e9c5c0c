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

        # Who hears what: the outbox topics the apps write today. When the domain events
        # (cases/events.py, workitems/events.py, incidents/events.py, sla/events.py) arrive,
        # these become after-commit subscribers calling the same ``reactions.on_*`` functions.
        from casebridge.integrations import reactions

        for topic, handler in reactions.TOPICS.items():
            register(topic, handler)
