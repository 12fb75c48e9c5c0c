"""The Azure DevOps settings pages, under /settings/azure-devops/ (namespace "azure_devops")."""

from django.urls import path

from casebridge.integrations.azure_devops import views

app_name = "azure_devops"

urlpatterns = [
    path("", views.connection_list, name="list"),
    path("new/", views.connection_new, name="new"),
    path("conflicts/", views.conflict_list, name="conflicts"),
    path("conflicts/<int:conflict_id>/resolve/", views.conflict_resolve, name="resolve"),
    path("<slug:slug>/", views.connection_detail, name="detail"),
    path("<slug:slug>/mapping/<str:category>/", views.connection_mapping, name="mapping"),
]
