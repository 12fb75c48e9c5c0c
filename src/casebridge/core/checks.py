"""System checks Django's ``check --deploy`` does not make (registered in ``CoreConfig``)."""

from __future__ import annotations

from collections.abc import Sequence

from django.apps import AppConfig
from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, register

from casebridge.core.production import GENERATE_KEY, weak_secret_key


@register(Tags.security, deploy=True)
def check_secret_key(
    app_configs: Sequence[AppConfig] | None, **kwargs: object
) -> list[CheckMessage]:
    """The built-in key is public: Django's W009 only knows the ``django-insecure`` prefix."""
    why = weak_secret_key(str(settings.SECRET_KEY))
    if not why:
        return []
    return [
        Error(
            f"CASEBRIDGE_SECRET_KEY {why}.",
            hint=f"Set CASEBRIDGE_SECRET_KEY to a long random value, e.g. from: {GENERATE_KEY}",
            id="casebridge.E001",
        )
    ]
