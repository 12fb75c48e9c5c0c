"""The sign-in form: a user name and a password, refused for staff when local passwords are off."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm

from casebridge.accounts.models import User


class LoginForm(AuthenticationForm):
    username = forms.CharField(
        widget=forms.TextInput(
            attrs={"autofocus": True, "autocomplete": "username", "autocapitalize": "none"}
        )
    )

    def confirm_login_allowed(self, user: User) -> None:
        super().confirm_login_allowed(user)
        if not settings.STAFF_LOCAL_PASSWORDS and not user.is_external:
            provider = getattr(settings, "OIDC_NAME", "") or "single sign-on"
            raise forms.ValidationError(
                f"Staff sign in with {provider}, not a local password.",
                code="sso_only",
            )
