"""structlog configured to render JSON through the standard logging handlers.

Secrets never reach a log line: request logging records the path and the status, never headers
or bodies, and ``redact`` masks known secret-bearing keys in event dicts.
"""

from __future__ import annotations

from collections.abc import MutableMapping

import structlog

SECRET_KEYS = frozenset({"authorization", "password", "token", "secret", "cookie", "api_key"})


def redact(_: object, __: str, event: MutableMapping[str, object]) -> MutableMapping[str, object]:
    for key in list(event):
        if key.lower() in SECRET_KEYS:
            event[key] = "***"
    return event


def configure() -> None:
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.stdlib.add_log_level,
            structlog.stdlib.add_logger_name,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            redact,
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )


def logging_config(level: str) -> dict[str, object]:
    """The ``LOGGING`` setting: every record, ours and Django's, as one JSON line on stderr."""
    pre_chain = [
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {
            "json": {
                "()": structlog.stdlib.ProcessorFormatter,
                "processors": [
                    structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                    structlog.processors.JSONRenderer(),
                ],
                "foreign_pre_chain": pre_chain,
            }
        },
        "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "json"}},
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            "django.server": {"level": "WARNING"},
            "django.request": {"level": "ERROR"},
            "django_tasks_db": {"level": "WARNING"},
            "django_tasks": {"level": "WARNING"},
            # httpx logs every request's URL at INFO; the integrations log their own, briefer.
            "httpx": {"level": "WARNING"},
            "httpcore": {"level": "WARNING"},
        },
    }


def get_logger(name: str) -> structlog.stdlib.BoundLogger:
    """A logger of the class ``configure`` sets (``wrapper_class``)."""
    logger: structlog.stdlib.BoundLogger = structlog.get_logger(name)
    return logger
