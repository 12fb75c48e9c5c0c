"""A real OpenID Connect provider on loopback: django-oauth-toolkit in its own process (the small
Django project in ``oidc_provider/``), with its own SQLite file and a fresh RS256 key in a
temporary folder.

Discovery at ``{issuer}/.well-known/openid-configuration``; authorization code with PKCE
(required), confidential clients (``client_secret_basic`` or ``client_secret_post``), userinfo,
JWKS, RP-initiated logout; no consent screen for registered clients; a plain login form at
``/login/`` (labels "Username" and "Password", button "Sign in"). Users carry an e-mail, a name and
a ``groups`` claim (scope ``groups``). Clients and users are added through a small control API
guarded by a token only this object knows. Usable outside pytest (``with OidcProvider(folder)``).
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import select
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Self

from tests.servers._support import Process, ProcessServer

REPO = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class OidcUser:
    username: str
    password: str
    email: str
    groups: tuple[str, ...] = ()
    first_name: str = ""
    last_name: str = ""


@dataclass(frozen=True)
class OidcClient:
    client_id: str
    client_secret: str
    redirect_uris: tuple[str, ...]


def default_users() -> list[OidcUser]:
    """An admin, an L2 engineer, a developer and someone in no mapped group; fresh passwords."""

    def user(name: str, last: str, groups: tuple[str, ...]) -> OidcUser:
        return OidcUser(
            username=name,
            password=secrets.token_urlsafe(12),
            email=f"{name}@idp.example",
            groups=groups,
            first_name=name.capitalize(),
            last_name=last,
        )

    return [
        user("olivia", "Admin", ("casebridge-admins", "staff")),
        user("sven", "Support", ("casebridge-l2", "staff")),
        user("devi", "Developer", ("casebridge-developers", "staff")),
        user("nora", "Nogroup", ()),
    ]


class OidcProvider(ProcessServer):
    def __init__(self, folder: Path, users: Iterable[OidcUser] | None = None) -> None:
        self.folder = folder
        self.users = {user.username: user for user in (users or default_users())}
        self.issuer = ""
        self.start_seconds = 0.0
        self._token = secrets.token_urlsafe(24)
        self._process: Process | None = None

    # -- life cycle ---------------------------------------------------------------------------

    def start(self, *, timeout: float = 30.0) -> Self:
        started = time.monotonic()
        (self.folder / "users.json").write_text(
            json.dumps([asdict(user) for user in self.users.values()])
        )
        env = {
            key: value
            for key, value in os.environ.items()
            if key != "DJANGO_SETTINGS_MODULE" and not key.startswith("CASEBRIDGE_")
        }
        env["OIDC_PROVIDER_CONTROL_TOKEN"] = self._token
        self._process = Process(
            [sys.executable, "-m", "tests.servers.oidc_provider", str(self.folder)],
            log=self.folder / "provider.log",
            env=env,
            cwd=REPO,
            stdout=subprocess.PIPE,
            stdin=subprocess.PIPE,
        )
        try:
            stdin = self._process.popen.stdin
            assert stdin is not None
            with contextlib.suppress(BrokenPipeError):  # it died: the log says why, below
                stdin.write(_rsa_private_key_pem())  # made while the provider imports Django
                stdin.close()
            line = self._read_ready_line(timeout)
        except BaseException:
            self.stop()
            raise
        ready = json.loads(line)
        self.issuer = f"http://127.0.0.1:{ready['port']}"
        self.child_seconds = float(ready["seconds"])
        self.start_seconds = time.monotonic() - started
        return self

    def _read_ready_line(self, timeout: float) -> str:
        assert self._process is not None
        stdout = self._process.popen.stdout
        assert stdout is not None
        ready, _, _ = select.select([stdout], [], [], timeout)
        line = stdout.readline().decode() if ready else ""
        if not line.startswith("{"):
            raise TimeoutError(
                f"the OIDC provider did not start in {timeout:g} s (exit code "
                f"{self._process.popen.poll()}): {self._process.log_tail()}"
            )
        return line

    # -- what tests use -----------------------------------------------------------------------

    @property
    def discovery_url(self) -> str:
        return f"{self.issuer}/.well-known/openid-configuration"

    @property
    def login_url(self) -> str:
        return f"{self.issuer}/login/"

    def register_client(
        self,
        redirect_uris: Sequence[str],
        *,
        name: str = "casebridge",
        post_logout_redirect_uris: Sequence[str] = (),
    ) -> OidcClient:
        """A confidential client with exactly these redirect URIs (no wildcards), no consent."""
        answer = self._control(
            "clients",
            {
                "name": name,
                "redirect_uris": list(redirect_uris),
                "post_logout_redirect_uris": list(post_logout_redirect_uris),
            },
        )
        return OidcClient(answer["client_id"], answer["client_secret"], tuple(redirect_uris))

    def add_user(self, user: OidcUser) -> OidcUser:
        """Create the user, or replace its password, e-mail, name and groups."""
        self._control("users", asdict(user))
        self.users[user.username] = user
        return user

    def _control(self, what: str, body: dict[str, Any]) -> Any:
        request = urllib.request.Request(
            f"{self.issuer}/_control/{what}",
            data=json.dumps(body).encode(),
            headers={"Content-Type": "application/json", "X-Control-Token": self._token},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.loads(response.read())


def _rsa_private_key_pem() -> bytes:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
