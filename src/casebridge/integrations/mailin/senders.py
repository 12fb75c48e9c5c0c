"""Who wrote an e-mail: the active user with the sender's address, or a new reporter enrolled for
an organisation whose domain enrols senders (``MailDomain``), and whether they may see a case."""

from __future__ import annotations

import structlog

from casebridge.accounts.models import Organisation, Role, User
from casebridge.accounts.services import user_create
from casebridge.cases.models import Case
from casebridge.cases.selectors import case_visible_to
from casebridge.integrations.mailin.models import MailDomain
from casebridge.integrations.mailin.parsing import ParsedMail

log = structlog.get_logger("casebridge.mailin")


def known_sender(address: str) -> User | None:
    if not address:
        return None
    return (
        User.objects.filter(email__iexact=address, is_active=True)
        .select_related("organisation")
        .prefetch_related("role_grants")
        .order_by("id")
        .first()
    )


def _enrolling_domain(address: str, organisation: Organisation | None) -> MailDomain | None:
    domain = address.rpartition("@")[2].lower()
    if not domain:
        return None
    found = MailDomain.objects.filter(domain=domain, enrol_senders=True).select_related(
        "organisation"
    )
    if organisation is not None:
        found = found.filter(organisation=organisation)
    return found.first()


def _free_username(address: str) -> str:
    base = address[:140]
    name, n = base, 1
    while User.objects.filter(username__iexact=name).exists():
        n += 1
        name = f"{base}-{n}"
    return name


def enrol(parsed: ParsedMail, organisation: Organisation | None) -> User | None:
    """A new reporter for an unknown sender of an organisation's enrolling domain, or None."""
    domain = _enrolling_domain(parsed.sender, organisation)
    if domain is None:
        return None
    first, _, last = parsed.sender_name.partition(" ")
    user = user_create(
        actor=None,
        username=_free_username(parsed.sender),
        email=parsed.sender,
        roles=[Role.REPORTER],
        organisation=domain.organisation,
        first_name=first[:150],
        last_name=last[:150],
    )
    log.info("mail_sender_enrolled", user=user.pk, organisation=domain.organisation.slug)
    return User.objects.prefetch_related("role_grants").get(pk=user.pk)


def may_see(user: User, case: Case) -> bool:
    return case_visible_to(user, case)
