"""All settings, read from the environment in one place (12-factor).

Every knob an operator may turn is an environment variable documented in docs/operations.md.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

from casebridge.accounts import sso_settings as _sso
from casebridge.core import production as _production
from casebridge.core.databases import database_config as _database
from casebridge.core.logs import configure as _configure_logs
from casebridge.core.logs import logging_config

BASE_DIR = Path(__file__).resolve().parent.parent.parent
env = environ.Env()

DEBUG = env.bool("CASEBRIDGE_DEBUG", default=False)
SECRET_KEY = env.str("CASEBRIDGE_SECRET_KEY", default=_production.DEFAULT_SECRET_KEY)
#: Fernet keys that seal secrets at rest (core.secrets); the first seals, all open. Rotate by
#: putting a new key first. Empty: a key derived from SECRET_KEY (development only).
SECRETS_KEYS = env.list("CASEBRIDGE_SECRETS_KEYS", default=[])
ALLOWED_HOSTS = env.list("CASEBRIDGE_ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CASEBRIDGE_CSRF_TRUSTED_ORIGINS", default=[])
#: Production mode (core.production): CASEBRIDGE_ENV=production, or DEBUG off with a host name
#: that is not loopback. It turns on the HTTPS defaults below and refuses unsafe settings.
PRODUCTION = _production.is_production(
    env=env.str("CASEBRIDGE_ENV", default=""), debug=DEBUG, allowed_hosts=ALLOWED_HOSTS
)
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
    "axes",
    "allauth",
    "allauth.account",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.openid_connect",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
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
    "casebridge.integrations.mailin",
    "casebridge.monitoring",
    "casebridge.incidents",
    "casebridge.reporting",
    "casebridge.administration",
    "casebridge.web",
    "casebridge.transfer",
]

MIDDLEWARE = [
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
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
    "django_otp.middleware.OTPMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "axes.middleware.AxesMiddleware",
    "casebridge.accounts.mfa.RequireSecondFactor",
    "casebridge.core.idempotency.IdempotencyMiddleware",
    "casebridge.core.replica.LaggingReadsMiddleware",
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
        # First, so that Casebridge's layout wraps django-allauth's pages (allauth/layouts/).
        "DIRS": [Path(__file__).resolve().parent / "web" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.csp",
                "casebridge.web.context.navigation",
            ],
        },
    }
]


DATABASE_URL = env.str("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'casebridge.sqlite3'}")
DATABASES = {"default": _database(DATABASE_URL)}
#: A streaming replica of DATABASE_URL for reads that may lag (core.replica); none by default.
REPLICA_URL = env.str("CASEBRIDGE_REPLICA_URL", default="")
REPLICA_ENABLED = bool(REPLICA_URL)
if REPLICA_URL:
    DATABASES["replica"] = {**_database(REPLICA_URL), "TEST": {"MIRROR": "default"}}
#: Beyond this lag the replica's reads go to the primary.
REPLICA_MAX_LAG_SECONDS = env.float("CASEBRIDGE_REPLICA_MAX_LAG_SECONDS", default=5.0)
DATABASE_ROUTERS = ["casebridge.core.replica.ReplicaRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": env.int("CASEBRIDGE_PASSWORD_MIN_LENGTH", default=10)},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
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
#: Alert storms (docs/integrations.md#storms): more new alert groups a minute on one service than
#: this (an integration may set its own) fold into one storm case; the storm ends after this many
#: minutes without a new group. An alert that fires again more than FLAP_LIMIT times within
#: FLAP_WINDOW_MINUTES is flapping: it reopens no case.
STORM_GROUPS_PER_MINUTE = env.int("CASEBRIDGE_STORM_GROUPS_PER_MINUTE", default=5)
STORM_QUIET_MINUTES = env.int("CASEBRIDGE_STORM_QUIET_MINUTES", default=10)
FLAP_LIMIT = env.int("CASEBRIDGE_FLAP_LIMIT", default=3)
FLAP_WINDOW_MINUTES = env.int("CASEBRIDGE_FLAP_WINDOW_MINUTES", default=60)

# E-mail in (docs/operations.md): the largest message stored (bigger ones are recorded, not
# read), how many messages one sender may send an hour before the rest are ignored, how often an
# unknown sender is told (once a day at most), how often the worker polls each IMAP mailbox.
MAIL_MAX_BYTES = env.int("CASEBRIDGE_MAIL_MAX_BYTES", default=25 * 1024 * 1024)
MAIL_SENDER_PER_HOUR = env.int("CASEBRIDGE_MAIL_SENDER_PER_HOUR", default=30)
MAIL_UNKNOWN_REPLY_HOURS = env.int("CASEBRIDGE_MAIL_UNKNOWN_REPLY_HOURS", default=24)
MAIL_POLL_SECONDS = env.int("CASEBRIDGE_MAIL_POLL_SECONDS", default=30)
MAIL_MAX_ATTACHMENTS = env.int("CASEBRIDGE_MAIL_MAX_ATTACHMENTS", default=20)

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
#: The support mailbox: e-mail goes out from it, and replies to ``support+CB-12.token@...`` (its
#: local part, ``+``, the case key and token) come back to their case.
SUPPORT_ADDRESS = env.str("CASEBRIDGE_SUPPORT_ADDRESS", default="support@casebridge.localhost")
#: The sender of every e-mail: a name and the support address.
MAIL_FROM = env.str("CASEBRIDGE_MAIL_FROM", default=f"Casebridge Support <{SUPPORT_ADDRESS}>")
DEFAULT_FROM_EMAIL = MAIL_FROM
SERVER_EMAIL = MAIL_FROM


def _mailer(url: str) -> dict[str, object]:
    """EMAIL_URL: ``smtp://user:password@host:25``, ``smtp+tls://...:587`` (STARTTLS),
    ``smtps://...:465`` (TLS from the start), ``console://`` (print, for development) or
    ``memory://`` (keep in ``django.core.mail.outbox``, for tests). A Django ``MAILERS`` entry."""
    scheme = url.partition("://")[0].lower()
    if scheme in ("console", "consolemail"):
        return {"BACKEND": "django.core.mail.backends.console.EmailBackend"}
    if scheme in ("memory", "locmem", "memorymail"):
        return {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}
    if scheme not in ("smtp", "smtp+tls", "submission", "smtps", "smtp+ssl"):
        raise ValueError(f"EMAIL_URL: unknown scheme {scheme!r} (smtp, smtp+tls, smtps, console)")
    config = environ.Env.email_url_config(url)
    ssl = scheme in ("smtps", "smtp+ssl")
    return {
        "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "OPTIONS": {
            "host": config["EMAIL_HOST"] or "localhost",
            "port": config["EMAIL_PORT"] or (465 if ssl else 25),
            "username": config["EMAIL_HOST_USER"] or None,
            "password": config["EMAIL_HOST_PASSWORD"] or None,
            "use_tls": not ssl and bool(config.get("EMAIL_USE_TLS")),
            "use_ssl": ssl,
            "timeout": env.float("CASEBRIDGE_EMAIL_TIMEOUT", default=20.0),
        },
    }


