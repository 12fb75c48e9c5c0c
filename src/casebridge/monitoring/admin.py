"""Admin for monitoring. Integrations are created through ``integration_create`` (the secret is
shown once, in a message); failed payloads are retried through ``payload_retry``. Nothing here
writes a row by itself."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from casebridge.accounts.models import User
from casebridge.core.errors import DomainError
from casebridge.core.text import plural
from casebridge.monitoring import rules
from casebridge.monitoring.models import AlertGroup, Integration, Payload, PayloadState
from casebridge.monitoring.services import (
    integration_create,
    integration_set_enabled,
    payload_retry,
)

CREATE_FIELDS = (
    "name",
    "slug",
    "kind",
    "auth",
    "service",
    "environment",
    "signature_header",
    "timestamp_header",
    "max_body_bytes",
    "rate_limit_per_minute",
)
#: What an administrator may change on an existing integration (``rules``).
GROUPING_FIELDS = ("grouping_labels", "use_group_labels", "storm_threshold")


def _admin(request: HttpRequest) -> User:
    """The signed-in administrator (the admin site lets no one else in)."""
    assert isinstance(request.user, User)
    return request.user


class IntegrationForm(forms.ModelForm[Integration]):
    class Meta:
        model = Integration
        fields = (*CREATE_FIELDS, *GROUPING_FIELDS)


@admin.register(Integration)
class IntegrationAdmin(admin.ModelAdmin[Integration]):
    form = IntegrationForm
    list_display = ("name", "slug", "kind", "auth", "service", "rate_limit_per_minute", "enabled")
    list_filter = ("kind", "enabled")
    actions = ("enable", "disable")

    def get_readonly_fields(
        self, request: HttpRequest, obj: Integration | None = None
    ) -> tuple[str, ...]:
        return (*CREATE_FIELDS, "enabled", "token_prefix", "created_at") if obj else ()

    def save_model(
        self,
        request: HttpRequest,
        obj: Integration,
        form: forms.ModelForm[Integration],
        change: bool,
    ) -> None:
        if change:
            self._grouping_set(request, obj, form)
            return
        data = {name: form.cleaned_data[name] for name in CREATE_FIELDS}
        try:
            created, secret = integration_create(actor=_admin(request), **data)
        except DomainError as exc:
            self.message_user(request, f"{exc.message}: {exc.fields}", messages.ERROR)
            return
        obj.pk = created.pk
        what = "bearer token" if created.auth == "bearer" else "HMAC secret"
        self.message_user(
            request,
            f"{created.name}: POST /api/v1/intake/{created.kind}/{created.slug} with this "
            f"{what}, shown once: {secret}",
            messages.WARNING,
        )

    def _grouping_set(
        self, request: HttpRequest, obj: Integration, form: forms.ModelForm[Integration]
    ) -> None:
        """The grouping rules through their service (the form's instance is not saved)."""
        current = Integration.objects.get(pk=obj.pk)
        try:
            rules.integration_grouping_set(
                actor=_admin(request),
                integration=current,
                **{name: form.cleaned_data[name] for name in GROUPING_FIELDS},
            )
        except DomainError as exc:
            self.message_user(request, f"{exc.message}: {exc.fields}", messages.ERROR)

    @admin.action(description="Enable")
    def enable(self, request: HttpRequest, queryset: QuerySet[Integration]) -> None:
        for integration in queryset:
            integration_set_enabled(actor=_admin(request), integration=integration, enabled=True)

    @admin.action(description="Disable (the door answers 404)")
    def disable(self, request: HttpRequest, queryset: QuerySet[Integration]) -> None:
        for integration in queryset:
            integration_set_enabled(actor=_admin(request), integration=integration, enabled=False)


@admin.register(Payload)
class PayloadAdmin(admin.ModelAdmin[Payload]):
    list_display = ("id", "integration", "received_at", "alerts", "state", "attempts", "error")
    list_filter = ("state", "integration")
    actions = ("retry",)
    readonly_fields = [f.name for f in Payload._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Payload | None = None) -> bool:
        return False

    @admin.action(description="Retry now")
    def retry(self, request: HttpRequest, queryset: QuerySet[Payload]) -> None:
        done = 0
        for payload in queryset.filter(state=PayloadState.FAILED):
            payload_retry(actor=_admin(request), payload=payload)
            done += 1
        self.message_user(request, f"{plural(done, 'failed payload')} queued again")


@admin.register(AlertGroup)
class AlertGroupAdmin(admin.ModelAdmin[AlertGroup]):
    list_display = (
        "key",
        "title",
        "status",
        "service",
        "alerts_total",
        "firing_count",
        "flapping",
        "last_seen",
        "case",
    )
    list_filter = ("status", "kind", "service")
    readonly_fields = [f.name for f in AlertGroup._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: AlertGroup | None = None) -> bool:
        return False
