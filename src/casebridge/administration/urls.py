"""The settings area under /settings/ (administrators only; anyone else gets 404)."""

from django.urls import path

from casebridge.administration.views import catalog, log, monitoring, people, rules

app_name = "administration"

urlpatterns = [
    path("", log.index, name="index"),
    path("audit/", log.audit_log, name="audit"),
    path("organisations/", people.organisations, name="organisations"),
    path("organisations/<slug:slug>/", people.organisation, name="organisation"),
    path("users/", people.users, name="users"),
    path("users/<str:username>/", people.user_detail, name="user"),
    path(
        "users/<str:username>/tokens/<str:prefix>/revoke/",
        people.token_revoke,
        name="token_revoke",
    ),
    path("teams/", people.teams, name="teams"),
    path("teams/<slug:slug>/", people.team, name="team"),
    path(
        "teams/<slug:slug>/members/<str:username>/remove/",
        people.team_member_remove,
        name="team_member_remove",
    ),
    path("services/", catalog.service_list, name="services"),
    path("services/<slug:slug>/", catalog.service_detail, name="service"),
    path(
        "services/<slug:slug>/components/<slug:component>/critical/",
        catalog.component_critical,
        name="component_critical",
    ),
    path("gate/", rules.gate, name="gate"),
    path("policies/", rules.policies, name="policies"),
    path("monitoring/", monitoring.integrations, name="monitoring"),
    path(
        "monitoring/<slug:slug>/enable/", monitoring.integration_enable, name="integration_enable"
    ),
    path(
        "monitoring/<slug:slug>/grouping/",
        monitoring.integration_grouping,
        name="integration_grouping",
    ),
]
