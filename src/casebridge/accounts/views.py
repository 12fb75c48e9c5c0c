"""Settings → Security pages: two-factor enrolment, single sign-on mapping, security events."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import messages
from django.http import HttpResponse, HttpResponseBase, QueryDict
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from casebridge.accounts import mfa, sso
from casebridge.accounts.models import Level, Organisation, Role, SsoGroupMapping
from casebridge.audit.models import AuditEvent
from casebridge.core.errors import DomainError
from casebridge.integrations.views import admin_page
from casebridge.web.pages import Request, attach_errors, page, viewer
from casebridge.web.views import CodeForm

#: The audit subjects whose every event is a security event: sign-ins and second factor, people
#: and their roles and levels, API tokens, single sign-on mapping, and the settings that let
#: anything in or out (integrations, webhooks, delivery sources, Azure DevOps, the level ladder).
SECURITY_SUBJECTS = (
    "sign_in",
    "user",
    "api_token",
    "sso_mapping",
    "integration",
    "webhook",
    "delivery_source",
    "azure_devops_connection",
    "ladder_policy",
)
EVENT_ROWS = 200


@page()
@require_http_methods(["GET", "POST"])
def two_factor(request: Request) -> HttpResponseBase:
    user = viewer(request)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        codes = mfa.enrol_confirm(request, user, form.cleaned_data["code"])
        if codes is not None:
            return render(request, "accounts/recovery_codes.html", {"codes": codes})
        form.add_error("code", "That code does not match: check the app's clock and try again.")
    state = mfa.status(user)
    device = mfa.pending_totp(user)
    context = {
        "form": form,
        "state": state,
        "required": mfa.required(user) and not state["enrolled"],
        "key": mfa.base32_key(device),
        "uri": mfa.otpauth_uri(device, user),
    }
    return render(request, "accounts/two_factor.html", context, status=422 if form.errors else 200)


class MappingForm(forms.Form):
    group = forms.CharField(max_length=200, help_text="As the identity provider sends it.")
    role = forms.ChoiceField(choices=Role.choices)
    level = forms.ChoiceField(choices=[("", "None"), *Level.choices], required=False)
    organisation = forms.ChoiceField(required=False)

    def __init__(self, data: QueryDict | None = None) -> None:
        super().__init__(data)
        self.fields["organisation"].choices = [  # type: ignore[attr-defined]
            ("", "None"),
            *Organisation.objects.values_list("slug", "name"),
        ]


@admin_page
@require_http_methods(["GET", "POST"])
def sso_mappings(request: Request) -> HttpResponse:
    form = MappingForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            row = sso.mapping_add(actor=viewer(request), **form.cleaned_data)
        except DomainError as exc:
            attach_errors(form, exc)
        else:
            messages.success(request, f"Group '{row.group}' now maps to {row.get_role_display()}.")
            return redirect("accounts:sso")
    context = {
        "form": form,
        "mappings": SsoGroupMapping.objects.select_related("organisation"),
        "sso": sso.login_context(),
        "issuer": settings.OIDC_ISSUER,
    }
    return render(request, "accounts/sso.html", context, status=422 if form.errors else 200)


@admin_page
@require_POST
def sso_mapping_remove(request: Request, mapping_id: int) -> HttpResponse:
    row = SsoGroupMapping.objects.filter(pk=mapping_id).first()
    if row is not None:
        sso.mapping_remove(actor=viewer(request), group=row.group)
        messages.success(request, f"Group '{row.group}' is no longer mapped.")
    return redirect("accounts:sso")


@admin_page
def security_events(request: Request) -> HttpResponse:
    events = (
        AuditEvent.objects.filter(subject_type__in=SECURITY_SUBJECTS)
        .select_related("actor")
        .order_by("-at", "-id")[:EVENT_ROWS]
    )
    return render(request, "accounts/security_events.html", {"events": events})
