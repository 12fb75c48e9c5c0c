"""Pages of monitoring, mounted at the site root under the namespace "monitoring"."""

from django.urls import path

from casebridge.monitoring import views

app_name = "monitoring"

urlpatterns = [
    path("cases/<str:key>/health/", views.case_health, name="case_health"),
]
