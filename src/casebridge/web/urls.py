"""Every HTML page. Each app's pages live in its own ``urls.py``; the API is under /api/v1/."""

from django.urls import include, path

from casebridge.cases.urls import portal_patterns
from casebridge.web import views

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", views.LogoutView.as_view(), name="logout"),
    path("cases/", include("casebridge.cases.urls")),
    path("portal/", include((portal_patterns, "portal"))),
    path("knowledge/", include("casebridge.knowledge.urls")),
    path("work-items/", include("casebridge.workitems.urls")),
    path("sprints/", include("casebridge.sprints.urls")),
    path("reports/", include("casebridge.reporting.urls")),
    path("incidents/", include("casebridge.incidents.urls")),
    path("settings/azure-devops/", include("casebridge.integrations.azure_devops.urls")),
    path("settings/sla/", include("casebridge.sla.urls")),
    path("settings/", include("casebridge.integrations.urls")),
    path("", include("casebridge.monitoring.urls")),
    path("", include("casebridge.occurrences.urls")),
]
