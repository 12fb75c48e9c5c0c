"""Pages of cases: /cases/ for support staff, /portal/ for customers and partners."""

from django.urls import path

from casebridge.cases import views

app_name = "cases"

urlpatterns = [
    path("", views.queue, name="queue"),
    path("export.csv", views.queue_export, name="export"),
    path("new/", views.new_case, name="new"),
    path("components/", views.component_options, name="components"),
    path("reporters/", views.reporter_options, name="reporters"),
    path("<str:key>/", views.case_page, name="detail"),
    path("<str:key>/actions/<slug:action>/", views.case_act, name="act"),
    path("<str:key>/comments/", views.comment_create, name="comment"),
    path("<str:key>/attachments/", views.attachment_upload, name="attach"),
    path(
        "<str:key>/attachments/<int:attachment_id>/",
        views.attachment_download,
        name="download",
    ),
    path("<str:key>/escalate/", views.escalate, name="escalate"),
    path("<str:key>/escalate/checklist/", views.escalate_checklist, name="checklist"),
]

#: Mounted at /portal/ under the namespace "portal" by casebridge.web.urls.
portal_patterns = [
    path("", views.portal_home, name="home"),
    path("new/", views.portal_new, name="new"),
    path("cases/<str:key>/", views.portal_case, name="detail"),
]
