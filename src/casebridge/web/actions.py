"""What a page shows of a workflow's actions: the ones the viewer can take now (a button, or a
small form of the transition's input), the others with the reasons they are not available, and
a refused attempt with every reason. Work-item pages and incident rooms share these, and the
view that applies one action (``act``)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from django import forms
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect

from casebridge.core.errors import DomainError, TransitionRefused
from casebridge.web.pages import Request, attach_errors


@dataclass(frozen=True)
class ActionView:
    action: str
    label: str
    style: str
    description: str
    form: forms.Form
    open: bool

    @property
    def kind(self) -> str:
        return "form" if self.form.fields else "button"


@dataclass(frozen=True)
class Unavailable:
    action: str
    label: str
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class Refusal:
    action: str
    label: str
    reasons: tuple[str, ...]


class Rerender[S](Protocol):
    """Render the subject's page again, with the refused action's form and reasons."""

    def __call__(
        self,
        request: Request,
        subject: S,
        /,
        *,
        status: int,
        bound: dict[str, forms.Form],
        refusal: Refusal,
        opened: str,
    ) -> HttpResponse: ...


def act[S](
    request: Request,
    *,
    subject: S,
    action: str,
    label: str,
    form: forms.Form,
    apply: Callable[[], S],
    rerender: Rerender[S],
    done: Callable[[S], tuple[str, str]],
) -> HttpResponse:
    """Apply one workflow action from a page. The form only parses (the workflow decides); a
    refusal renders the page again with every reason beside the fields and above them, a success
    redirects to ``done``'s URL with its message."""
    form.is_valid()
    try:
        result = apply()
    except DomainError as exc:
        attach_errors(form, exc)
        reasons = (
            tuple(r.message for r in exc.reasons)
            if isinstance(exc, TransitionRefused)
            else (exc.message,)
        )
        return rerender(
            request,
            subject,
            status=exc.status,
            bound={action: form},
            refusal=Refusal(action, label, reasons),
            opened=action,
        )
    message, url = done(result)
    messages.success(request, message)
    return redirect(url)
