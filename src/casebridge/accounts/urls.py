"""Settings → Security (under /settings/security/): two-factor enrolment for everyone, single
sign-on group mapping and security events for administrators."""

from django.urls import path

from casebridge.accounts import views

app_name = "accounts"

urlpatterns = [
    path("two-factor/", views.two_factor, name="two_factor"),
    path("sso/", views.sso_mappings, name="sso"),
    path("sso/<int:mapping_id>/remove/", views.sso_mapping_remove, name="sso_remove"),
    path("events/", views.security_events, name="events"),
]
