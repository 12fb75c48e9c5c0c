"""Every write of e-mail in's settings: mailboxes, organisations' e-mail domains, and the retry
of a failed message. ``actor=None`` is the operator at the server's shell (the CLI); anyone
else must be an administrator. A password is sealed at rest (``core.secrets``), never logged,
and never shown again: only its hint."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from django.db import transaction
from django.utils.text import slugify

from casebridge.accounts.models import Organisation, Role
from casebridge.audit.services import audit_record
from casebridge.catalog.models import Environment, Service
from casebridge.core import clock
from casebridge.core.actors import Actor
from casebridge.core.errors import Conflict, PermissionDenied, ValidationFailed
from casebridge.integrations.mailin.models import (
    InboundMail,
    Mailbox,
    MailDomain,
    MailState,
)

CONTROL = re.compile(r"[\x00-\x1f\x7f]")
DOMAIN = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")


def require_admin(actor: Actor | None, what: str) -> None:
    if actor is not None and not actor.has_role(Role.ADMIN):
        raise PermissionDenied(f"Only an administrator manages {what}")


@dataclass(frozen=True)
class ImapTarget:
    tls: bool
    host: str
    port: int
    username: str
    password: str
    folder: str


def parse_imap_url(url: str) -> ImapTarget:
    """``imaps://user@host[:port][/FOLDER]`` (or ``imap://`` without TLS). A password in the URL
    is taken but better given apart (it would stay in a shell's history)."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as exc:
        raise ValidationFailed("Not an IMAP URL", fields={"imap_url": str(exc)}) from exc
    if parts.scheme not in ("imap", "imaps"):
        raise ValidationFailed(
            "Not an IMAP URL", fields={"imap_url": "Use imaps://user@host/INBOX (or imap://)."}
        )
    if not parts.hostname or not parts.username:
        raise ValidationFailed(
            "Not an IMAP URL", fields={"imap_url": "Give the user and host: imaps://user@host."}
        )
    tls = parts.scheme == "imaps"
    return ImapTarget(
        tls=tls,
        host=parts.hostname,
        port=port or (993 if tls else 143),
        username=unquote(parts.username),
        password=unquote(parts.password or ""),
        folder=unquote(parts.path.lstrip("/")),
    )


def _control_characters(**values: str) -> dict[str, str]:
    return {
        name: "Remove the control characters."
        for name, value in values.items()
        if CONTROL.search(value)
    }


def _organisation(slug: str) -> Organisation | None:
    if not slug:
        return None
    found = Organisation.objects.filter(slug=slug).first()
    if found is None:
        raise ValidationFailed(
            "Unknown organisation", fields={"organisation": f"No organisation '{slug}'."}
        )
    return found


def _service(slug: str) -> Service:
    found = (
        Service.objects.filter(slug=slug).first()
        if slug
        else Service.objects.order_by("id").first()
    )
    if found is None:
        raise ValidationFailed(
            "Unknown service",
            fields={"service": f"No service '{slug}'." if slug else "Create a service first."},
        )
    return found


@transaction.atomic
def mailbox_add(
    *,
    actor: Actor | None,
    name: str,
    imap_url: str = "",
    password: str = "",
    folder: str = "",
    processed_folder: str = "",
    organisation: str = "",
    service: str = "",
    environment: str = Environment.PRODUCTION,
) -> Mailbox:
    """Add a mailbox. Without ``imap_url`` it is fed by ``casebridge mail ingest`` only."""
    require_admin(actor, "mailboxes")
    errors = _control_characters(
        imap_url=imap_url,
        folder=folder,
        processed_folder=processed_folder,
        organisation=organisation,
        service=service,
    )
    if errors:
        raise ValidationFailed("The mailbox could not be added", fields=errors)
    if not name or len(name) > 64 or name != slugify(name):
        errors["name"] = "Use 1-64 lowercase letters, digits and hyphens."
    elif Mailbox.objects.filter(name=name).exists():
        errors["name"] = f"There is already a mailbox '{name}'."
    if environment not in Environment.values:
        errors["environment"] = f"Use one of {', '.join(Environment.values)}."
    target = parse_imap_url(imap_url) if imap_url.strip() else None
    secret = password or (target.password if target else "")
    if target is not None and not secret:
        errors["password"] = "Give the IMAP password (CASEBRIDGE_IMAP_PASSWORD)."  # noqa: S105
    folder = folder.strip() or (target.folder if target else "") or "INBOX"
    if len(folder) > 255 or len(processed_folder) > 255:
        errors["folder"] = "Keep folder names under 255 characters."
    if processed_folder and processed_folder == folder:
        errors["processed_folder"] = "Use a folder other than the one read."
    org = _organisation(organisation)
    svc = _service(service)
    if errors:
        raise ValidationFailed("The mailbox could not be added", fields=errors)
    mailbox = Mailbox.objects.create(
        name=name,
        host=target.host if target else "",
        port=target.port if target else 993,
        tls=target.tls if target else True,
        username=target.username if target else "",
        password=secret if target else "",
        folder=folder,
        processed_folder=processed_folder.strip(),
        organisation=org,
        service=svc,
        environment=environment,
        created_at=clock.now(),
    )
    audit_record(
        actor=actor,
        subject=mailbox,
        action="created",
        data={"imap_url": mailbox.imap_url, "organisation": organisation, "service": svc.slug},
    )
    return mailbox


@transaction.atomic
def mailbox_remove(*, actor: Actor | None, mailbox: Mailbox) -> None:
    """Remove a mailbox; the messages it stored stay (without their mailbox)."""
    require_admin(actor, "mailboxes")
    audit_record(actor=actor, subject=mailbox, action="removed", data={"name": mailbox.name})
    mailbox.delete()


@transaction.atomic
def mail_domain_set(
    *, actor: Actor | None, domain: str, organisation: str, enrol_senders: bool
) -> MailDomain:
    """Say which organisation an e-mail domain belongs to, and whether mail from an unknown
    address of it opens a case for a new reporter of the organisation."""
    require_admin(actor, "e-mail domains")
    errors = _control_characters(organisation=organisation)
    if errors:
        raise ValidationFailed("Unknown organisation", fields=errors)
    domain = domain.strip().lower().lstrip("@")
    if not DOMAIN.match(domain):
        raise ValidationFailed(
            "Not a domain", fields={"domain": "Give a domain like acme.example."}
        )
    org = _organisation(organisation)
    if org is None:
        raise ValidationFailed(
            "Unknown organisation", fields={"organisation": "Name the organisation."}
        )
    found = MailDomain.objects.select_for_update().filter(domain=domain).first()
    if found is None:
        found = MailDomain.objects.create(
            domain=domain, organisation=org, enrol_senders=enrol_senders, created_at=clock.now()
        )
    elif (found.organisation_id, found.enrol_senders) == (org.pk, enrol_senders):
        return found
    else:
        found.organisation, found.enrol_senders = org, enrol_senders
        found.save(update_fields=["organisation", "enrol_senders"])
    audit_record(
        actor=actor,
        subject=found,
        action="set",
        data={"domain": domain, "organisation": org.slug, "enrol_senders": enrol_senders},
    )
    return found


@transaction.atomic
def mail_domain_remove(*, actor: Actor | None, domain: MailDomain) -> None:
    require_admin(actor, "e-mail domains")
    audit_record(actor=actor, subject=domain, action="removed", data={"domain": domain.domain})
    domain.delete()


@transaction.atomic
def mail_retry(*, actor: Actor | None, mail: InboundMail) -> InboundMail:
    """Put a failed message back in the queue now, with a fresh count of attempts."""
    require_admin(actor, "e-mail in")
    mail = InboundMail.objects.select_for_update().get(pk=mail.pk)
    if mail.state != MailState.FAILED:
        raise Conflict(
            "Only a failed message can be retried",
            fields={"mail": f"Message {mail.pk} is {mail.get_state_display().lower()}."},
        )
    mail.state = MailState.PENDING
    mail.attempts = 0
    mail.available_at = clock.now()
    mail.save(update_fields=["state", "attempts", "available_at"])
    audit_record(
        actor=actor,
        subject=mail,
        action="retried",
        data={"mail": mail.pk, "error": mail.error[:500]},
    )
    return mail
