"""Settings pages of the escalation gate and of the policies (ladder 1-8, recurring issues,
case auto-close)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_http_methods

from casebridge.administration.forms import AutoCloseForm, GateForm, LadderForm, RecurringForm
from casebridge.administration.views.common import admin_page, refused, settings_render
from casebridge.cases.services import case_auto_close_days, case_policy_set
from casebridge.core.errors import DomainError
from casebridge.occurrences.recurring import recurring_policy
from casebridge.occurrences.recurring.policy import recurring_policy_set
from casebridge.web.pages import Request, viewer
from casebridge.workitems.documentation import requirements_for
from casebridge.workitems.models import Category, PolicyCode
from casebridge.workitems.policies import setting
from casebridge.workitems.services import escalation_requirements_set, ladder_policy_set


@require_http_methods(["GET", "POST"])
@admin_page
def gate(request: Request) -> HttpResponse:
    posted = request.POST.get("category", "") if request.method == "POST" else ""
    forms: list[tuple[str, str, GateForm]] = []
    failed = False
    for category, label in Category.choices:
        initial = {"required": [item.code for item in requirements_for(category)]}
        form = GateForm(
            request.POST if posted == category else None, initial=initial, prefix=category
        )
        if posted == category and form.is_valid():
            try:
                escalation_requirements_set(
                    actor=viewer(request),
                    category=category,
                    required=form.cleaned_data["required"],
                )
            except DomainError as exc:
                refused(form, exc)
                failed = True
            else:
                messages.success(request, f"Escalation gate of {label.lower()} saved.")
                return redirect("administration:gate")
        failed = failed or bool(form.errors)
        forms.append((category, label, form))
    return settings_render(
        request,
        "administration/gate.html",
        "gate",
        {"forms": forms},
        status=422 if failed else 200,
    )


def _policy_forms(request: Request, posted: str) -> list[tuple[PolicyCode, LadderForm]]:
    rows = []
    for code in PolicyCode:
        current = setting(code)
        initial = {"enabled": current.enabled, "min_level": str(current.level)}
        data = request.POST if posted == code.value else None
        rows.append((code, LadderForm(data, initial=initial, prefix=code.value)))
    return rows


@require_http_methods(["GET", "POST"])
@admin_page
def policies(request: Request) -> HttpResponse:
    admin = viewer(request)
    posted = request.POST.get("policy", "") if request.method == "POST" else ""
    ladder = _policy_forms(request, posted)
    current = recurring_policy()
    recurring = RecurringForm(
        request.POST if posted == "recurring" else None,
        initial={
            "min_cases": current.min_cases,
            "window_days": current.window_days,
            "near_duplicate_score": current.near_duplicate_score,
        },
    )
    auto_close = AutoCloseForm(
        request.POST if posted == "auto_close" else None,
        initial={"auto_close_days": case_auto_close_days()},
    )
    named: dict[str, forms.Form] = {"recurring": recurring, "auto_close": auto_close}
    bound = named.get(posted) or next((form for code, form in ladder if code.value == posted), None)
    if bound is not None and bound.is_valid():
        data = bound.cleaned_data
        try:
            if posted == "recurring":
                recurring_policy_set(actor=admin, **data)
            elif posted == "auto_close":
                case_policy_set(actor=admin, auto_close_days=data["auto_close_days"])
            else:
                ladder_policy_set(
                    actor=admin,
                    code=posted,
                    enabled=data["enabled"],
                    min_level=int(data["min_level"]),
                )
        except DomainError as exc:
            refused(bound, exc)
        else:
            messages.success(request, "Policy saved.")
            return redirect("administration:policies")
    context = {"ladder": ladder, "recurring": recurring, "auto_close": auto_close}
    status = 422 if bound is not None and bound.errors else 200
    return settings_render(
        request, "administration/policies.html", "policies", context, status=status
    )
