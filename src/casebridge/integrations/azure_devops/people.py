"""Who did it: the Casebridge user behind an Azure DevOps identity, and the connection's own
service account (whose changes are Casebridge's)."""

from __future__ import annotations

from casebridge.accounts.models import User
from casebridge.integrations.azure_devops.models import WorkItemLink
from casebridge.integrations.azure_devops.wire import Identity


def person(identity: Identity | None) -> User | None:
    """The active Casebridge user behind an Azure DevOps identity (by e-mail, else user name)."""
    if identity is None or not identity.unique_name:
        return None
    name = identity.unique_name.strip()
    users = User.objects.prefetch_related("role_grants").filter(is_active=True)
    return users.filter(email__iexact=name).first() or users.filter(username__iexact=name).first()


def is_service_account(link: WorkItemLink, identity: Identity | None) -> bool:
    account = link.connection.service_account.strip().lower()
    return bool(identity and account and identity.unique_name.strip().lower() == account)
