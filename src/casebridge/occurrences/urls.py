"""Pages of previous occurrences, mounted at the site root under the namespace "occurrences"."""

from django.urls import path

from casebridge.occurrences import views

app_name = "occurrences"

urlpatterns = [
    path("cases/<str:key>/occurrences/", views.case_workbench, name="workbench"),
    path("cases/<str:key>/occurrences/logs/", views.case_logs, name="logs"),
    path("cases/<str:key>/occurrences/related/", views.case_related, name="related"),
    path(
        "cases/<str:key>/occurrences/related/<str:other>/remove/",
        views.case_unrelated,
        name="unrelated",
    ),
    path("occurrences/draft/", views.draft_similar, name="draft"),
    path(
        "cases/<str:key>/occurrences/similar-items/",
        views.escalate_similar,
        name="escalate_similar",
    ),
    path("services/<slug:slug>/", views.service_page, name="service"),
    path("signatures/", views.signature_list, name="signatures"),
    path("signatures/export.csv", views.signature_export, name="signatures_export"),
    path("signatures/<str:signature_id>/", views.signature_detail, name="signature"),
    path("recurring/", views.cluster_list, name="clusters"),
    path("recurring/banner/", views.queue_clusters, name="banner"),
    path("recurring/<str:key>/", views.cluster_detail, name="cluster"),
    path("recurring/<str:key>/<slug:action>/", views.cluster_act, name="cluster_act"),
]
