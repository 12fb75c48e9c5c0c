"""The SMTP fixture: a real aiosmtpd server that Django's SMTP backend talks to."""

from __future__ import annotations

import smtplib
import ssl
from typing import Any

import pytest
from django.core import mail
from django.core.mail import EmailMessage, EmailMultiAlternatives, send_mail

from tests.servers._support import port_open
from tests.servers.smtp import SmtpServer


def _use(settings: Any, server: SmtpServer) -> None:
    settings.MAILERS = {"default": server.mailer}  # Django 6.1's e-mail configuration


def test_django_smtp_backend_delivers_text_html_and_envelope(
    smtp_server: SmtpServer, settings: Any
) -> None:
    _use(settings, smtp_server)
    message = EmailMultiAlternatives(
        subject="[CB-12] Your case was received",
        body="We received your case.\n",
        from_email="support@casebridge.example",
        to=["alice@acme.example", "ops@acme.example"],
        bcc=["audit@casebridge.example"],
        headers={"Auto-Submitted": "auto-generated"},
    )
    message.attach_alternative("<p>We received your case.</p>", "text/html")
    message.send()

    [received] = smtp_server.wait_for(1)
    assert received.mail_from == "support@casebridge.example"
    assert received.rcpt_tos == [
        "alice@acme.example",
        "ops@acme.example",
        "audit@casebridge.example",
    ]
    assert received["Subject"] == "[CB-12] Your case was received"
    assert received["Auto-Submitted"] == "auto-generated"
    assert received["Bcc"] is None  # only in the envelope
    assert received["Message-ID"].startswith("<")
    assert received.text == "We received your case.\n"
    assert received.html == "<p>We received your case.</p>\n"


def test_waiting_counts_messages_and_times_out_clearly(
    smtp_server: SmtpServer, settings: Any
) -> None:
    _use(settings, smtp_server)
    mailer = mail.mailers.default  # one SMTP session, three messages
    sent = mailer.send_messages(
        [EmailMessage(f"n{n}", "body", "a@x.example", ["b@x.example"]) for n in range(3)]
    )
    assert sent == 3
    assert [m["Subject"] for m in smtp_server.wait_for(3)] == ["n0", "n1", "n2"]
    with pytest.raises(TimeoutError, match="expected 4 message"):
        smtp_server.wait_for(4, timeout=0.2)
    smtp_server.clear()
    assert smtp_server.messages == []


def test_fail_next_refuses_then_accepts(smtp_server: SmtpServer, settings: Any) -> None:
    _use(settings, smtp_server)
    smtp_server.fail_next(1, "451 4.3.0 Mailbox busy")
    with pytest.raises(smtplib.SMTPDataError) as refused:
        send_mail("first", "body", "a@x.example", ["b@x.example"])
    assert refused.value.smtp_code == 451
    send_mail("second", "body", "a@x.example", ["b@x.example"])
    assert [m["Subject"] for m in smtp_server.wait_for(1)] == ["second"]


@pytest.mark.smtp_server(auth={"mailer": "s3cret-pass"}, starttls=True)
def test_starttls_and_auth_through_django(
    smtp_server: SmtpServer, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert smtp_server.cert_path is not None
    monkeypatch.setenv("SSL_CERT_FILE", str(smtp_server.cert_path))  # trust the test certificate
    _use(settings, smtp_server)
    assert settings.MAILERS["default"]["OPTIONS"]["use_tls"] is True

    send_mail("secured", "body", "a@x.example", ["b@x.example"])
    assert smtp_server.wait_for(1)[0]["Subject"] == "secured"
    assert smtp_server.logins == ["mailer"]

    # No AUTH before STARTTLS; a wrong password is refused after it.
    with smtplib.SMTP(smtp_server.host, smtp_server.port, timeout=5) as client:
        client.ehlo()
        assert not client.has_extn("auth") and client.has_extn("starttls")
        client.starttls(context=ssl.create_default_context(cafile=smtp_server.cert_path))
        client.ehlo()
        assert client.has_extn("auth")
        with pytest.raises(smtplib.SMTPAuthenticationError):
            client.login("mailer", "wrong")


def test_stop_closes_the_port_even_with_a_client_connected() -> None:
    with SmtpServer() as server:
        client = smtplib.SMTP(server.host, server.port, timeout=5)
        client.ehlo()
        port = server.port
    assert not port_open(port)
    client.close()
