"""All settings, read from the environment in one place (12-factor).

Every knob an operator may turn is an environment variable documented in docs/operations.md.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import environ

from casebridge.core.logs import configure as _configure_logs
from casebridge.core.logs import logging_config

BASE_DIR = Path(__file__).resolve().parent.parent.parent
env = environ.Env()

DEBUG = env.bool("CASEBRIDGE_DEBUG", default=False)
SECRET_KEY = env.str("CASEBRIDGE_SECRET_KEY", default="insecure-dev-key-change-me-" + "x" * 24)
#: Fernet keys that seal secrets at rest (core.secrets); the first seals, all open. Rotate by
#: putting a new key first. Empty: a key derived from SECRET_KEY (development only).
SECRETS_KEYS = env.list("CASEBRIDGE_SECRETS_KEYS", default=[])
ALLOWED_HOSTS = env.list("CASEBRIDGE_ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CASEBRIDGE_CSRF_TRUSTED_ORIGINS", default=[])
VAR_DIR = Path(env.str("CASEBRIDGE_VAR_DIR", default=str(BASE_DIR / "var")))

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "ninja",
    "django_htmx",
    "django_prometheus",
    "django_tasks_db",
    "casebridge.core",
    "casebridge.accounts",
    "casebridge.catalog",
    "casebridge.audit",
    "casebridge.workflows",
    "casebridge.knowledge",
    "casebridge.sprints",
    "casebridge.workitems",
    "casebridge.cases",
    "casebridge.sla",
    "casebridge.occurrences",
    "casebridge.integrations",
    "casebridge.integrations.delivery",
    "casebridge.integrations.azure_devops",
    "casebridge.monitoring",
    "casebridge.incidents",
    "casebridge.reporting",
    "casebridge.web",
]

MIDDLEWARE = [
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "casebridge.core.middleware.RequestLogMiddleware",
    "casebridge.core.middleware.ApiJsonErrorsMiddleware",
    "casebridge.core.middleware.ApiBodyGuardMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
]

ROOT_URLCONF = "casebridge.urls"
WSGI_APPLICATION = "casebridge.wsgi.application"
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "casebridge.web.context.navigation",
            ],
        },
    }
]


def _database(url: str) -> dict[str, Any]:
    """Parse DATABASE_URL; SQLite gets WAL, IMMEDIATE transactions and a busy timeout."""
    config: dict[str, Any] = environ.Env.db_url_config(url)
    if config["ENGINE"] == "django.db.backends.sqlite3":
        Path(config["NAME"]).parent.mkdir(parents=True, exist_ok=True)
        config["OPTIONS"] = {
            "transaction_mode": "IMMEDIATE",
            "timeout": 30,
            "init_command": (
                "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
                "PRAGMA foreign_keys=ON; PRAGMA busy_timeout=30000; PRAGMA cache_size=-65536;"
            ),
        }
        config["TEST"] = {"NAME": str(Path(config["NAME"]).with_suffix(".test.sqlite3"))}
    # Keep connections between requests on SQLite too: closing the last connection to a WAL
    # database checkpoints it, and reopening costs the PRAGMAs; together ~20 ms a request.
    config.setdefault("CONN_MAX_AGE", env.int("CASEBRIDGE_DB_CONN_MAX_AGE", default=60))
    config["CONN_HEALTH_CHECKS"] = True
    return config


DATABASE_URL = env.str("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'casebridge.sqlite3'}")
DATABASES = {"default": _database(DATABASE_URL)}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

LANGUAGE_CODE = "en-gb"
TIME_ZONE = env.str("CASEBRIDGE_TIME_ZONE", default="UTC")
USE_I18N = False
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
MEDIA_ROOT = Path(env.str("CASEBRIDGE_MEDIA_ROOT", default=str(VAR_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

# Limits. Attachments stream to disk; other request bodies (JSON, forms) stay small.
ATTACHMENT_MAX_BYTES = env.int("CASEBRIDGE_ATTACHMENT_MAX_BYTES", default=128 * 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("CASEBRIDGE_BODY_MAX_BYTES", default=2 * 1024 * 1024)
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
FILE_UPLOAD_TEMP_DIR = None
#: The most any monitoring integration may post at once (each integration has its own, lower limit).
INTAKE_MAX_BYTES = env.int("CASEBRIDGE_INTAKE_MAX_BYTES", default=8 * 1024 * 1024)

# Azure DevOps: a CA bundle (PEM) to trust besides the public CAs, for an Azure DevOps Server behind
# a company CA; and how long one request may take.
AZURE_DEVOPS_CA_BUNDLE = env.str("CASEBRIDGE_AZURE_DEVOPS_CA_BUNDLE", default="")
AZURE_DEVOPS_TIMEOUT = env.float("CASEBRIDGE_AZURE_DEVOPS_TIMEOUT", default=30.0)

# Case lifecycle.
CASE_AUTO_CLOSE_DAYS = env.int("CASEBRIDGE_CASE_AUTO_CLOSE_DAYS", default=7)
API_TOKEN_DEFAULT_DAYS = env.int("CASEBRIDGE_API_TOKEN_DEFAULT_DAYS", default=90)

# The outbox and its relay (docs/operations.md): attempts before a message is a dead letter,
# exponential backoff with jitter between them, the lease of a claim, and the circuit per
# destination.
OUTBOX_MAX_ATTEMPTS = env.int("CASEBRIDGE_OUTBOX_MAX_ATTEMPTS", default=16)
OUTBOX_BACKOFF_BASE_SECONDS = env.float("CASEBRIDGE_OUTBOX_BACKOFF_BASE_SECONDS", default=2.0)
OUTBOX_BACKOFF_CAP_SECONDS = env.float("CASEBRIDGE_OUTBOX_BACKOFF_CAP_SECONDS", default=3600.0)
OUTBOX_LEASE_SECONDS = env.float("CASEBRIDGE_OUTBOX_LEASE_SECONDS", default=60.0)
OUTBOX_CIRCUIT_THRESHOLD = env.int("CASEBRIDGE_OUTBOX_CIRCUIT_THRESHOLD", default=10)
OUTBOX_CIRCUIT_COOLDOWN_SECONDS = env.float(
    "CASEBRIDGE_OUTBOX_CIRCUIT_COOLDOWN_SECONDS", default=30.0
)
OUTBOX_HTTP_TIMEOUT_SECONDS = env.float("CASEBRIDGE_OUTBOX_HTTP_TIMEOUT_SECONDS", default=10.0)
#: Webhook URLs must be https; plain http is allowed to loopback addresses only when this is on
#: (tests, local development).
WEBHOOK_ALLOW_LOOPBACK_HTTP = env.bool("CASEBRIDGE_WEBHOOK_ALLOW_LOOPBACK_HTTP", default=DEBUG)
#: Where people reach this Casebridge: links in chat messages and e-mails start with it.
BASE_URL = env.str("CASEBRIDGE_BASE_URL", default="http://127.0.0.1:8000").rstrip("/")

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = env.bool("CASEBRIDGE_SECURE_COOKIES", default=False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

TASKS = {
    "default": {
        "BACKEND": env.str("CASEBRIDGE_TASKS_BACKEND", default="django_tasks_db.DatabaseBackend"),
        "QUEUES": ["default"],
    }
}

NINJA_PAGINATION_PER_PAGE = 50

LOG_LEVEL = env.str("CASEBRIDGE_LOG_LEVEL", default="INFO")
LOGGING = logging_config(LOG_LEVEL)

_configure_logs()
AUTHENTICATION_BACKENDS = ["casebridge.accounts.backends.RolesBackend"]
