"""The settings area's table of contents: one entry per settings page, in groups.

The index page (/settings/) and the side navigation of every settings page are drawn from this
list. A new settings page adds one ``Section`` here (SLA policies, security: their slots are
marked below), nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import NoReverseMatch, reverse


@dataclass(frozen=True)
class Section:
    slug: str
    label: str
    url_name: str
    description: str
    group: str

    @property
    def url(self) -> str:
        try:
            return reverse(self.url_name)
        except NoReverseMatch:  # a section whose app is not installed is not shown
            return ""


PEOPLE, RULES, INTEGRATIONS, RECORDS = "People", "Rules", "Integrations", "Records"

SECTIONS: list[Section] = [
    Section(
        "organisations",
        "Organisations",
        "administration:organisations",
        "Customer organisations, their mail domains, people and partners.",
        PEOPLE,
    ),
    Section(
        "users",
        "Users",
        "administration:users",
        "People, their roles and developer level, sign-in and API tokens.",
        PEOPLE,
    ),
    Section(
        "teams",
        "Teams",
        "administration:teams",
        "Development and DevOps teams, their members and capacity.",
        PEOPLE,
    ),
    Section(
        "services",
        "Services",
        "administration:services",
        "Services and components, their owner team, critical components.",
        PEOPLE,
    ),
    Section(
        "gate",
        "Escalation gate",
        "administration:gate",
        "What each category needs before a case is escalated.",
        RULES,
    ),
    Section(
        "policies",
        "Policies",
        "administration:policies",
        "Developer-ladder policies 1-8, recurring issues, case auto-close.",
        RULES,
    ),
    # SLA policies (/settings/sla/) go here, in RULES.
    Section(
        "monitoring",
        "Monitoring",
        "administration:monitoring",
        "Alertmanager, Grafana and event integrations posting alerts.",
        INTEGRATIONS,
    ),
    Section(
        "webhooks",
        "Slack, Teams & webhooks",
        "integrations:webhooks",
        "Where notices are posted, and which events go where.",
        INTEGRATIONS,
    ),
    Section(
        "azure-devops",
        "Azure DevOps",
        "azure_devops:list",
        "Boards connection, state mapping and sync conflicts.",
        INTEGRATIONS,
    ),
    Section(
        "outbox",
        "Outbox",
        "integrations:outbox",
        "Deliveries waiting, failed and dead letters.",
        INTEGRATIONS,
    ),
    # Security (/settings/security/: single sign-on mapping, security events) goes here.
    Section(
        "audit",
        "Audit log",
        "administration:audit",
        "Who changed which setting, when, from what to what.",
        RECORDS,
    ),
]

GROUPS = (PEOPLE, RULES, INTEGRATIONS, RECORDS)


def grouped() -> list[tuple[str, list[Section]]]:
    return [(g, [s for s in SECTIONS if s.group == g and s.url]) for g in GROUPS]
