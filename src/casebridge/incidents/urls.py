"""Pages of incidents, mounted at /incidents/ under the namespace "incidents"."""

from django.urls import path

from casebridge.incidents import views

app_name = "incidents"

urlpatterns = [
    path("", views.incident_list, name="list"),
    path("export.csv", views.incident_export, name="export"),
    path("declare/", views.incident_declare_page, name="declare"),
    path("<str:key>/", views.incident_room, name="room"),
    path("<str:key>/actions/<slug:action>/", views.incident_act, name="act"),
    path("<str:key>/timeline/", views.incident_timeline, name="timeline"),
    path("<str:key>/notes/", views.incident_note, name="note"),
    path("<str:key>/review/", views.review_page, name="review"),
    path("<str:key>/review/save/", views.review_save, name="review_save"),
    path("<str:key>/review/items/", views.action_item_create, name="item_add"),
    path("<str:key>/review/items/<int:item_id>/owner/", views.action_item_owner, name="item_owner"),
]
