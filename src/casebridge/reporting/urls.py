from django.urls import path

from casebridge.reporting import views

app_name = "reporting"

urlpatterns = [
    path("flow/", views.flow, name="flow"),
    path("flow/export.csv", views.flow_csv, name="flow_csv"),
    path("support/", views.support, name="support"),
    path("support/cases/", views.support_cases, name="support_cases"),
    path("support/<slug:table>.csv", views.support_csv, name="support_csv"),
]
