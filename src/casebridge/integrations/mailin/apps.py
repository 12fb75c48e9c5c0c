from django.apps import AppConfig


class MailinConfig(AppConfig):
    name = "casebridge.integrations.mailin"
    label = "mailin"
    verbose_name = "E-mail in: mailboxes, stored messages, the intake of cases and replies"

    def ready(self) -> None:
        from casebridge.integrations.mailin import replies  # noqa: PLC0415 - registered in ready()

        replies.register_handlers()
