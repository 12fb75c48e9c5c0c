"""Production mode: what must be true before Casebridge serves real people.

Production mode is ``CASEBRIDGE_ENV=production``, or ``CASEBRIDGE_DEBUG`` off with a host name
other than a loopback address in ``CASEBRIDGE_ALLOWED_HOSTS`` (``CASEBRIDGE_ENV=development``
opts out). In production mode ``settings.py`` refuses to start, with every problem listed, when
:func:`problems` finds any. The same key check is a system check for ``check --deploy``
(:mod:`casebridge.core.checks`), which Django's own check misses: it only knows the
``django-insecure`` prefix, and our built-in key is public in the repository.

Pure functions over plain values, so the tests need no process per case.
"""

from __future__ import annotations

from collections.abc import Sequence

#: The key used when ``CASEBRIDGE_SECRET_KEY`` is not set. It is in the repository: anyone can
#: forge sessions, password-reset links and signed values with it.
DEFAULT_SECRET_KEY = "insecure-dev-key-change-me-" + "x" * 24
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "[::1]", "::1", "testserver"})
GENERATE_KEY = "python3 -c 'import secrets; print(secrets.token_urlsafe(50))'"
GENERATE_FERNET = (
    "python3 -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'"
)


def is_production(*, env: str, debug: bool, allowed_hosts: Sequence[str]) -> bool:
    if env:
        return env.strip().lower() == "production"
    return not debug and any(host not in LOOPBACK_HOSTS for host in allowed_hosts)


def weak_secret_key(key: str) -> str:
    """Why ``key`` must not sign anything in production, or ``""``."""
    if key == DEFAULT_SECRET_KEY or key.startswith("insecure-dev-key"):
        return "is the built-in development key, which is public"
    if key.startswith("django-insecure"):
        return "is a generated development key (django-insecure prefix)"
    if len(key) < 50 or len(set(key)) < 5:
        return "is too short (at least 50 characters, 5 of them different)"
    return ""


def problems(
    *,
    debug: bool,
    secret_key: str,
    allowed_hosts_set: bool,
    allowed_hosts: Sequence[str],
    base_url: str,
    secure_cookies: bool,
    ssl_redirect: bool,
    hsts_seconds: int,
    secrets_keys: Sequence[str],
) -> list[str]:
    """Every reason this configuration must not serve in production, each saying what to set."""
    found = []
    if debug:
        found.append("CASEBRIDGE_DEBUG is on: it shows stack traces and settings to anyone.")
    why = weak_secret_key(secret_key)
    if why:
        found.append(
            f"CASEBRIDGE_SECRET_KEY {why}. Set a long random value, e.g. from: {GENERATE_KEY}"
        )
    if not allowed_hosts_set or not allowed_hosts or "*" in allowed_hosts:
        found.append(
            "CASEBRIDGE_ALLOWED_HOSTS is not set (or is '*'): list the host names Casebridge "
            "answers to, e.g. casebridge.example.com"
        )
    if not base_url.startswith("https://"):
        found.append(
            f"CASEBRIDGE_BASE_URL is {base_url!r}: production is served over HTTPS, "
            "e.g. https://casebridge.example.com"
        )
    if not secure_cookies:
        found.append("CASEBRIDGE_SECURE_COOKIES is off: session cookies would travel over HTTP.")
    if not ssl_redirect:
        found.append("CASEBRIDGE_SSL_REDIRECT is off: plain HTTP requests would be served.")
    if hsts_seconds <= 0:
        found.append("CASEBRIDGE_HSTS_SECONDS is 0: browsers would not be told to keep to HTTPS.")
    if not secrets_keys:
        found.append(
            "CASEBRIDGE_SECRETS_KEYS is not set: secrets at rest would be sealed with a key "
            f"derived from the secret key. Generate one with: {GENERATE_FERNET}"
        )
    return found


def refusal(found: Sequence[str]) -> str:
    lines = "\n".join(f"  - {problem}" for problem in found)
    return (
        "Casebridge refuses to start in production mode:\n"
        f"{lines}\n"
        "See docs/operations.md (Production). For a local run without HTTPS set "
        "CASEBRIDGE_ENV=development."
    )
