"""A real SMTP server on loopback: aiosmtpd in a thread of the test process.

It binds port 0 itself (no race for a port between xdist workers) and keeps every message it
accepts, parsed, with its envelope. AUTH and STARTTLS are off unless asked for; with STARTTLS it
makes a self-signed certificate for 127.0.0.1 and ``localhost`` (``cert_path``, to trust it via
``SSL_CERT_FILE``). ``fail_next()`` makes the next messages fail with a reply of your choice, for
retry tests. Usable outside pytest too (``with SmtpServer() as smtp: ...``), e.g. in benchmarks.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import ssl
import threading
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import Any, Self

from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

from tests.servers._support import LOOPBACK, Server, parse_message


@dataclass(frozen=True)
class ReceivedMessage:
    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage  # parsed, with \n line ends
    raw: bytes  # as received (CRLF)

    def __getitem__(self, header: str) -> Any:
        return self.message[header]

    @property
    def text(self) -> str:
        """The plain-text body (the ``text/plain`` part of a multipart message)."""
        part = self.message.get_body(preferencelist=("plain",))
        return "" if part is None else str(part.get_content())

    @property
    def html(self) -> str | None:
        part = self.message.get_body(preferencelist=("html",))
        return None if part is None else str(part.get_content())


class _Handler:
    def __init__(self, server: SmtpServer) -> None:
        self.server = server

    async def handle_DATA(self, smtp: SMTP, session: Session, envelope: Envelope) -> str:
        return self.server._receive(envelope)


class SmtpServer(Server):
    def __init__(
        self,
        *,
        auth: dict[str, str] | None = None,
        starttls: bool = False,
        cert_dir: Path | None = None,
    ) -> None:
        if starttls and cert_dir is None:
            raise ValueError("STARTTLS needs cert_dir for its self-signed certificate")
        self.host = LOOPBACK
        self.port = 0
        self.auth = dict(auth or {})
        self.starttls = starttls
        self.cert_path: Path | None = None
        self._cert_dir = cert_dir
        self.messages: list[ReceivedMessage] = []
        self.logins: list[str] = []
        self._failures: list[str] = []
        self._changed = threading.Condition()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="smtp", daemon=True)
        self._server: asyncio.Server | None = None
        self._connections: list[SMTP] = []

    # -- life cycle ---------------------------------------------------------------------------

    def start(self) -> Self:
        tls_context = self._make_tls_context() if self.starttls else None
        authenticator = self._authenticate if self.auth else None

        def protocol() -> SMTP:
            smtp = SMTP(
                _Handler(self),
                hostname="casebridge-test-smtp",  # never socket.getfqdn(): a DNS look-up
                enable_SMTPUTF8=True,
                tls_context=tls_context,
                authenticator=authenticator,
                auth_require_tls=self.starttls,
                loop=self._loop,
            )
            self._connections.append(smtp)
            return smtp

        self._thread.start()
        create = self._loop.create_server(protocol, self.host, 0)
        self._server = asyncio.run_coroutine_threadsafe(create, self._loop).result(timeout=10)
        self.port = int(self._server.sockets[0].getsockname()[1])
        return self

    def stop(self) -> None:
        if self._server is not None:
            server = self._server
            self._server = None

            async def close() -> None:
                server.close()
                for smtp in self._connections:  # clients still connected (3.12 has no
                    if smtp.transport is not None:  # Server.close_clients)
                        smtp.transport.close()
                await server.wait_closed()
                current = asyncio.current_task()
                tasks = [task for task in asyncio.all_tasks() if task is not current]
                for task in tasks:
                    task.cancel()
                await asyncio.gather(*tasks, return_exceptions=True)

            asyncio.run_coroutine_threadsafe(close(), self._loop).result(timeout=10)
        if self._thread.is_alive():
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=10)
        if not self._loop.is_closed():
            self._loop.close()

    # -- what tests use -----------------------------------------------------------------------

    def wait_for(self, count: int = 1, *, timeout: float = 10.0) -> list[ReceivedMessage]:
        """Block until at least ``count`` messages arrived; return all of them."""
        with self._changed:
            if not self._changed.wait_for(lambda: len(self.messages) >= count, timeout=timeout):
                raise TimeoutError(
                    f"expected {count} message(s) on SMTP port {self.port}, "
                    f"got {len(self.messages)} in {timeout:g} s"
                )
            return list(self.messages)

    def fail_next(self, count: int = 1, reply: str = "451 4.3.0 Try again later") -> None:
        """Refuse the next ``count`` messages at DATA with ``reply`` (a 4xx or 5xx line)."""
        with self._changed:
            self._failures.extend([reply] * count)

    def clear(self) -> None:
        with self._changed:
            self.messages.clear()

    @property
    def mailer(self) -> dict[str, Any]:
        """A Django 6.1 ``MAILERS`` entry that sends here:
        ``settings.MAILERS = {"default": smtp_server.mailer}``."""
        user, password = next(iter(self.auth.items())) if self.auth else (None, None)
        return {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {
                "host": self.host,
                "port": self.port,
                "username": user,
                "password": password,
                "use_tls": self.starttls,
                "timeout": 10,
            },
        }

    @property
    def url(self) -> str:
        """``smtp://`` (or ``submission://`` with STARTTLS) URL in django-environ's form."""
        scheme = "submission" if self.starttls else "smtp"
        credentials = ""
        if self.auth:
            user, password = next(iter(self.auth.items()))
            credentials = f"{user}:{password}@"
        return f"{scheme}://{credentials}{self.host}:{self.port}"

    # -- inside the server's thread -----------------------------------------------------------

    def _receive(self, envelope: Envelope) -> str:
        raw = envelope.original_content or b""
        with self._changed:
            if self._failures:
                return self._failures.pop(0)
            message = parse_message(raw)
            self.messages.append(
                ReceivedMessage(
                    mail_from=envelope.mail_from or "",
                    rcpt_tos=list(envelope.rcpt_tos),
                    message=message,
                    raw=raw,
                )
            )
            self._changed.notify_all()
        return "250 2.0.0 Message accepted for delivery"

    def _authenticate(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any
    ) -> AuthResult:
        if isinstance(data, LoginPassword):
            login, password = data.login.decode(), data.password.decode()
            if self.auth.get(login) == password:
                self.logins.append(login)
                return AuthResult(success=True)
        return AuthResult(success=False, handled=False)

    def _make_tls_context(self) -> ssl.SSLContext:
        assert self._cert_dir is not None
        cert, key = _self_signed_certificate(self._cert_dir)
        self.cert_path = cert
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(cert, key)
        return context


def _self_signed_certificate(folder: Path) -> tuple[Path, Path]:
    """An EC P-256 certificate for 127.0.0.1 and localhost, valid for a day."""
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "casebridge-test-smtp")])
    now = dt.datetime.now(dt.UTC)
    public = key.public_key()
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(public)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address(LOOPBACK))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(public), critical=False)
        .sign(key, hashes.SHA256())
    )
    folder.mkdir(parents=True, exist_ok=True)
    cert_path, key_path = folder / "smtp-cert.pem", folder / "smtp-key.pem"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    key_path.chmod(0o600)
    return cert_path, key_path
