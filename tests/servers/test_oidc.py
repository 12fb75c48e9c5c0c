"""The OpenID provider fixture: discovery, and a full authorization-code + PKCE flow in plain
HTTP with the ID token's signature checked against the JWKS."""

from __future__ import annotations

import secrets
import urllib.parse

import pytest

from tests.servers.fixtures import OidcSetup
from tests.servers.oidc import OidcUser
from tests.servers.oidc_client import OidcHttpClient, Response, pkce_pair

CALLBACK = "http://127.0.0.1:9/accounts/oidc/callback/"  # never called: the client reads it


@pytest.fixture
def oidc_redirect_uris() -> list[str]:
    return [CALLBACK]


def _sign_in(
    oidc: OidcSetup, client: OidcHttpClient, username: str, *, verifier_ok: bool = True
) -> tuple[dict[str, str], str, str]:
    """Sign in as ``username``; return the callback's parameters, the nonce and the verifier."""
    verifier, challenge = pkce_pair()
    state, nonce = secrets.token_urlsafe(8), secrets.token_urlsafe(8)
    url = client.authorize_url(
        oidc.client_id,
        CALLBACK,
        scope="openid email profile groups",
        state=state,
        nonce=nonce,
        code_challenge=challenge,
        code_challenge_method="S256",
    )
    back = client.sign_in(url, username, oidc.users[username].password)
    assert back.startswith(CALLBACK + "?"), back
    params = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(back).query))
    assert params["state"] == state
    return params, nonce, verifier if verifier_ok else pkce_pair()[0]


def _exchange(
    oidc: OidcSetup, client: OidcHttpClient, code: str, verifier: str, secret: str = ""
) -> Response:
    return client.exchange(
        code,
        client_id=oidc.client_id,
        client_secret=secret or oidc.client_secret,
        redirect_uri=CALLBACK,
        verifier=verifier,
    )


def test_discovery_document(oidc_provider: OidcSetup) -> None:
    config = OidcHttpClient(oidc_provider.discovery_url).config
    issuer = oidc_provider.issuer
    assert config["issuer"] == issuer and issuer.startswith("http://127.0.0.1:")
    for endpoint in ("authorization_endpoint", "token_endpoint", "userinfo_endpoint", "jwks_uri"):
        assert config[endpoint].startswith(issuer + "/")
    assert "S256" in config["code_challenge_methods_supported"]
    assert "RS256" in config["id_token_signing_alg_values_supported"]
    assert {"openid", "email", "profile", "groups"} <= set(config["scopes_supported"])
    assert {"groups", "email", "preferred_username"} <= set(config["claims_supported"])
    assert "code" in config["response_types_supported"]


def test_authorization_code_with_pkce_and_a_verified_id_token(oidc_provider: OidcSetup) -> None:
    client = OidcHttpClient(oidc_provider.discovery_url)
    params, nonce, verifier = _sign_in(oidc_provider, client, "olivia")
    answer = _exchange(oidc_provider, client, params["code"], verifier)
    assert answer.status == 200, answer.body
    tokens = answer.json()
    claims = client.verify_id_token(
        tokens["id_token"], audience=oidc_provider.client_id, nonce=nonce
    )
    olivia = oidc_provider.users["olivia"]
    assert claims["groups"] == sorted(olivia.groups) == ["casebridge-admins", "staff"]
    assert claims["email"] == olivia.email and claims["email_verified"] is True
    assert claims["preferred_username"] == "olivia"
    info = client.userinfo(tokens["access_token"])
    assert info["sub"] == claims["sub"] and info["groups"] == claims["groups"]

    # A code is good once.
    again = _exchange(oidc_provider, client, params["code"], verifier)
    assert again.status == 400 and again.json()["error"] == "invalid_grant"


def test_a_wrong_code_verifier_or_secret_is_refused(oidc_provider: OidcSetup) -> None:
    client = OidcHttpClient(oidc_provider.discovery_url)
    params, _, wrong_verifier = _sign_in(oidc_provider, client, "sven", verifier_ok=False)
    refused = _exchange(oidc_provider, client, params["code"], wrong_verifier)
    assert refused.status == 400 and refused.json()["error"] == "invalid_grant"
    params, _, verifier = _sign_in(oidc_provider, client, "sven")
    refused = _exchange(oidc_provider, client, params["code"], verifier, "not-the-secret")
    assert refused.status == 401 and refused.json()["error"] == "invalid_client"


def test_an_unregistered_redirect_uri_is_refused_without_redirecting(
    oidc_provider: OidcSetup,
) -> None:
    client = OidcHttpClient(oidc_provider.discovery_url)
    url = client.authorize_url(
        oidc_provider.client_id,
        "http://127.0.0.1:9/elsewhere/",
        scope="openid",
        code_challenge=pkce_pair()[1],
        code_challenge_method="S256",
    )
    # Signed in or not, the provider never sends the user to an unregistered address.
    client.request("GET", url)
    answer = client.request("GET", url)
    assert answer.status in (302, 400)
    assert not answer.location.startswith("http://127.0.0.1:9/elsewhere/")


def test_wrong_password_is_refused_at_the_form(oidc_provider: OidcSetup) -> None:
    client = OidcHttpClient(oidc_provider.discovery_url)
    url = client.authorize_url(
        oidc_provider.client_id,
        CALLBACK,
        scope="openid",
        code_challenge=pkce_pair()[1],
        code_challenge_method="S256",
    )
    with pytest.raises(AssertionError, match="sign-in refused"):
        client.sign_in(url, "nora", "not-her-password")


def test_a_user_added_by_a_test_has_its_groups_in_the_id_token(oidc_provider: OidcSetup) -> None:
    user = oidc_provider.add_user(
        OidcUser(
            username=f"temp-{secrets.token_hex(3)}",
            password=secrets.token_urlsafe(10),
            email="temp@idp.example",
            groups=("casebridge-l1",),
        )
    )
    client = OidcHttpClient(oidc_provider.discovery_url)
    params, nonce, verifier = _sign_in(oidc_provider, client, user.username)
    tokens = _exchange(oidc_provider, client, params["code"], verifier).json()
    claims = client.verify_id_token(
        tokens["id_token"], audience=oidc_provider.client_id, nonce=nonce
    )
    assert claims["groups"] == ["casebridge-l1"] and claims["email"] == "temp@idp.example"
