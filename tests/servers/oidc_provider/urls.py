from __future__ import annotations

from django.contrib.auth.views import LoginView
from django.urls import include, path

from tests.servers.oidc_provider import control

urlpatterns = [
    path("login/", LoginView.as_view(template_name="login.html"), name="login"),
    path("_control/clients", control.clients),
    path("_control/users", control.users),
    path("", include("oauth2_provider.urls", namespace="oauth2_provider")),
]
