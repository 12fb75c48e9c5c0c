"""Reads of e-mail in: mailboxes with their counts, stored messages. Administrators only."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet

from casebridge.core.actors import Actor
from casebridge.core.errors import NotFound
from casebridge.integrations.mailin.intake import MAX_ATTEMPTS
from casebridge.integrations.mailin.models import InboundMail, Mailbox, MailDomain, MailState
from casebridge.integrations.mailin.services import require_admin

LIST_FIELDS = (
    "id",
    "mailbox__name",
    "message_id",
    "sender",
    "subject",
    "size",
    "via",
    "received_at",
    "state",
    "outcome",
    "case__key",
    "attempts",
    "available_at",
    "processed_at",
    "error",
)


def mailbox_list_for(viewer: Actor | None) -> QuerySet[Mailbox]:
    require_admin(viewer, "mailboxes")
    return (
        Mailbox.objects.select_related("organisation", "service")
        .annotate(
            pending=Count("messages", filter=Q(messages__state=MailState.PENDING)),
            failed=Count("messages", filter=Q(messages__state=MailState.FAILED)),
        )
        .order_by("name")
    )


def mailbox_get_for(viewer: Actor | None, name: str) -> Mailbox:
    found = mailbox_list_for(viewer).filter(name=name).first()
    if found is None:
        raise NotFound(f"No mailbox '{name}'", fields={"mailbox": f"No mailbox '{name}'."})
    return found


def mail_domain_list_for(viewer: Actor | None) -> QuerySet[MailDomain]:
    require_admin(viewer, "e-mail domains")
    return MailDomain.objects.select_related("organisation").order_by("domain")


def mail_domain_get_for(viewer: Actor | None, domain: str) -> MailDomain:
    found = mail_domain_list_for(viewer).filter(domain=domain.strip().lower()).first()
    if found is None:
        raise NotFound(f"No e-mail domain '{domain}'", fields={"domain": f"No domain '{domain}'."})
    return found


def mail_list_for(
    viewer: Actor | None, *, state: str = "", mailbox: str = "", limit: int = 100
) -> QuerySet[InboundMail]:
    """Stored messages, newest first, without their bytes."""
    require_admin(viewer, "e-mail in")
    found = InboundMail.objects.select_related("mailbox", "case").defer("raw").order_by("-id")
    if state:
        found = found.filter(state=state)
    if mailbox:
        found = found.filter(mailbox__name=mailbox)
    return found[: max(1, min(limit, 1000))]


def mail_get_for(viewer: Actor | None, mail_id: int) -> InboundMail:
    require_admin(viewer, "e-mail in")
    found = (
        InboundMail.objects.select_related("mailbox", "case")
        .defer("raw")
        .filter(pk=mail_id)
        .first()
    )
    if found is None:
        raise NotFound(f"No stored message {mail_id}", fields={"mail": f"No message {mail_id}."})
    return found


def is_poison(mail: InboundMail) -> bool:
    """Failed as often as it may: it waits for an administrator's retry."""
    return mail.state == MailState.FAILED and mail.attempts >= MAX_ATTEMPTS


@dataclass(frozen=True)
class MailCounts:
    pending: int
    failed: int
    poison: int
    done: int
    ignored: int


def mail_counts_for(viewer: Actor | None) -> MailCounts:
    require_admin(viewer, "e-mail in")
    counts = InboundMail.objects.aggregate(
        pending=Count("id", filter=Q(state=MailState.PENDING)),
        failed=Count("id", filter=Q(state=MailState.FAILED)),
        poison=Count("id", filter=Q(state=MailState.FAILED, attempts__gte=MAX_ATTEMPTS)),
        done=Count("id", filter=Q(state=MailState.DONE)),
        ignored=Count("id", filter=Q(state=MailState.IGNORED)),
    )
    return MailCounts(**counts)
