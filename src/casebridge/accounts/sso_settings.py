"""The allauth provider settings for single sign-on, importable from settings.py (no models)."""

from __future__ import annotations

from casebridge.core.jsonbody import JsonValue

PROVIDER_ID = "casebridge"


def providers_setting(
    *, issuer: str, client_id: str, client_secret: str, name: str = ""
) -> dict[str, JsonValue]:
    """``SOCIALACCOUNT_PROVIDERS`` for one OpenID Connect provider (settings.py and tests)."""
    return {
        "openid_connect": {
            "OAUTH_PKCE_ENABLED": True,
            "SCOPE": ["openid", "profile", "email", "groups"],
            "APPS": [
                {
                    "provider_id": PROVIDER_ID,
                    "name": name or "Single sign-on",
                    "client_id": client_id,
                    "secret": client_secret,
                    "settings": {"server_url": issuer, "token_auth_method": "client_secret_basic"},
                }
            ],
        }
    }
