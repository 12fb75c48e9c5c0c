from django.urls import path

from casebridge.knowledge import views

app_name = "knowledge"

urlpatterns = [
    path("", views.known_list, name="list"),
    path("new/", views.known_new, name="new"),
    path("export.csv", views.known_export, name="export"),
    path("<str:key>/", views.known_detail, name="detail"),
    path("<str:key>/edit/", views.known_edit, name="edit"),
]
