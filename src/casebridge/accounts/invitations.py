"""Invitations: an administrator invites a person (a customer user, typically) by e-mail with a
link to choose their password; the link works once (Django's password-reset tokens: it stops
working when the password changes or the person signs in) and for ``PASSWORD_RESET_TIMEOUT``.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.db import transaction
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from casebridge.accounts.models import Role, User
from casebridge.audit.services import audit_record
from casebridge.core.actors import Actor
from casebridge.core.errors import NotFound, PermissionDenied, ValidationFailed
from casebridge.integrations.mail.outgoing import mail_enqueue, standalone_message_id


def set_password_link(user: User) -> str:
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    path = reverse("set_password", kwargs={"uidb64": uid, "token": token})
    return f"{settings.BASE_URL}{path}"


def user_for_invitation(actor: Actor | None, username: str) -> User:
    if actor is not None and not actor.has_role(Role.ADMIN):
        raise PermissionDenied("Only an administrator may invite people")
    user = User.objects.select_related("organisation").filter(username=username.strip()).first()
    if user is None:
        raise NotFound(f"No user {username}")
    return user


@transaction.atomic
def user_invite(*, actor: Actor | None, user: User) -> str:
    """E-mail ``user`` a link to choose their password; returns the address it goes to."""
    if actor is not None and not actor.has_role(Role.ADMIN):
        raise PermissionDenied("Only an administrator may invite people")
    if not user.is_active:
        raise ValidationFailed(
            "The user cannot be invited", fields={"user": "This account is deactivated."}
        )
    if not user.email:
        raise ValidationFailed(
            "The user cannot be invited", fields={"email": "Give the user an e-mail address."}
        )
    days = max(1, settings.PASSWORD_RESET_TIMEOUT // 86400)
    inviter = actor.display_name if actor is not None else "Casebridge"
    mail_enqueue(
        to=user.email,
        subject="You are invited to Casebridge",
        template="invitation",
        context={
            "recipient_name": user.display_name,
            "inviter": inviter,
            "organisation": user.organisation.name if user.organisation else "",
            "link": set_password_link(user),
            "valid_days": days,
            "username": user.username,
        },
        message_id=standalone_message_id("invitation", f"{user.pk}.{uuid.uuid4().hex}"),
        automatic=False,
    )
    audit_record(actor=actor, subject=user, action="invited", field="email", new=user.email)
    return user.email
