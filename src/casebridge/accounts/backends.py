from __future__ import annotations

from django.contrib.auth.backends import ModelBackend

from casebridge.accounts.models import User


class RolesBackend(ModelBackend):
    """Session login that loads the user's roles with the user, in one round trip."""

    def get_user(self, user_id: int | str) -> User | None:
        user = User.objects.prefetch_related("role_grants").filter(pk=user_id).first()
        return user if user is not None and self.user_can_authenticate(user) else None
