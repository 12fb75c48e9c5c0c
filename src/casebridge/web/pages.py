"""What every HTML view shares: the signed-in viewer, domain errors mapped to pages and fields.

Views stay thin: parse a form, call one service or selector, render. ``NotFound`` becomes a 404
page (an object the viewer may not see does not exist for them), ``PermissionDenied`` a 403, and
``ValidationFailed`` / ``TransitionRefused`` become messages beside the fields of the form.
"""

from __future__ import annotations

from collections.abc import Callable, MutableMapping
from functools import update_wrapper
from typing import Concatenate, ParamSpec, TypedDict, cast

from django import forms
from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.files.uploadedfile import UploadedFile
from django.http import Http404, HttpRequest, HttpResponseBase
from django.shortcuts import resolve_url
from django.utils.datastructures import MultiValueDict
from django_htmx.http import HttpResponseClientRedirect
from django_htmx.middleware import HtmxDetails

from casebridge.accounts.models import User
from casebridge.core.errors import DomainError, NotFound, PermissionDenied, TransitionRefused

P = ParamSpec("P")


class FormOptions(TypedDict, total=False):
    """What a page gives a form besides its data: the uploaded files, the prefix of its fields
    (several forms on one page), the initial values of an unbound form."""

    files: MultiValueDict[str, UploadedFile[bytes]] | None
    prefix: str | None
    initial: MutableMapping[str, object] | None


class Request(HttpRequest):
    """A request that went through ``django_htmx``'s middleware and the login check."""

    htmx: HtmxDetails


View = Callable[Concatenate[Request, P], HttpResponseBase]
Wrapped = Callable[Concatenate[HttpRequest, P], HttpResponseBase]


def viewer(request: HttpRequest) -> User:
    """The signed-in user; views are wrapped in ``page`` so there always is one."""
    user = request.user
    if not isinstance(user, User):
        raise DjangoPermissionDenied("Sign in first")
    return user


def page(*, internal: bool = False) -> Callable[[View[P]], Wrapped[P]]:
    """Require a signed-in user and map domain errors that escape the view to 404/403.

    ``internal`` pages do not exist for customers and partners: they answer 404, as any object
    the viewer may not see does.
    """

    def decorate(view: View[P]) -> Wrapped[P]:
        def wrapper(request: HttpRequest, /, *args: P.args, **kwargs: P.kwargs) -> HttpResponseBase:
            user = request.user
            if not isinstance(user, User) or not user.is_authenticated:
                if getattr(request, "htmx", False):  # a partial would land inside the page
                    return HttpResponseClientRedirect(resolve_url(settings.LOGIN_URL))
                return redirect_to_login(request.get_full_path())
            if internal and user.is_external:
                raise Http404("This page is for support staff")
            try:
                return view(cast(Request, request), *args, **kwargs)
            except NotFound as exc:
                raise Http404(exc.message) from exc
            except PermissionDenied as exc:
                raise DjangoPermissionDenied(exc.message) from exc

        update_wrapper(wrapper, view)
        return wrapper

    return decorate


def attach_errors(
    form: forms.Form, exc: DomainError, *, aliases: dict[str, str] | None = None
) -> None:
    """Put each field message of ``exc`` beside its field; the rest above the form.

    ``TransitionRefused`` lists every reason; reasons without a field of this form (wrong state,
    wrong role, data held by the case itself) become non-field errors, so nothing is hidden.
    """
    names = aliases or {}
    placed = False
    if isinstance(exc, TransitionRefused):
        for reason in exc.reasons:
            name = names.get(reason.field or "", reason.field or "")
            if name in form.fields:
                form.add_error(name, reason.message)
            else:
                form.add_error(None, reason.message)
            placed = True
    else:
        for field, message in exc.fields.items():
            name = names.get(field, field)
            form.add_error(name if name in form.fields else None, message)
            placed = True
    if not placed:
        form.add_error(None, exc.message)
