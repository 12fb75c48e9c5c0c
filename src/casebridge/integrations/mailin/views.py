"""/settings/mailboxes/: the mailboxes, the organisations' e-mail domains, and the stored
messages by state (failed ones first, poison ones marked) with their retry. Administrators only:
anyone else gets 404."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from casebridge.core.errors import DomainError
from casebridge.integrations.mailin import selectors, services
from casebridge.integrations.mailin.models import MailState
from casebridge.integrations.views import admin_page
from casebridge.web.pages import Request, viewer

STATES = [
    (MailState.FAILED, "Failed"),
    (MailState.PENDING, "Waiting"),
    (MailState.DONE, "Processed"),
    (MailState.IGNORED, "Ignored"),
]
PAGE_ROWS = 200


def _context(request: Request) -> dict[str, object]:
    user = viewer(request)
    state = request.GET.get("state", MailState.FAILED)
    if state not in MailState.values:
        state = MailState.FAILED
    counts = selectors.mail_counts_for(user)
    rows = list(selectors.mail_list_for(user, state=state, limit=PAGE_ROWS + 1))
    return {
        "mailboxes": list(selectors.mailbox_list_for(user)),
        "domains": list(selectors.mail_domain_list_for(user)),
        "state": state,
        "states": [(value, label, getattr(counts, value)) for value, label in STATES],
        "counts": counts,
        "rows": [(m, selectors.is_poison(m)) for m in rows[:PAGE_ROWS]],
        "more": len(rows) > PAGE_ROWS,
    }


@require_GET
@admin_page
def mailboxes_page(request: Request) -> HttpResponse:
    return render(request, "mailin/mailboxes.html", _context(request))


@require_POST
@admin_page
def mail_retry_view(request: Request, mail_id: int) -> HttpResponse:
    user = viewer(request)
    try:
        mail = selectors.mail_get_for(user, mail_id)
        services.mail_retry(actor=user, mail=mail)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"Message {mail_id} will be processed again.")
    return redirect("mailin:mailboxes")
