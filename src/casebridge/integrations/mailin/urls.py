"""The settings page of e-mail in, under /settings/mailboxes/ (administrators only)."""

from django.urls import path

from casebridge.integrations.mailin import views

app_name = "mailin"

urlpatterns = [
    path("", views.mailboxes_page, name="mailboxes"),
    path("messages/<int:mail_id>/retry/", views.mail_retry_view, name="mail_retry"),
]
