"""The ``casebridge`` console script: Django's management commands under one name.

``casebridge serve``, ``casebridge case list --json``, ``casebridge migrate``: every verb is a
management command in ``<app>/management/commands/``, calling services and selectors.
"""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "casebridge.settings")
    from django.conf import settings  # noqa: PLC0415 - Django loads once the settings module is named
    from django.core.exceptions import ImproperlyConfigured  # noqa: PLC0415 - Django loads once the settings module is named
    from django.core.management import execute_from_command_line  # noqa: PLC0415 - Django loads once the settings module is named

    try:  # an unsafe production configuration: its reasons, without a traceback
        settings.SECRET_KEY  # noqa: B018 - reading a setting loads the settings module
    except ImproperlyConfigured as exc:
        sys.stderr.write(f"{exc}\n")
        raise SystemExit(2) from None
    args = list(sys.argv[1:] if argv is None else argv)
    execute_from_command_line(["casebridge", *args])


if __name__ == "__main__":
    main()
