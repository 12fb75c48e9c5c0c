"""Production mode: unsafe settings refuse the start; `check --deploy` flags the public key and is
clean with the variables docs/operations.md lists; the probes and /metrics reveal nothing."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client

from casebridge.core import production

REPO = Path(__file__).resolve().parents[2]
CASEBRIDGE = str(Path(sys.executable).parent / "casebridge")
FERNET = "4Zq6Qbq2vIY0oQ1iN9-ZdSk6c6F6vQxS3cNw0o3bq1U="
GOOD_KEY = "k3y-" + "".join(chr(ord("a") + i % 26) for i in range(60))
PRODUCTION_ENV = {
    "CASEBRIDGE_ENV": "production",
    "CASEBRIDGE_SECRET_KEY": GOOD_KEY,
    "CASEBRIDGE_ALLOWED_HOSTS": "casebridge.example.com",
    "CASEBRIDGE_BASE_URL": "https://casebridge.example.com",
    "CASEBRIDGE_CSRF_TRUSTED_ORIGINS": "https://casebridge.example.com",
    "CASEBRIDGE_SECRETS_KEYS": FERNET,
    "CASEBRIDGE_METRICS_TOKEN": "metrics-" + "m" * 32,
    "EMAIL_URL": "smtp+tls://casebridge@mail.example.com:587",
}


def run(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("CASEBRIDGE_")}
    clean.pop("DJANGO_SETTINGS_MODULE", None)
    clean.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)  # set by the browser tests' conftest
    return subprocess.run(
        [CASEBRIDGE, *args],
        env={**clean, "CASEBRIDGE_VAR_DIR": os.environ.get("TMPDIR", "/tmp"), **env},
        capture_output=True,
        text=True,
        timeout=120,
        cwd=REPO,
        check=False,
    )


def test_production_mode_is_explicit_or_a_public_host_without_debug() -> None:
    assert production.is_production(env="production", debug=False, allowed_hosts=["localhost"])
    assert not production.is_production(env="development", debug=False, allowed_hosts=["cb.io"])
    assert production.is_production(env="", debug=False, allowed_hosts=["cb.example.com"])
    assert not production.is_production(env="", debug=True, allowed_hosts=["cb.example.com"])
    assert not production.is_production(env="", debug=False, allowed_hosts=["127.0.0.1"])


def test_starting_with_the_default_key_in_production_fails_with_a_clear_message() -> None:
    env = {**PRODUCTION_ENV, "CASEBRIDGE_SECRET_KEY": production.DEFAULT_SECRET_KEY}
    result = run("check", **env)
    assert result.returncode == 2
    assert "refuses to start in production mode" in result.stderr
    assert "CASEBRIDGE_SECRET_KEY is the built-in development key" in result.stderr
    assert "Traceback" not in result.stderr


def test_every_missing_https_setting_is_named() -> None:
    env = {
        "CASEBRIDGE_ENV": "production",
        "CASEBRIDGE_SECURE_COOKIES": "false",
        "CASEBRIDGE_HSTS_SECONDS": "0",
    }
    result = run("check", **env)
    assert result.returncode == 2
    for name in (
        "CASEBRIDGE_SECRET_KEY",
        "CASEBRIDGE_ALLOWED_HOSTS",
        "CASEBRIDGE_BASE_URL",
        "CASEBRIDGE_SECURE_COOKIES",
        "CASEBRIDGE_HSTS_SECONDS",
        "CASEBRIDGE_SECRETS_KEYS",
    ):
        assert name in result.stderr


def test_check_deploy_is_clean_in_production_mode() -> None:
    result = run("check", "--deploy", "--fail-level", "WARNING", **PRODUCTION_ENV)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_check_deploy_flags_the_built_in_key_outside_production_mode() -> None:
    result = run("check", "--deploy", CASEBRIDGE_ENV="development")
    assert result.returncode != 0
    assert "casebridge.E001" in result.stderr


def test_weak_keys() -> None:
    assert production.weak_secret_key(production.DEFAULT_SECRET_KEY)
    assert production.weak_secret_key("django-insecure-" + "a1b2c3d4e5" * 6)
    assert production.weak_secret_key("short")
    assert production.weak_secret_key("a" * 80)
    assert not production.weak_secret_key(GOOD_KEY)


def test_every_page_carries_the_security_headers(client: Client, settings: object) -> None:
    response = client.get("/login/")
    policy = response["Content-Security-Policy"]
    assert "default-src 'self'" in policy
    assert "script-src 'self'" in policy  # and a nonce when a page uses one
    assert "object-src 'none'" in policy and "frame-ancestors 'none'" in policy
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response.cookies["csrftoken"]["samesite"] == "Lax"


@pytest.mark.django_db
def test_hsts_and_secure_cookies_over_https(client: Client, settings: object) -> None:
    settings.SECURE_HSTS_SECONDS = 31536000  # type: ignore[attr-defined]
    settings.SESSION_COOKIE_SECURE = True  # type: ignore[attr-defined]
    settings.CSRF_COOKIE_SECURE = True  # type: ignore[attr-defined]
    response = client.get("/login/", secure=True)
    assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    assert response.cookies["csrftoken"]["secure"]


def test_probes_reveal_nothing(client: Client) -> None:
    response = client.get("/healthz")
    assert response.json() == {"status": "ok"}
    assert set(response.headers) <= {
        "Content-Type",
        "Content-Length",
        "Expires",
        "Cache-Control",
        "X-Request-Id",
        "X-Frame-Options",
        "X-Content-Type-Options",
        "Referrer-Policy",
        "Cross-Origin-Opener-Policy",
        "Content-Security-Policy",
        "Vary",
    }


def test_metrics_require_the_token(client: Client, settings: object) -> None:
    settings.METRICS_TOKEN = "scrape-" + "s" * 32  # type: ignore[attr-defined]
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 401
    ok = client.get("/metrics", HTTP_AUTHORIZATION="Bearer scrape-" + "s" * 32)
    assert ok.status_code == 200
    assert b"django_http_requests" in ok.content


def test_metrics_without_a_token_loopback_only_and_never_in_production(
    client: Client, settings: object
) -> None:
    settings.METRICS_TOKEN = ""  # type: ignore[attr-defined]
    assert client.get("/metrics", REMOTE_ADDR="127.0.0.1").status_code == 200
    assert client.get("/metrics", REMOTE_ADDR="203.0.113.9").status_code == 401
    settings.PRODUCTION = True  # type: ignore[attr-defined]
    assert client.get("/metrics", REMOTE_ADDR="127.0.0.1").status_code == 401
