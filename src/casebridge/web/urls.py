"""Every HTML page. Each app's pages live in its own ``urls.py``; the API is under /api/v1/."""

from django.urls import include, path
from django.views.generic import RedirectView

from casebridge.accounts.invitation_views import SetPasswordView
from casebridge.cases.urls import portal_patterns
from casebridge.web import views

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", views.LogoutView.as_view(), name="logout"),
    path("set-password/<uidb64>/<token>/", SetPasswordView.as_view(), name="set_password"),
    path("search/", views.search, name="search"),
    path("login/verify/", views.otp_verify, name="login_verify"),
    # django-allauth: single sign-on (accounts/oidc/<provider>/login/ and its callback) and
    # password reset by e-mail. Its own sign-in and sign-up pages are not Casebridge's doors.
    path("accounts/login/", RedirectView.as_view(pattern_name="login", query_string=True)),
    path("accounts/signup/", RedirectView.as_view(pattern_name="login")),
    path("accounts/", include("allauth.urls")),
    path("settings/security/", include("casebridge.accounts.urls")),
    path("cases/", include("casebridge.cases.urls")),
    path("portal/", include((portal_patterns, "portal"))),
    path("knowledge/", include("casebridge.knowledge.urls")),
    path("work-items/", include("casebridge.workitems.urls")),
    path("sprints/", include("casebridge.sprints.urls")),
    path("reports/", include("casebridge.reporting.urls")),
    path("incidents/", include("casebridge.incidents.urls")),
    path("notifications/", include("casebridge.integrations.notification_urls")),
    path("settings/azure-devops/", include("casebridge.integrations.azure_devops.urls")),
    path("settings/mailboxes/", include("casebridge.integrations.mailin.urls")),
    path("settings/sla/", include("casebridge.sla.urls")),
    path("settings/", include("casebridge.administration.urls")),
    path("settings/", include("casebridge.integrations.urls")),
    path("", include("casebridge.monitoring.urls")),
    path("", include("casebridge.occurrences.urls")),
]
