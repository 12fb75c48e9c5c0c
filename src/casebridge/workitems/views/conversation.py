"""The work-item page's conversation (staff comments with @mentions) and its pull request or
branch link. Both forms post with HTMX and get their panel back; without JavaScript the page
reloads. A refused input comes back (422) with the message beside the field."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from casebridge.core.errors import DomainError
from casebridge.web.pages import Request, attach_errors, page, viewer
from casebridge.workitems.conversation import (
    COMMENT_MAX_LENGTH,
    comments_of,
    work_item_comment_add,
    work_item_link_set,
)
from casebridge.workitems.models import WorkItem
from casebridge.workitems.selectors import work_item_get_for


class CommentForm(forms.Form):
    body = forms.CharField(
        label="Comment",
        max_length=COMMENT_MAX_LENGTH,
        widget=forms.Textarea(
            attrs={"rows": 3, "placeholder": "Write to the team; @username tells that person"}
        ),
        help_text="Internal: only staff see work items and their comments.",
    )


class LinkForm(forms.Form):
    url = forms.CharField(
        label="Pull request or branch",
        required=False,
        max_length=1000,
        widget=forms.URLInput(attrs={"placeholder": "https://…", "autocomplete": "off"}),
    )


def conversation_context(
    request: Request, item: WorkItem, *, comment_form: CommentForm | None = None
) -> dict[str, object]:
    return {
        "item": item,
        "comments": list(comments_of(viewer(request), item)),
        "comment_form": comment_form or CommentForm(),
    }


def link_context(item: WorkItem, *, link_form: LinkForm | None = None) -> dict[str, object]:
    return {"item": item, "link_form": link_form or LinkForm(initial={"url": item.dev_link})}


def _back(request: Request, item: WorkItem, anchor: str, message: str) -> HttpResponse:
    messages.success(request, message)
    return redirect(reverse("workitems:detail", kwargs={"key": item.key}) + anchor)


@require_POST
@page(internal=True)
def comment_create(request: Request, key: str) -> HttpResponse:
    user = viewer(request)
    item = work_item_get_for(user, key)
    form = CommentForm(request.POST)
    status = 422
    if form.is_valid():
        try:
            work_item_comment_add(actor=user, item=item, body=form.cleaned_data["body"])
        except DomainError as exc:
            attach_errors(form, exc)
            status = exc.status
        else:
            if not request.htmx:
                return _back(request, item, "#conversation", "Comment added.")
            form, status = CommentForm(), 200
    context = conversation_context(request, item, comment_form=form)
    return render(request, "workitems/_conversation.html", context, status=status)


@require_POST
@page(internal=True)
def link_set(request: Request, key: str) -> HttpResponse:
    user = viewer(request)
    item = work_item_get_for(user, key)
    form = LinkForm(request.POST)
    status = 422
    if form.is_valid():
        try:
            work_item_link_set(actor=user, item=item, url=form.cleaned_data["url"])
        except DomainError as exc:
            attach_errors(form, exc)
            status = exc.status
        else:
            if not request.htmx:
                return _back(request, item, "#dev-link", "Link saved.")
            return render(request, "workitems/_dev_link.html", link_context(item))
    return render(
        request, "workitems/_dev_link.html", link_context(item, link_form=form), status=status
    )
