"""The settings area: administrators configure organisations, services, teams, users, the
escalation gate and the policies in pages; every change lands in the audit log."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client

from casebridge.accounts.models import ApiToken, Organisation, Team, User
from casebridge.audit.models import AuditEvent
from casebridge.cases.services import case_auto_close_days
from casebridge.catalog.models import Component, Service
from casebridge.workitems.documentation import requirements_for
from casebridge.workitems.models import PolicyCode
from casebridge.workitems.policies import setting
from tests import factories
from tests.web.conftest import field_error, html

pytestmark = pytest.mark.django_db

PAGES = [
    "/settings/",
    "/settings/organisations/",
    "/settings/organisations/acme/",
    "/settings/users/",
    "/settings/users/dev3/",
    "/settings/teams/",
    "/settings/teams/core-team/",
    "/settings/services/",
    "/settings/services/payments/",
    "/settings/gate/",
    "/settings/policies/",
    "/settings/monitoring/",
    "/settings/audit/",
]


@pytest.mark.parametrize("path", PAGES)
def test_settings_pages_exist_for_admins_only(
    world: factories.World, browser_as: Callable[[str], Client], path: str
) -> None:
    assert browser_as("admin").get(path).status_code == 200
    for other in ("l2", "rte", "cust_a"):
        assert browser_as(other).get(path).status_code == 404, other


def test_index_links_every_section(browser_as: Callable[[str], Client]) -> None:
    page = html(browser_as("admin").get("/settings/"))
    for slug in ("organisations", "users", "teams", "services", "gate", "policies", "audit"):
        assert f'data-section="{slug}"' in page
    assert 'href="/settings/outbox/"' in page


def test_organisation_created_and_edited_in_pages(
    world: factories.World, browser_as: Callable[[str], Client]
) -> None:
    admin = browser_as("admin")
    response = admin.post(
        "/settings/organisations/",
        {"name": "Cobalt Air", "slug": "", "email_domains": "cobalt.example, Cobalt-Air.example"},
    )
    assert response.status_code == 302
    org = Organisation.objects.get(slug="cobalt-air")
    assert org.email_domains == ["cobalt.example", "cobalt-air.example"]
    bad = admin.post(
        "/settings/organisations/cobalt-air/", {"name": "Acme Retail", "email_domains": "x"}
    )
    assert bad.status_code == 422
    assert "Not a mail domain" in field_error(html(bad), "email_domains")
    assert "exists" in field_error(html(bad), "name")
    admin.post(
        "/settings/organisations/cobalt-air/",
        {"form": "partners", "partners": ["partner"]},
    )
    assert list(org.partners.values_list("username", flat=True)) == ["partner"]
    event = AuditEvent.objects.get(subject_type="organisation", field="partners")
    assert (event.old, event.new, event.actor) == ("", "partner", world["admin"])


def test_service_with_critical_component_and_owner(
    world: factories.World, browser_as: Callable[[str], Client]
) -> None:
    admin = browser_as("admin")
    response = admin.post(
        "/settings/services/",
        {
            "name": "Ledger",
            "owner_team": "core-team",
            "first-name": "Posting engine",
            "first-critical": "on",
        },
    )
    assert response.status_code == 302
    service = Service.objects.get(slug="ledger")
    assert service.owner_team == Team.objects.get(slug="core-team")
    assert Component.objects.get(service=service).critical
    admin.post("/settings/services/ledger/components/posting-engine/critical/", {"critical": "0"})
    assert not Component.objects.get(service=service).critical
    taken = admin.post("/settings/services/", {"name": "Payments", "first-name": ""})
    assert taken.status_code == 422
    assert "exists" in field_error(html(taken), "name")
    changes = AuditEvent.objects.filter(subject_type="component", field="critical")
    assert [(e.old, e.new) for e in changes] == [("True", "False")]


def test_team_members_and_capacity(
    world: factories.World, browser_as: Callable[[str], Client]
) -> None:
    admin = browser_as("admin")
    assert admin.post("/settings/teams/", {"name": "Mobile", "kind": "development"}).status_code
    team = Team.objects.get(slug="mobile")
    admin.post("/settings/teams/mobile/", {"form": "member", "username": "dev3"})
    admin.post(
        "/settings/teams/mobile/", {"form": "capacity", "unit": "hours", "default_capacity": "120"}
    )
    assert list(team.members.values_list("username", flat=True)) == ["dev3"]
    assert team.planning.default_capacity == 120
    admin.post("/settings/teams/mobile/members/dev3/remove/")
    assert not team.members.exists()
    actions = list(
        AuditEvent.objects.filter(subject_type="team", subject_key="mobile").values_list(
            "action", flat=True
        )
    )
    assert actions == ["created", "member_added", "member_removed"]


def test_user_created_updated_deactivated_with_tokens(
    world: factories.World, browser_as: Callable[[str], Client]
) -> None:
    admin = browser_as("admin")
    refused = admin.post(
        "/settings/users/",
        {"username": "newdev", "email": "newdev@example.com", "roles": ["developer"]},
    )
    assert refused.status_code == 422
    assert "needs a level" in field_error(html(refused), "level")
    created = admin.post(
        "/settings/users/",
        {
            "username": "newdev",
            "email": "newdev@example.com",
            "roles": ["developer"],
            "level": "L2",
        },
    )
    assert created.status_code == 302
    page = admin.post(
        "/settings/users/newdev/",
        {"form": "token", "name": "ci", "scope": "write", "expires_in_days": "30"},
    )
    token = ApiToken.objects.get(user__username="newdev")
    assert token.prefix in html(page) and 'data-testid="token-secret"' in html(page)
    assert "token-secret" not in html(admin.get("/settings/users/newdev/"))  # shown once
    admin.post(f"/settings/users/newdev/tokens/{token.prefix}/revoke/")
    token.refresh_from_db()
    assert token.revoked_at is not None
    admin.post(
        "/settings/users/newdev/",
        {"form": "user", "email": "nd@example.com", "roles": ["developer", "qa"], "level": "L3"},
    )
    user = User.objects.get(username="newdev")
    assert (user.level, user.is_active, sorted(user.roles)) == ("L3", False, ["developer", "qa"])
    events = AuditEvent.objects.filter(subject_type="user", subject_key="newdev", action="updated")
    assert {e.field: (e.old, e.new) for e in events} == {
        "email": ("newdev@example.com", "nd@example.com"),
        "roles": ("developer", "developer, qa"),
        "level": ("L2", "L3"),
        "active": ("True", "False"),
    }


def test_last_admin_cannot_be_demoted(browser_as: Callable[[str], Client]) -> None:
    response = browser_as("admin").post(
        "/settings/users/admin/",
        {"form": "user", "email": "admin@example.com", "roles": ["l2_engineer"], "active": "on"},
    )
    assert response.status_code == 422
    assert "last administrator" in html(response)


def test_gate_and_policies_set_in_pages(
    world: factories.World, browser_as: Callable[[str], Client]
) -> None:
    admin = browser_as("admin")
    admin.post("/settings/gate/", {"category": "feature", "feature-required": ["justification"]})
    assert [i.code for i in requirements_for("feature")] == ["justification"]
    admin.post(
        "/settings/policies/",
        {"policy": "critical_component", "critical_component-min_level": "4"},
    )
    assert setting(PolicyCode.CRITICAL_COMPONENT).enabled is False
    assert setting(PolicyCode.CRITICAL_COMPONENT).level == 4
    admin.post("/settings/policies/", {"policy": "auto_close", "auto_close_days": "14"})
    assert case_auto_close_days() == 14
    bad = admin.post("/settings/policies/", {"policy": "auto_close", "auto_close_days": "0"})
    assert bad.status_code == 422
    assert field_error(html(bad), "auto_close_days")
    log = html(admin.get("/settings/audit/"))
    for text in ("Escalation gate", "Ladder policy", "Case policy", "auto_close_days"):
        assert text in log
    only_gate = html(admin.get("/settings/audit/", {"subject_type": "escalation_gate"}))
    assert "ladder_policy:" not in only_gate and "escalation_gate:feature" in only_gate
