"""The notification centre under /notifications/."""

from django.urls import path

from casebridge.integrations import notification_views as views

app_name = "notifications"

urlpatterns = [
    path("", views.notification_list, name="list"),
    path("bell/", views.bell, name="bell"),
    path("read/", views.read_all, name="read_all"),
    path("settings/", views.settings_page, name="settings"),
    path("<int:notification_id>/read/", views.read_one, name="read"),
    path("<int:notification_id>/open/", views.open_one, name="open"),
    path("watch/<str:subject_type>/<str:key>/", views.watch_toggle, name="watch"),
]
