"""The front door: sign in, sign out, and home sends each person where their work is."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

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


class LoginView(auth_views.LoginView):
    template_name = "web/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True


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
    context = {"form": form, "next": "", "locked": message}
    response = render(request, "web/login.html", context, status=429)
    response["Retry-After"] = str(minutes * 60)
    return response


class LogoutView(auth_views.LogoutView):
    """POST only (Django's rule): a link cannot sign anyone out."""
