"""A fresh install configured from zero in the pages, in Chromium: the only account is an
administrator, who creates an organisation, a team, a service with a critical component owned by
that team, a user per role, the team's members, a requirement of the escalation gate and a
ladder-policy change. An L1 agent then logs a case against that service; once escalated and
triaged it is in that team's backlog, and the audit log shows every change the administrator
made, with old and new values."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from casebridge.accounts.services import user_create
from casebridge.cases.models import Case
from casebridge.cases.services import case_transition
from casebridge.workitems.models import WorkItem
from casebridge.workitems.services import work_item_transition
from tests.e2e.conftest import sign_in

pytestmark = pytest.mark.e2e
PASSWORD = "first-run-passphrase"

PEOPLE = [
    # username, role label, level
    ("lena", "L1 agent", ""),
    ("dora", "L2 engineer", ""),
    ("remy", "Release train engineer", ""),
    ("pia", "Product manager", ""),
    ("sven", "Developer", "L3"),
    ("odin", "DevOps", ""),
    ("tess", "Tester", ""),
    ("carla", "Customer reporter", ""),
]


def _add_user(page: Any, username: str, role: str, level: str) -> None:
    page.goto("/settings/users/")
    form = page.locator("#add-user")
    form.get_by_label("Username").fill(username)
    form.get_by_label("E-mail").fill(
        f"{username}@{'nordwind.example' if role == 'Customer reporter' else 'example.com'}"
    )
    form.get_by_label(role, exact=True).check()
    if level:
        form.get_by_label("Developer level").select_option(level)
    if role == "Customer reporter":
        form.get_by_label("Organisation").select_option(label="Nordwind Freight")
    form.get_by_label("Password").fill(PASSWORD)
    form.get_by_role("button", name="Add user").click()
    expect(page.locator(".flash")).to_contain_text(f"User {username} created")


def test_admin_configures_a_fresh_install_in_the_pages(
    transactional_db: None, new_page: Any
) -> None:
    user_create(
        actor=None, username="root", email="root@example.com", roles=["admin"], password=PASSWORD
    )
    admin = new_page()
    sign_in(admin, "root", PASSWORD)
    expect(admin).to_have_url(re.compile(r"/settings/$"))  # an administrator's home

    # An organisation.
    admin.locator('[data-section="organisations"]').click()
    form = admin.locator("#add-organisation")
    form.get_by_label("Name").fill("Nordwind Freight")
    form.get_by_label("E-mail domains").fill("nordwind.example")
    form.get_by_role("button", name="Add organisation").click()
    expect(admin.locator("h1")).to_have_text("Nordwind Freight")

    # A team, then a service with a critical component owned by it.
    admin.goto("/settings/teams/")
    form = admin.locator("#add-team")
    form.get_by_label("Name").fill("Routing team")
    form.get_by_label("Kind").select_option("development")
    form.get_by_role("button", name="Add team").click()
    expect(admin.locator("h1")).to_have_text("Routing team")
    admin.goto("/settings/services/")
    form = admin.locator("#add-service")
    form.get_by_label("Name").fill("Route planner")
    form.get_by_label("Owner team").select_option(label="Routing team")
    form.get_by_label("First component").fill("Optimiser")
    form.get_by_label(re.compile(r"Critical \(work")).check()
    form.get_by_role("button", name="Add service").click()
    expect(admin.locator('[data-component="optimiser"] .badge')).to_have_text("critical")

    # A user per role; a bad one first: the message stands beside the field.
    admin.goto("/settings/users/")
    form = admin.locator("#add-user")
    form.get_by_label("Username").fill("x")
    form.get_by_label("E-mail").fill("not-an-address")
    form.get_by_label("Developer", exact=True).check()
    form.get_by_role("button", name="Add user").click()
    expect(admin.locator(".field-email .field-error")).to_contain_text("not a valid e-mail")
    expect(admin.locator(".field-level .field-error")).to_contain_text("needs a level")
    for username, role, level in PEOPLE:
        _add_user(admin, username, role, level)

    # The team's members.
    admin.goto("/settings/teams/routing-team/")
    member = admin.locator("#add-member")
    member.get_by_label("Add a member").select_option("sven")
    member.get_by_role("button", name="Add member").click()
    expect(admin.locator("#members")).to_contain_text("sven")

    # A gate requirement: feature requests also need the version.
    admin.goto("/settings/gate/")
    gate = admin.locator("#gate-feature")
    gate.get_by_label("Version", exact=True).check()
    gate.get_by_role("button", name="Save feature request").click()
    expect(admin.locator(".flash")).to_contain_text("Escalation gate of feature request saved")

    # A policy change: an L1 developer's mentor must be L4.
    admin.goto("/settings/policies/")
    admin.locator("#id_junior_needs_mentor-min_level").select_option("4")
    admin.locator("#form-junior_needs_mentor").get_by_role("button").click()
    expect(admin.locator(".flash")).to_contain_text("Policy saved")

    # The L1 agent logs a case for Nordwind against the new service.
    l1 = new_page()
    sign_in(l1, "lena", PASSWORD)
    expect(l1).to_have_url(re.compile(r"/cases/new/$"))  # an L1's home is the intake form
    l1.get_by_label("Title").fill("Routes for Hamburg are empty")
    l1.get_by_label("Service").select_option(label="Route planner")
    l1.get_by_label("Component").select_option(label="Optimiser")
    l1.get_by_label("Environment").select_option(label="Production")
    l1.get_by_label("Description").fill("Every route planned since 8:00 is empty.")
    l1.get_by_label("Organisation").select_option(label="Nordwind Freight")
    l1.get_by_label("Reporter").select_option("carla")
    l1.get_by_role("button", name="Create case").click()
    expect(l1.locator(".flash")).to_contain_text("created")
    key = l1.locator(".case-key").inner_text().strip()
    expect(l1.locator("#recent-cases")).to_have_count(0)  # on the case page now
    l1.goto("/cases/new/")
    expect(l1.locator("#recent-cases")).to_contain_text(key)

    # L2 escalates it, the RTE triages it: it is in the Routing team's backlog.
    from casebridge.accounts.models import User

    case = Case.objects.get(key=key)
    dora, remy = User.objects.get(username="dora"), User.objects.get(username="remy")
    case = case_transition(actor=dora, case=case, action="take")
    docs = {
        "steps_to_reproduce": "Plan a route for Hamburg",
        "expected_result": "A route",
        "actual_result": "Nothing",
        "version": "7.1",
        "log_excerpt": "ERROR optimiser: no solution",
    }
    case_transition(
        actor=dora, case=case, action="escalate", data={"category": "bug", "docs": docs}
    )
    item = WorkItem.objects.get(cases__key=key)
    work_item_transition(
        actor=remy, item=item, action="triage", data={"priority": "major", "impact": "No routes"}
    )
    dev = new_page()
    sign_in(dev, "sven", PASSWORD)
    expect(dev.get_by_role("link", name="Planning")).to_be_visible()
    dev.goto("/sprints/routing-team/backlog/")
    expect(dev.get_by_text(item.key, exact=True).first).to_be_visible()

    # The audit log shows each change, with who made it and the old and new values.
    admin.goto("/settings/audit/")
    log = admin.locator("#audit-log")
    for subject in (
        "organisation:nordwind-freight",
        "team:routing-team",
        "service:route-planner",
        "component:route-planner/optimiser",
        "user:sven",
        "user:carla",
        "escalation_gate:feature",
        "ladder_policy:junior_needs_mentor",
    ):
        expect(log.locator(f'tr[data-subject="{subject}"]').first).to_be_visible()
    policy = log.locator('tr[data-subject="ladder_policy:junior_needs_mentor"]')
    expect(policy).to_contain_text("min_level")
    expect(policy.locator("td").nth(4)).to_have_text("3")
    expect(policy.locator("td").nth(5)).to_have_text("4")
    admin.get_by_label("What").select_option("escalation_gate")
    admin.get_by_role("button", name="Filter").click()
    expect(log.locator("tbody tr")).to_have_count(1)
    expect(log).to_contain_text("version")
