"""The front door: sign in, sign out, and home sends each person where their work is."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme

from casebridge.accounts import mfa, sso
from casebridge.accounts.models import User
from casebridge.core.text import plural


def home(request: HttpRequest) -> HttpResponse:
    """Customers and partners go to the portal; everyone else to the L2 queue."""
    user = request.user
    if not isinstance(user, User) or not user.is_authenticated:
        return redirect("login")
    return redirect("portal:home" if user.is_external else "cases:queue")


class LoginForm(AuthenticationForm):
    username = forms.CharField(
        widget=forms.TextInput(
            attrs={"autofocus": True, "autocomplete": "username", "autocapitalize": "none"}
        )
    )

    def confirm_login_allowed(self, user: Any) -> None:
        super().confirm_login_allowed(user)
        if not settings.STAFF_LOCAL_PASSWORDS and not user.is_external:
            raise forms.ValidationError(
                f"Staff sign in with {sso.provider_name()}, not a local password.",
                code="sso_only",
            )


class LoginView(auth_views.LoginView):
    """Local passwords (django-axes counts failures), a button for single sign-on when it is
    configured, and a link to reset a forgotten password by e-mail."""

    template_name = "web/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return {**super().get_context_data(**kwargs), **sso.login_context()}

    def render_to_response(self, context: dict[str, Any], **kwargs: Any) -> HttpResponse:
        return sso.allow_form_action(super().render_to_response(context, **kwargs))


class CodeForm(forms.Form):
    code = forms.CharField(
        label="Code",
        max_length=32,
        widget=forms.TextInput(
            attrs={"autofocus": True, "autocomplete": "one-time-code", "inputmode": "text"}
        ),
        help_text="The 6 digits your authenticator app shows, or one of your recovery codes.",
    )


def otp_verify(request: HttpRequest) -> HttpResponse:
    """The second step of a sign-in for someone with an authenticator enrolled."""
    user = request.user
    if not isinstance(user, User) or not user.is_authenticated:
        return redirect("login")
    target = request.GET.get("next", "")
    if not url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        target = ""
    if mfa.verified(request):
        return redirect(target or "home")
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if mfa.verify(request, user, form.cleaned_data["code"]):
            return redirect(target or "home")
        form.add_error(
            "code",
            "That code is not valid (or was used already, or came too soon after a wrong one: "
            "each wrong code doubles the wait). Try the next one.",
        )
    status = 422 if form.errors else 200
    return render(request, "web/login_verify.html", {"form": form}, status=status)


def locked_out(
    request: HttpRequest, credentials: Any = None, *args: Any, **kwargs: Any
) -> HttpResponse:
    """django-axes' answer while an account or address is locked: the sign-in page, saying so,
    429 with ``Retry-After``. The right password is refused too until the wait is over."""
    from casebridge.accounts.security import lockout_minutes

    minutes = lockout_minutes()
    message = (
        "Too many failed sign-ins for this account or from this address. Sign-in is locked for "
        f"{plural(minutes, 'minute')}; try again later, or ask an administrator to unlock it."
    )
    form = LoginForm(request, initial={"username": request.POST.get("username", "")[:150]})
    context = {"form": form, "next": "", "locked": message, **sso.login_context()}
    response = sso.allow_form_action(render(request, "web/login.html", context, status=429))
    response["Retry-After"] = str(minutes * 60)
    return response


class LogoutView(auth_views.LogoutView):
    """POST only (Django's rule): a link cannot sign anyone out."""
