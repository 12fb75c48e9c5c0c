"""Every write to organisations: their names, mail domains and the partners that serve them."""

from __future__ import annotations

import re
from collections.abc import Sequence

from django.db import transaction
from django.utils.text import slugify

from casebridge.accounts.models import Organisation, Role, User
from casebridge.accounts.policies import require_admin
from casebridge.audit.services import audit_changes, audit_record
from casebridge.core.actors import Actor
from casebridge.core.errors import ValidationFailed

DOMAIN_RE = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,79}$")


def _clean_domains(domains: Sequence[str], errors: dict[str, str]) -> list[str]:
    cleaned = list(dict.fromkeys(d.strip().lower().lstrip("@") for d in domains if d.strip()))
    bad = [d for d in cleaned if not DOMAIN_RE.match(d)]
    if bad:
        errors["email_domains"] = f"Not a mail domain: {', '.join(bad)} (e.g. acme.example)."
    elif len(cleaned) > 50:
        errors["email_domains"] = "At most 50 domains."
    return cleaned


def organisation_for_email(address: str) -> Organisation | None:
    """The organisation whose mail domains include the address's domain, if exactly one."""
    domain = address.rpartition("@")[2].strip().lower()
    if not domain:
        return None
    found = [o for o in Organisation.objects.all() if domain in o.email_domains]
    return found[0] if len(found) == 1 else None


def _domains_taken(domains: Sequence[str], other_than: Organisation | None) -> str:
    for organisation in Organisation.objects.exclude(pk=other_than.pk if other_than else 0):
        shared = set(domains) & set(organisation.email_domains)
        if shared:
            return f"{', '.join(sorted(shared))} belongs to {organisation.name}."
    return ""


@transaction.atomic
def organisation_create(
    *, actor: Actor | None, name: str, slug: str = "", email_domains: Sequence[str] = ()
) -> Organisation:
    require_admin(actor)
    name = name.strip()
    slug = slug.strip() or slugify(name)
    errors: dict[str, str] = {}
    if not name or len(name) > 200:
        errors["name"] = "An organisation needs a name (at most 200 characters)."
    elif Organisation.objects.filter(name__iexact=name).exists():
        errors["name"] = f"An organisation named '{name}' exists."
    if not SLUG_RE.match(slug):
        errors["slug"] = "Use 1-80 lowercase letters, digits and hyphens."
    elif Organisation.objects.filter(slug=slug).exists():
        errors["slug"] = f"The slug '{slug}' is taken."
    domains = _clean_domains(email_domains, errors)
    if "email_domains" not in errors and (taken := _domains_taken(domains, None)):
        errors["email_domains"] = taken
    if errors:
        raise ValidationFailed("The organisation could not be created", fields=errors)
    organisation = Organisation.objects.create(name=name, slug=slug, email_domains=domains)
    audit_record(
        actor=actor,
        subject=organisation,
        action="created",
        data={"name": name, "email_domains": domains},
    )
    return organisation


@transaction.atomic
def organisation_update(
    *,
    actor: Actor | None,
    organisation: Organisation,
    name: str | None = None,
    email_domains: Sequence[str] | None = None,
) -> Organisation:
    """Rename an organisation or change its mail domains (the slug is its key and stays)."""
    require_admin(actor)
    errors: dict[str, str] = {}
    changes: dict[str, tuple[object, object]] = {}
    if name is not None:
        name = name.strip()
        if not name or len(name) > 200:
            errors["name"] = "An organisation needs a name (at most 200 characters)."
        elif Organisation.objects.filter(name__iexact=name).exclude(pk=organisation.pk).exists():
            errors["name"] = f"An organisation named '{name}' exists."
        else:
            changes["name"] = (organisation.name, name)
    if email_domains is not None:
        domains = _clean_domains(email_domains, errors)
        if "email_domains" not in errors and (taken := _domains_taken(domains, organisation)):
            errors["email_domains"] = taken
        changes["email_domains"] = (
            ", ".join(organisation.email_domains),
            ", ".join(domains),
        )
    if errors:
        raise ValidationFailed("The organisation was not changed", fields=errors)
    if "name" in changes:
        organisation.name = str(changes["name"][1])
    if email_domains is not None:
        organisation.email_domains = [d for d in str(changes["email_domains"][1]).split(", ") if d]
    if audit_changes(actor=actor, subject=organisation, action="updated", changes=changes):
        organisation.save(update_fields=["name", "email_domains"])
    return organisation


@transaction.atomic
def organisation_set_partners(
    *, actor: Actor | None, organisation: Organisation, partners: Sequence[User]
) -> Organisation:
    """The partner accounts that serve an organisation (open and follow cases for it)."""
    require_admin(actor)
    not_partners = [p.username for p in partners if not p.has_role(Role.PARTNER)]
    if not_partners:
        raise ValidationFailed(
            "Only partners serve organisations",
            fields={"partners": f"Not a partner: {', '.join(not_partners)}."},
        )
    before = sorted(organisation.partners.values_list("username", flat=True))
    organisation.partners.set(partners)
    after = sorted(p.username for p in partners)
    audit_changes(
        actor=actor,
        subject=organisation,
        action="updated",
        changes={"partners": (", ".join(before), ", ".join(after))},
    )
    return organisation
