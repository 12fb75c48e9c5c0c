"""A relying party in plain HTTP (urllib and a cookie jar), to drive the test provider without
a browser: sign in at its form, collect the redirect, exchange the code with PKCE, and check an
ID token's RS256 signature against the provider's JWKS (with ``cryptography``, independent of the
provider's own JOSE library)."""

from __future__ import annotations

import base64
import hashlib
import html
import http.cookiejar
import json
import re
import secrets
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from typing import Any


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def pkce_pair() -> tuple[str, str]:
    """(code_verifier, S256 code_challenge)."""
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
    return verifier, challenge.rstrip(b"=").decode()


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None  # hand 3xx back to the caller


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def location(self) -> str:
        return self.headers.get("location", "")


class OidcHttpClient:
    """One user agent: cookies kept, redirects returned rather than followed."""

    def __init__(self, discovery_url: str) -> None:
        self.cookies = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.cookies), _NoRedirect()
        )
        self.config: dict[str, Any] = self.request("GET", discovery_url).json()

    def request(
        self,
        method: str,
        url: str,
        *,
        form: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
    ) -> Response:
        data = urllib.parse.urlencode(form).encode() if form is not None else None
        request = urllib.request.Request(url, data=data, method=method, headers=headers or {})
        try:
            with self.opener.open(request, timeout=10) as answer:
                return Response(answer.status, _lower(answer.headers), answer.read())
        except urllib.error.HTTPError as error:
            return Response(error.code, _lower(error.headers), error.read())

    def authorize_url(self, client_id: str, redirect_uri: str, **params: str) -> str:
        query = {"response_type": "code", "client_id": client_id, "redirect_uri": redirect_uri}
        return f"{self.config['authorization_endpoint']}?{urllib.parse.urlencode(query | params)}"

    def sign_in(self, authorize_url: str, username: str, password: str) -> str:
        """Open the authorization URL, sign in at the provider's form, and return the URL the
        provider sends the user back to (the relying party's redirect URI with code and state)."""
        answer = self.request("GET", authorize_url)
        if answer.status == 302 and "/login/" in answer.location:
            login_url = urllib.parse.urljoin(authorize_url, answer.location)
            page = self.request("GET", login_url)
            token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page.body)
            following = re.search(rb'name="next" value="([^"]*)"', page.body)
            assert token and following, page.body[:500]
            posted = self.request(
                "POST",
                login_url,
                form={
                    "csrfmiddlewaretoken": token.group(1).decode(),
                    "username": username,
                    "password": password,
                    "next": html.unescape(following.group(1).decode()),
                },
                headers={"Referer": login_url},
            )
            if posted.status != 302:
                raise AssertionError(f"sign-in refused ({posted.status})")
            answer = self.request("GET", urllib.parse.urljoin(login_url, posted.location))
        if answer.status != 302:
            raise AssertionError(f"no redirect from the authorization endpoint: {answer}")
        return answer.location

    def exchange(
        self, code: str, *, client_id: str, client_secret: str, redirect_uri: str, verifier: str
    ) -> Response:
        basic = base64.b64encode(f"{client_id}:{client_secret}".encode()).decode()
        return self.request(
            "POST",
            self.config["token_endpoint"],
            form={
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": redirect_uri,
                "code_verifier": verifier,
            },
            headers={"Authorization": f"Basic {basic}"},
        )

    def userinfo(self, access_token: str) -> Any:
        answer = self.request(
            "GET",
            self.config["userinfo_endpoint"],
            headers={"Authorization": f"Bearer {access_token}"},
        )
        assert answer.status == 200, answer
        return answer.json()

    def verify_id_token(self, token: str, *, audience: str, nonce: str) -> dict[str, Any]:
        """The ID token's claims once its RS256 signature, issuer, audience, nonce and expiry
        hold; AssertionError otherwise."""
        from cryptography.exceptions import InvalidSignature
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import padding, rsa

        head_b64, claims_b64, signature_b64 = token.split(".")
        head = json.loads(b64url_decode(head_b64))
        assert head["alg"] == "RS256", head
        keys = self.request("GET", self.config["jwks_uri"]).json()["keys"]
        jwk = next(key for key in keys if key.get("kid") == head.get("kid"))
        public = rsa.RSAPublicNumbers(
            int.from_bytes(b64url_decode(jwk["e"])), int.from_bytes(b64url_decode(jwk["n"]))
        ).public_key()
        try:
            public.verify(
                b64url_decode(signature_b64),
                f"{head_b64}.{claims_b64}".encode(),
                padding.PKCS1v15(),
                hashes.SHA256(),
            )
        except InvalidSignature as error:
            raise AssertionError("the ID token's signature does not verify") from error
        claims: dict[str, Any] = json.loads(b64url_decode(claims_b64))
        assert claims["iss"] == self.config["issuer"], claims
        audiences = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
        assert audience in audiences, claims
        assert claims.get("nonce") == nonce, claims
        assert claims["exp"] > time.time(), claims
        return claims


def _lower(headers: Any) -> dict[str, str]:
    return {key.lower(): value for key, value in headers.items()}
