"""The claims the provider gives: profile, e-mail and ``groups`` (with the ``groups`` scope, as
Okta and Keycloak do)."""

from __future__ import annotations

from typing import Any

from oauth2_provider.oauth2_validators import OAuth2Validator


class Validator(OAuth2Validator):  # type: ignore[misc]
    oidc_claim_scope = {**OAuth2Validator.oidc_claim_scope, "groups": "groups"}

    def get_additional_claims(self) -> dict[str, Any]:
        # Request-agnostic form (one argument): discovery then lists these claims.
        return {
            "name": lambda request: request.user.get_full_name(),
            "given_name": lambda request: request.user.first_name,
            "family_name": lambda request: request.user.last_name,
            "preferred_username": lambda request: request.user.username,
            "email": lambda request: request.user.email,
            "email_verified": lambda request: True,
            "groups": lambda request: sorted(g.name for g in request.user.groups.all()),
        }
