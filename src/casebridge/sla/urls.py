"""The SLA settings pages, under /settings/sla/ (administrators only)."""

from django.urls import path

from casebridge.sla import views

app_name = "sla"

urlpatterns = [
    path("", views.overview, name="settings"),
    path("calendars/new/", views.calendar_new, name="calendar_new"),
    path("calendars/<slug:slug>/", views.calendar_edit, name="calendar_edit"),
    path("calendars/<slug:slug>/delete/", views.calendar_delete, name="calendar_delete"),
    path("policies/new/", views.policy_new, name="policy_new"),
    path("policies/<slug:slug>/", views.policy_edit, name="policy_edit"),
    path("policies/<slug:slug>/delete/", views.policy_delete, name="policy_delete"),
    path("policies/<slug:slug>/move/", views.policy_move, name="policy_move"),
    path("item-targets/new/", views.item_target_new, name="item_target_new"),
    path("item-targets/<slug:slug>/", views.item_target_edit, name="item_target_edit"),
    path(
        "item-targets/<slug:slug>/delete/",
        views.item_target_delete,
        name="item_target_delete",
    ),
]