#: The hour (UTC) of the daily digest: notifications kept for it until then go out in one e-mail.
DIGEST_HOUR = env.int("CASEBRIDGE_DIGEST_HOUR", default=7)
#: Where e-mail goes (one URL, django-environ's form; see ``_mailer``). Default: the console.
MAILERS = {"default": _mailer(env.str("EMAIL_URL", default="console://"))}

# HTTPS and browser protections (docs/security.md). In production mode the HTTPS settings default
# on, and turning one off refuses the start (core.production).
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = env.bool("CASEBRIDGE_SECURE_COOKIES", default=PRODUCTION)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_SSL_REDIRECT = env.bool("CASEBRIDGE_SSL_REDIRECT", default=PRODUCTION)
#: /healthz and /readyz answer over plain HTTP too: load balancers probe the backend directly.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
SECURE_HSTS_SECONDS = env.int("CASEBRIDGE_HSTS_SECONDS", default=31536000 if PRODUCTION else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("CASEBRIDGE_HSTS_INCLUDE_SUBDOMAINS", default=True)
SECURE_HSTS_PRELOAD = env.bool("CASEBRIDGE_HSTS_PRELOAD", default=True)
#: Behind a reverse proxy that ends TLS, the proxy must set X-Forwarded-Proto (and strip any
#: such header the client sent); then set CASEBRIDGE_PROXY_SSL_HEADER=true.
if env.bool("CASEBRIDGE_PROXY_SSL_HEADER", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
#: Content-Security-Policy on every response (Django's CSP middleware): scripts and styles from
#: our own static files only; no inline script or style attribute anywhere, a nonce where a page
#: really needs an inline element ({{ csp_nonce }}).
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF, CSP.NONCE],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}
#: Prometheus scrapes /metrics with this bearer token. Unset: /metrics answers only loopback
#: clients outside production mode, and no one in production mode.
METRICS_TOKEN = env.str("CASEBRIDGE_METRICS_TOKEN", default="")

if PRODUCTION:
    _found = _production.problems(
        debug=DEBUG,
        secret_key=SECRET_KEY,
        allowed_hosts_set="CASEBRIDGE_ALLOWED_HOSTS" in env.ENVIRON,
        allowed_hosts=ALLOWED_HOSTS,
        base_url=BASE_URL,
        secure_cookies=SESSION_COOKIE_SECURE,
        ssl_redirect=SECURE_SSL_REDIRECT,
        hsts_seconds=SECURE_HSTS_SECONDS,
        secrets_keys=SECRETS_KEYS,
    )
    if _found:
        raise ImproperlyConfigured(_production.refusal(_found))

TASKS = {
    "default": {
        "BACKEND": env.str("CASEBRIDGE_TASKS_BACKEND", default="django_tasks_db.DatabaseBackend"),
        "QUEUES": ["default"],
    }
}

