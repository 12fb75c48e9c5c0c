from django.contrib import admin
from django.urls import include, path

from casebridge.api import api
from casebridge.core import views as core_views

urlpatterns = [
    path("healthz", core_views.healthz, name="healthz"),
    path("readyz", core_views.readyz, name="readyz"),
    path("api/v1/", api.urls),
    path("admin/", admin.site.urls),
    path("metrics", core_views.metrics, name="metrics"),
    path("", include("casebridge.web.urls")),
]
