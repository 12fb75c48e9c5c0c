"""/api/v1/mailboxes, /api/v1/mail-domains and /api/v1/mail-in (stored messages: failed ones
and their retry). Administrators only: others get 403."""

from __future__ import annotations

from ninja import Query, Router, Status

from casebridge.core.http import ApiRequest
from casebridge.core.schemas import ERRORS, WRITE_ERRORS, Id
from casebridge.integrations.mailin import selectors, services
from casebridge.integrations.mailin.schemas import (
    MailboxIn,
    MailboxOut,
    MailDomainIn,
    MailDomainOut,
    MailOut,
    MailQuery,
    MailRemovedOut,
)

mailboxes_router = Router(tags=["e-mail in"])
domains_router = Router(tags=["e-mail in"])
mail_router = Router(tags=["e-mail in"])


@mailboxes_router.get("", response={200: list[MailboxOut], **ERRORS}, summary="Mailboxes")
def list_mailboxes(request: ApiRequest) -> list[MailboxOut]:
    return [MailboxOut.of(m) for m in selectors.mailbox_list_for(request.auth)]


@mailboxes_router.post(
    "",
    response={201: MailboxOut, **WRITE_ERRORS},
    summary="Add a mailbox (its password is sealed and never shown again)",
)
def add_mailbox(request: ApiRequest, body: MailboxIn) -> Status[MailboxOut]:
    mailbox = services.mailbox_add(actor=request.auth, **body.dict())
    return Status(201, MailboxOut.of(selectors.mailbox_get_for(request.auth, mailbox.name)))


@mailboxes_router.get("/{name}", response={200: MailboxOut, **ERRORS}, summary="One mailbox")
def get_mailbox(request: ApiRequest, name: str) -> MailboxOut:
    return MailboxOut.of(selectors.mailbox_get_for(request.auth, name))


@mailboxes_router.post(
    "/{name}/remove",
    response={200: MailRemovedOut, **WRITE_ERRORS},
    summary="Remove a mailbox (the messages it stored stay)",
)
def remove_mailbox(request: ApiRequest, name: str) -> MailRemovedOut:
    mailbox = selectors.mailbox_get_for(request.auth, name)
    services.mailbox_remove(actor=request.auth, mailbox=mailbox)
    return MailRemovedOut(removed=name)


@domains_router.get("", response={200: list[MailDomainOut], **ERRORS}, summary="E-mail domains")
def list_domains(request: ApiRequest) -> list[MailDomainOut]:
    return [MailDomainOut.of(d) for d in selectors.mail_domain_list_for(request.auth)]


@domains_router.post(
    "",
    response={200: MailDomainOut, **WRITE_ERRORS},
    summary="Give an e-mail domain to an organisation (and say whether it enrols senders)",
)
def set_domain(request: ApiRequest, body: MailDomainIn) -> MailDomainOut:
    domain = services.mail_domain_set(actor=request.auth, **body.dict())
    return MailDomainOut.of(selectors.mail_domain_get_for(request.auth, domain.domain))


@domains_router.post(
    "/{domain}/remove", response={200: MailRemovedOut, **WRITE_ERRORS}, summary="Forget a domain"
)
def remove_domain(request: ApiRequest, domain: str) -> MailRemovedOut:
    found = selectors.mail_domain_get_for(request.auth, domain)
    services.mail_domain_remove(actor=request.auth, domain=found)
    return MailRemovedOut(removed=found.domain)


@mail_router.get(
    "/messages", response={200: list[MailOut], **ERRORS}, summary="Stored messages, newest first"
)
def list_mail(request: ApiRequest, query: Query[MailQuery]) -> list[MailOut]:
    poison = query.state == "poison"
    mails = selectors.mail_list_for(
        request.auth,
        state="failed" if poison else query.state,
        mailbox=query.mailbox,
        limit=query.limit,
    )
    return [MailOut.of(m) for m in mails if not poison or selectors.is_poison(m)]


@mail_router.get("/messages/{mail_id}", response={200: MailOut, **ERRORS}, summary="One message")
def get_mail(request: ApiRequest, mail_id: Id) -> MailOut:
    return MailOut.of(selectors.mail_get_for(request.auth, mail_id))


@mail_router.post(
    "/messages/{mail_id}/retry",
    response={200: MailOut, **WRITE_ERRORS},
    summary="Process a failed message again now",
)
def retry_mail(request: ApiRequest, mail_id: Id) -> MailOut:
    mail = selectors.mail_get_for(request.auth, mail_id)
    services.mail_retry(actor=request.auth, mail=mail)
    return MailOut.of(selectors.mail_get_for(request.auth, mail_id))
