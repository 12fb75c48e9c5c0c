"""The front door: sign in, sign out, and home sends each person where their work is."""

from __future__ import annotations

from django import forms
from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET

from casebridge.accounts import mfa, sso
from casebridge.accounts.forms import LoginForm
from casebridge.accounts.models import Role, User
from casebridge.accounts.security import lockout_minutes
from casebridge.core.text import plural
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


class LoginView(auth_views.LoginView):
    """Local passwords (django-axes counts failures), a button for single sign-on when it is
    configured, and a link to reset a forgotten password by e-mail."""

    template_name = "web/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs: object) -> dict[str, object]:
        return {**super().get_context_data(**kwargs), **sso.login_context()}

    def render_to_response(self, context: dict[str, object], **kwargs: object) -> HttpResponse:
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
    request: HttpRequest, credentials: object = None, *args: object, **kwargs: object
) -> HttpResponse:
    """django-axes' answer while an account or address is locked: the sign-in page, saying so,
    429 with ``Retry-After``. The right password is refused too until the wait is over."""
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
