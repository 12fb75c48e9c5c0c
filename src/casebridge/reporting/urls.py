from django.urls import path

from casebridge.reporting import views

app_name = "reporting"

urlpatterns = [
    path("flow/", views.flow, name="flow"),
]
