"""The e-mail-in objects of the permission matrix: administrators only.

Objects: MB = a mailbox ``mb-support`` (fed by ``mail ingest`` only); FM = a stored message that
failed for good (poison); MD = the e-mail domain ``acme.example`` of Acme.
"""

# ruff: noqa: E501

from __future__ import annotations

from typing import Any

from casebridge.integrations.mailin.intake import MAX_ATTEMPTS
from casebridge.integrations.mailin.models import InboundMail, MailState
from casebridge.integrations.mailin.services import mail_domain_set, mailbox_add
from casebridge.integrations.mailin.store import mail_store
from tests import factories

STATE: dict[str, Any] = {}

# fmt: off
ROWS = """
GET    /mailboxes                               -           -                   401  403    403    403 403 403   403 403  200   401
POST   /mailboxes                               -           -                   401  403    403    403 403 403   403 403  201   401
GET    /mailboxes/{name}                        MB          -                   401  403    403    403 403 403   403 403  200   401
POST   /mailboxes/{name}/remove                 MB          -                   401  403    403    403 403 403   403 403  200   401
GET    /mail-domains                            -           -                   401  403    403    403 403 403   403 403  200   401
POST   /mail-domains                            -           -                   401  403    403    403 403 403   403 403  200   401
POST   /mail-domains/{domain}/remove            MD          -                   401  403    403    403 403 403   403 403  200   401
GET    /mail-in/messages                        -           -                   401  403    403    403 403 403   403 403  200   401
GET    /mail-in/messages/{mail_id}              FM          -                   401  403    403    403 403 403   403 403  200   401
POST   /mail-in/messages/{mail_id}/retry        FM          -                   401  403    403    403 403 403   403 403  200   401
"""
# fmt: on

BODIES: dict[tuple[str, str], dict[str, Any]] = {
    ("POST", "/mailboxes"): {"name": "pipe-only", "service": "payments"},
    ("POST", "/mailboxes/{name}/remove"): {},
    ("POST", "/mail-domains"): {"domain": "borealis.example", "organisation": "borealis"},
    ("POST", "/mail-domains/{domain}/remove"): {},
    ("POST", "/mail-in/messages/{mail_id}/retry"): {},
}


def build(world: factories.World) -> None:
    """Made once per module, inside the module's transaction."""
    STATE.clear()
    mailbox = mailbox_add(actor=None, name="mb-support", service="payments")
    mail_domain_set(actor=None, domain="acme.example", organisation="acme", enrol_senders=True)
    raw = (
        b"From: x@acme.example\r\nSubject: broken\r\nMessage-ID: <matrix@acme.example>\r\n\r\nx\r\n"
    )
    mail = mail_store(raw=raw, mailbox=mailbox, via="pipe").mail
    InboundMail.objects.filter(pk=mail.pk).update(
        state=MailState.FAILED, attempts=MAX_ATTEMPTS, error="RuntimeError: boom"
    )
    STATE.update(mailbox=mailbox.name, mail=mail.pk, domain="acme.example")


def substitute(path: str, row_obj: str) -> str:
    if row_obj == "MB":
        path = path.replace("{name}", STATE["mailbox"])
    elif row_obj == "FM":
        path = path.replace("{mail_id}", str(STATE["mail"]))
    elif row_obj == "MD":
        path = path.replace("{domain}", STATE["domain"])
    return path
