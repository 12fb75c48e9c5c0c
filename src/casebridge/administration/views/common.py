"""What every settings page shares: administrators only, the settings navigation."""

from __future__ import annotations

from collections.abc import Mapping
from functools import wraps

from django import forms
from django.http import Http404, HttpResponse, HttpResponseBase
from django.shortcuts import render

from casebridge.accounts.models import Role
from casebridge.administration.sections import grouped
from casebridge.core.errors import DomainError
from casebridge.web.pages import Request, View, Wrapped, attach_errors, page, viewer


def admin_page[**P](view: View[P]) -> Wrapped[P]:
    """A settings page: it does not exist for anyone but administrators (404)."""

    @wraps(view)
    def only_admins(request: Request, /, *args: P.args, **kwargs: P.kwargs) -> HttpResponseBase:
        if not viewer(request).has_role(Role.ADMIN):
            raise Http404("No such page")
        return view(request, *args, **kwargs)

    return page(internal=True)(only_admins)


def settings_render(
    request: Request, template: str, here: str, context: Mapping[str, object], *, status: int = 200
) -> HttpResponse:
    """Render a settings page with the settings navigation, ``here`` marking the current one."""
    return render(
        request,
        template,
        {"settings_groups": grouped(), "settings_here": here, **context},
        status=status,
    )


def refused(form: forms.Form, exc: DomainError, aliases: dict[str, str] | None = None) -> None:
    attach_errors(form, exc, aliases=aliases)