#: Processed intake payloads, processed e-mail's bytes and delivered outbox messages are removed
#: after this many days (0: kept for ever); core.retention.
RETENTION_DAYS = env.int("CASEBRIDGE_RETENTION_DAYS", default=30)
#: A task running under a worker without a heartbeat for this long is run again (core.tasks).
TASK_LEASE_SECONDS = env.int("CASEBRIDGE_TASK_LEASE_SECONDS", default=120)

NINJA_PAGINATION_PER_PAGE = 50
#: Requests one API token may make a minute (0: no limit); over it, 429 with Retry-After.
API_RATE_LIMIT_PER_MINUTE = env.int("CASEBRIDGE_API_RATE_LIMIT_PER_MINUTE", default=600)
#: How long an API write's Idempotency-Key and its answer are kept (core.idempotency).
IDEMPOTENCY_KEY_HOURS = env.int("CASEBRIDGE_IDEMPOTENCY_KEY_HOURS", default=24)
#: Rate-limit counters (core.ratelimit). The default is per process; a shared cache
#: (dbcache://casebridge_cache after `casebridge createcachetable`, or redis://) counts across.
CACHES = {"default": env.cache_url("CASEBRIDGE_CACHE_URL", default="locmemcache://casebridge")}

LOG_LEVEL = env.str("CASEBRIDGE_LOG_LEVEL", default="INFO")
LOGGING = logging_config(LOG_LEVEL)

_configure_logs()
#: django-axes first: it refuses any password while the account or the address is locked.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "casebridge.accounts.backends.RolesBackend",
]

# Sign-in throttling (django-axes, docs/security.md): after LOGIN_FAILURE_LIMIT failures for one
# user name, or from one client address, further sign-ins there are refused (even with the right
# password) for LOGIN_LOCKOUT_MINUTES; each new failure while locked restarts the wait. Failures
# are counted in the database, so every web process shares them.
AXES_ENABLED = env.bool("CASEBRIDGE_LOGIN_THROTTLE", default=True)
AXES_FAILURE_LIMIT = env.int("CASEBRIDGE_LOGIN_FAILURE_LIMIT", default=10)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("CASEBRIDGE_LOGIN_LOCKOUT_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "casebridge.web.views.locked_out"
AXES_USERNAME_FORM_FIELD = "username"
AXES_VERBOSE = False
AXES_ENABLE_ACCESS_FAILURE_LOG = False
AXES_DISABLE_ACCESS_LOG = True
#: Behind a reverse proxy, the client address is the proxy's unless it is read from a header the
#: proxy sets (and overwrites): e.g. CASEBRIDGE_CLIENT_IP_HEADER=X-Real-IP with nginx's
#: `proxy_set_header X-Real-IP $remote_addr`.
CLIENT_IP_HEADER = env.str("CASEBRIDGE_CLIENT_IP_HEADER", default="")
AXES_CLIENT_IP_CALLABLE = "casebridge.accounts.clients.client_ip"

# Single sign-on with OpenID Connect (accounts.sso, django-allauth; docs/security.md). On when an
# issuer is set: its discovery document gives the endpoints; authorization code flow with PKCE.
OIDC_ISSUER = env.str("CASEBRIDGE_OIDC_ISSUER", default="")
OIDC_NAME = env.str("CASEBRIDGE_OIDC_NAME", default="single sign-on")
OIDC_GROUPS_CLAIM = env.str("CASEBRIDGE_OIDC_GROUPS_CLAIM", default="groups")
#: Staff (everyone but customers and partners) may also sign in with a local password; turn off
#: once single sign-on works, and staff can only use single sign-on.
STAFF_LOCAL_PASSWORDS = env.bool("CASEBRIDGE_STAFF_LOCAL_PASSWORDS", default=True)
SOCIALACCOUNT_PROVIDERS = (
    _sso.providers_setting(
        issuer=OIDC_ISSUER,
        client_id=env.str("CASEBRIDGE_OIDC_CLIENT_ID", default=""),
        client_secret=env.str("CASEBRIDGE_OIDC_CLIENT_SECRET", default=""),
        name=OIDC_NAME,
    )
    if OIDC_ISSUER
    else {}
)
SOCIALACCOUNT_ADAPTER = "casebridge.accounts.sso.SocialAccountAdapter"
ACCOUNT_ADAPTER = "casebridge.accounts.sso.AccountAdapter"
SOCIALACCOUNT_AUTO_SIGNUP = True
SOCIALACCOUNT_STORE_TOKENS = False
SOCIALACCOUNT_LOGIN_ON_GET = False
SOCIALACCOUNT_EMAIL_AUTHENTICATION = False
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_LOGIN_METHODS = {"username"}
ACCOUNT_SIGNUP_FIELDS = ["username*", "email"]
ACCOUNT_RATE_LIMITS = {"login_failed": False}  # django-axes counts failures
MFA_ADMIN_REQUIRED = env.bool("CASEBRIDGE_MFA_REQUIRED_FOR_ADMINS", default=False)
