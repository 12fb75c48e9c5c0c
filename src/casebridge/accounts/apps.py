from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "casebridge.accounts"
    label = "accounts"
    verbose_name = "Accounts"

    def ready(self) -> None:
        from casebridge.accounts import security  # noqa: PLC0415 - registered in ready(), once apps are loaded

        security.connect()
