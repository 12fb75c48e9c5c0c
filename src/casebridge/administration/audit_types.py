"""The kinds of audited subject that are settings, with the names the audit log page shows."""

SETTING_TYPES: dict[str, str] = {
    "organisation": "Organisation",
    "user": "User",
    "api_token": "API token",
    "team": "Team",
    "team_capacity": "Team capacity",
    "service": "Service",
    "component": "Component",
    "escalation_gate": "Escalation gate",
    "ladder_policy": "Ladder policy",
    "recurring_policy": "Recurring policy",
    "case_policy": "Case policy",
    "integration": "Monitoring integration",
    "webhook": "Webhook",
    "azure_devops_connection": "Azure DevOps connection",
}
