"""The front door: sign in, sign out, and home sends each person where their work is."""

from __future__ import annotations

from django import forms
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET

from casebridge.accounts.models import Role, User
from casebridge.web.pages import Request, page, viewer
from casebridge.web.search import key_url, search_for

#: Where each role works, in the order a person with several roles is sent (the first match).
HOMES: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    (Role.L2_ENGINEER, "cases:queue", ()),
    (Role.RTE, "workitems:queue", ("triage",)),
    (Role.PRODUCT_MANAGER, "workitems:queue", ("decisions",)),
    (Role.DEVELOPER, "workitems:queue", ("mine",)),
    (Role.DEVOPS, "workitems:queue", ("devops",)),
    (Role.QA, "workitems:queue", ("testing",)),
    (Role.L1_AGENT, "cases:new", ()),
    (Role.ADMIN, "administration:index", ()),
)


def home_url(user: User) -> str:
    """Customers and partners: the portal; staff: the page of their first role in ``HOMES``."""
    if user.is_external:
        return reverse("portal:home")
    for role, name, args in HOMES:
        if user.has_role(role):
            return reverse(name, args=args)
    return reverse("cases:queue")


def home(request: HttpRequest) -> HttpResponse:
    """Each person lands where their work is (PRODUCT §10: a home per role)."""
    user = request.user
    if not isinstance(user, User) or not user.is_authenticated:
        return redirect("login")
    return redirect(home_url(user))


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


@require_GET
@page()
def search(request: Request) -> HttpResponse:
    """``?q=CB-12`` opens the case; ``?q=words`` lists what the viewer may see, best first."""
    user = viewer(request)
    text = request.GET.get("q", "")[:200]
    target = key_url(user, text)
    if target:
        return redirect(target)
    hits = search_for(user, text)
    return render(request, "web/search.html", {"q": text, "hits": hits})
