"""pytest fixtures for the real servers (registered in tests/conftest.py with ``pytest_plugins``).

* ``smtp_server``: aiosmtpd on loopback, per test; ``@pytest.mark.smtp_server(auth={...},
  starttls=True)`` turns on AUTH and STARTTLS.
* ``imap_server``: Dovecot on loopback with a private configuration, an empty mailbox per test.
* ``oidc_provider``: an OpenID Connect provider (one process per pytest worker) with a client
  registered for this test's ``oidc_redirect_uris`` (override that fixture to point at your app).
* ``pg_replica``: a streaming replica of the test database's cluster (PostgreSQL only; one per
  worker, started after the test database exists), replay resumed and caught up around each test.

A server that cannot run here skips the test on a workstation (with the apt package to install)
and fails it under CI (``CI`` set), where ``.ci/run`` installs everything.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.servers._support import private_dir, start_or_unavailable, unavailable
from tests.servers.imap import DIR_PREFIX, ImapServer
from tests.servers.oidc import OidcClient, OidcProvider, OidcUser
from tests.servers.pg_replica import PgReplica
from tests.servers.smtp import SmtpServer

REPLICA_ALIAS = "replica"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "smtp_server(auth=None, starttls=False): options of the smtp_server fixture "
        "(auth: {user: password} to require AUTH; starttls: offer STARTTLS)",
    )


# -- SMTP ---------------------------------------------------------------------------------------


@pytest.fixture
def smtp_server(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SmtpServer]:
    """A real SMTP server on 127.0.0.1: ``.messages``, ``.wait_for(n)``, ``.mailer``."""
    marker = request.node.get_closest_marker("smtp_server")
    options: dict[str, Any] = dict(marker.kwargs) if marker else {}
    if options.get("starttls"):
        options.setdefault("cert_dir", tmp_path / "smtp-tls")
    with SmtpServer(**options) as server:
        yield server


# -- IMAP ---------------------------------------------------------------------------------------


@pytest.fixture
def imap_server() -> Iterator[ImapServer]:
    """Dovecot on 127.0.0.1 with one user and an empty mailbox: ``.append(raw)``,
    ``.messages(folder)``, ``.create_folder(name)``, ``.uidvalidity(folder)``, ``.url``."""
    with private_dir(DIR_PREFIX) as folder:
        server = start_or_unavailable(ImapServer(folder))
        try:
            yield server
        finally:
            server.stop()


# -- OpenID Connect -----------------------------------------------------------------------------


@pytest.fixture(scope="session")
def oidc_provider_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OidcProvider]:
    """The provider process, once per pytest process (xdist worker)."""
    try:
        import oauth2_provider  # noqa: F401
    except ImportError:
        unavailable("django-oauth-toolkit is missing: uv sync (it is a dev dependency)")
    with OidcProvider(tmp_path_factory.mktemp("oidc-provider")) as provider:
        yield provider


@pytest.fixture
def oidc_redirect_uris() -> list[str]:
    """Where the test client may be sent back to. Override it in a test module, e.g.
    ``return [f"{live_server.url}/accounts/oidc/callback/"]``."""
    return ["http://127.0.0.1/oidc/callback/"]


@dataclass(frozen=True)
class OidcSetup:
    """What a test sees: the issuer, a client registered for it, the provider's users."""

    provider: OidcProvider
    client: OidcClient

    @property
    def issuer(self) -> str:
        return self.provider.issuer

    @property
    def discovery_url(self) -> str:
        return self.provider.discovery_url

    @property
    def client_id(self) -> str:
        return self.client.client_id

    @property
    def client_secret(self) -> str:
        return self.client.client_secret

    @property
    def users(self) -> dict[str, OidcUser]:
        return self.provider.users

    def add_user(self, user: OidcUser) -> OidcUser:
        return self.provider.add_user(user)

    def register_client(self, redirect_uris: list[str]) -> OidcClient:
        return self.provider.register_client(redirect_uris)


@pytest.fixture
def oidc_provider(oidc_provider_server: OidcProvider, oidc_redirect_uris: list[str]) -> OidcSetup:
    """The OpenID provider with a fresh confidential client for ``oidc_redirect_uris``."""
    return OidcSetup(oidc_provider_server, oidc_provider_server.register_client(oidc_redirect_uris))


# -- PostgreSQL streaming replica ---------------------------------------------------------------


@pytest.fixture(scope="session")
def pg_replica_server(request: pytest.FixtureRequest) -> Iterator[PgReplica]:
    """A replica of the test cluster, once per pytest process, after the test database exists
    (the replica is a physical copy of the cluster: it must be taken after CREATE DATABASE)."""
    from django.db import connection, connections

    if connection.vendor != "postgresql":
        pytest.skip("pg_replica needs PostgreSQL: DATABASE_URL=postgres://...")
    request.getfixturevalue("django_db_setup")  # only now: no test database for a skip
    settings = connection.settings_dict
    replica = PgReplica(
        dbname=settings["NAME"],
        host=settings.get("HOST") or "127.0.0.1",
        port=int(settings.get("PORT") or 5432),
        user=settings.get("USER") or "postgres",
        password=settings.get("PASSWORD") or "",
    )
    start_or_unavailable(replica)
    # The Django alias, from now to the end of this process. Registered here, at session scope,
    # because a test's allowed databases are checked before its function fixtures run.
    connections.settings[REPLICA_ALIAS] = replica.database_settings(settings)
    try:
        yield replica
    finally:
        with contextlib.suppress(AttributeError):
            connections[REPLICA_ALIAS].close()
            del connections[REPLICA_ALIAS]
        del connections.settings[REPLICA_ALIAS]
        replica.stop()


@pytest.fixture
def pg_replica(pg_replica_server: PgReplica, transactional_db: None) -> Iterator[PgReplica]:
    """The replica, replaying and caught up with the primary; replay resumed after the test.
    Rows reach it only once committed, so this brings ``transactional_db`` (which also makes
    pytest-django create the test database before the replica is taken). Through Django it is
    the database alias ``replica``; a test that uses it says so:
    ``@pytest.mark.django_db(transaction=True, databases=["default", "replica"])``."""
    pg_replica_server.resume_replay()
    pg_replica_server.wait_caught_up()
    yield pg_replica_server
    pg_replica_server.resume_replay()
