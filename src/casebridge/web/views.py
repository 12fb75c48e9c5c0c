"""The front door: sign in, sign out, and home sends each person where their work is."""

from __future__ import annotations

from django import forms
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from casebridge.accounts.models import User


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


class LogoutView(auth_views.LogoutView):
    """POST only (Django's rule): a link cannot sign anyone out."""
