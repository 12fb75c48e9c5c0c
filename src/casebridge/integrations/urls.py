"""The settings pages of the outbox and webhooks, under /settings/ (administrators only)."""

from django.urls import path

from casebridge.integrations import views

app_name = "integrations"

urlpatterns = [
    path("outbox/", views.outbox_page, name="outbox"),
    path("outbox/retry-dead/", views.outbox_retry_dead_view, name="outbox_retry_dead"),
    path("outbox/<int:message_id>/retry/", views.outbox_retry_view, name="outbox_retry"),
    path("outbox/<int:message_id>/discard/", views.outbox_discard_view, name="outbox_discard"),
    path("webhooks/", views.webhooks_page, name="webhooks"),
    path("webhooks/<slug:slug>/remove/", views.webhook_remove_view, name="webhook_remove"),
    path("webhooks/<slug:slug>/test/", views.webhook_test_view, name="webhook_test"),
    path("webhooks/<slug:slug>/routes/", views.route_add_view, name="route_add"),
    path(
        "webhooks/<slug:slug>/routes/<int:route_id>/remove/",
        views.route_remove_view,
        name="route_remove",
    ),
]
