"""The main pages render in Chromium on a realistic little data set, with screenshots.

A smoke test of the pages as a browser draws them; the images land in $CASEBRIDGE_SHOTS
(default /tmp/shots), which is how docs/screenshot.png is refreshed.
"""

from __future__ import annotations

import io
import random
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.utils import timezone

from tests import factories
from tests.e2e.conftest import PASSWORD, SHOTS, sign_in

pytestmark = [pytest.mark.e2e]

TITLES = [
    ("payments", "checkout-api", "Checkout returns 502 for Visa cards after 3DS step", "critical"),
    ("payments", "refunds", "Partial refund stuck in 'pending' for 2 days", "medium"),
    ("search", "indexer", "New products missing from search results", "high"),
    ("payments", "checkout-api", "Timeout on /v2/charge during evening peak", "high"),
    ("identity", "sso", "SAML login loops back to the sign-in page", "high"),
    ("identity", "mfa", "MFA codes by SMS arrive after they expire", "medium"),
    ("search", "indexer", "Search suggestions show discontinued items", "low"),
    ("notifications", "email", "Order confirmation e-mails land in spam for Outlook", "medium"),
    ("payments", "refunds", "Refund webhook sent twice for one refund", "medium"),
    ("notifications", "push", "Push notifications not delivered on Android 14", "high"),
    ("identity", "sso", "Password reset link says 'expired' immediately", "medium"),
    ("search", "indexer", "Facet counts do not add up after reindex", "low"),
    ("payments", "checkout-api", "Apple Pay button missing in Safari 17", "medium"),
    ("notifications", "email", "Invoice PDF attachment is empty", "high"),
    ("payments", "refunds", "Refund amount rounded wrong for JPY orders", "low"),
    ("identity", "mfa", "Authenticator app enrolment QR code does not load", "medium"),
    ("search", "indexer", "Search returns 500 for queries with an apostrophe", "high"),
    ("notifications", "push", "Duplicate 'order shipped' push for split deliveries", "low"),
    ("payments", "checkout-api", "3DS challenge window blank on iOS in-app browser", "high"),
    ("identity", "sso", "Okta users logged out every 10 minutes", "critical"),
]
DESCRIPTIONS = [
    "Since this morning several customers report the problem. Support reproduced it once.",
    "Reported by the customer's operations team; started after the last release.",
    "Intermittent: about one request in twenty. No workaround known yet.",
    "Seen in production only; staging behaves correctly with the same data.",
]


PEOPLE = {
    "dana": ("Dana", "Kowalski", "l2_engineer", ""),
    "omar": ("Omar", "Haddad", "l2_engineer", ""),
    "liam": ("Liam", "O'Brien", "l1_agent", ""),
    "alice": ("Alice", "Martin", "reporter", "a"),
    "bella": ("Bella", "Novak", "reporter", "b"),
}


def _people(world: factories.World) -> None:
    from casebridge.accounts.models import User
    from casebridge.accounts.services import user_create

    for username, (first, last, role, org) in PEOPLE.items():
        user = user_create(
            actor=None,
            username=username,
            email=f"{username}@example.com",
            roles=[role],
            organisation=world.orgs.get(org),
            password=PASSWORD,
            first_name=first,
            last_name=last,
        )
        world.users[username] = User.objects.prefetch_related("role_grants").get(pk=user.pk)


def _seed(world: factories.World) -> None:
    from casebridge.cases.attachments import attachment_add
    from casebridge.cases.services import case_transition, comment_add
    from casebridge.knowledge.services import KnownResolutionInput, known_resolution_create

    for name, comps in (
        ("Identity", [("SSO", True), ("MFA", False)]),
        ("Notifications", [("Email", False), ("Push", False)]),
    ):
        service = factories.make_service(name, comps)
        world.services[service.slug] = service
        for component in service.components.all():
            world.components[component.slug] = component
    _people(world)
    rng = random.Random(4)
    now = timezone.now()
    known = known_resolution_create(
        actor=world["dana"],
        data=KnownResolutionInput(
            title="Payment gateway connection pool exhausted",
            symptoms="502 from /v2/charge; 'pool exhausted' in gateway logs",
            steps="1. Check pool metrics\n2. Restart payment-gateway pods one by one",
            fix_kind="restart_service",
            services=[world.services["payments"]],
        ),
    )
    for i in range(26):
        service, component, title, impact = TITLES[i % len(TITLES)]
        opened = now - timedelta(hours=rng.randint(1, 24 * 20))
        with time_machine.travel(opened, tick=False):
            case = factories.make_case(
                world,
                by=rng.choice(["liam", "liam", "dana", "alice", "bella"]),
                org=rng.choice(["a", "b"]),
                title=title if i < len(TITLES) else f"{title} (again)",
                service=world.services[service],
                component=world.components[component],
                impact=impact,
                description=rng.choice(DESCRIPTIONS),
            )
        fate = rng.random()
        with time_machine.travel(opened + timedelta(minutes=40), tick=False):
            if fate < 0.25:
                continue
            engineer = world[rng.choice(["dana", "omar"])]
            case = case_transition(actor=engineer, case=case, action="take")
            comment_add(actor=engineer, case=case, body="Looking at the logs now.", internal=True)
            if fate < 0.42:
                continue
            if fate < 0.52:
                case_transition(
                    actor=engineer,
                    case=case,
                    action="request_info",
                    data={"question": "Which browser and version do you use?"},
                )
            elif fate < 0.76:
                case_transition(
                    actor=engineer,
                    case=case,
                    action="resolve",
                    data={
                        "resolution": "known_fix",
                        "known_resolution": known.key,
                        "action_taken": "Restarted payment-gateway pods.",
                    },
                )
            else:
                log = b"2024-05-01 10:00:01 ERROR upstream timed out\n" * 5
                attachment_add(
                    actor=engineer, case=case, upload=io.BytesIO(log), filename="gateway.log"
                )
                case_transition(
                    actor=engineer,
                    case=case,
                    action="escalate",
                    data={
                        "category": "bug",
                        "docs": {
                            "steps_to_reproduce": "Pay with a Visa test card",
                            "expected_result": "Paid",
                            "actual_result": "502",
                        },
                    },
                )


def test_screenshots(e2e_world: factories.World, new_page: Any) -> None:
    from casebridge.cases.models import Case

    _seed(e2e_world)
    SHOTS.mkdir(parents=True, exist_ok=True)
    page = new_page(width=1440, height=1000)
    sign_in(page, "dana")
    page.goto("/cases/")
    page.screenshot(path=str(SHOTS / "queue.png"))
    page.goto("/cases/?state=all")
    page.screenshot(path=str(SHOTS / "queue-all.png"))
    case = Case.objects.filter(state="investigating").order_by("-created_at").first()
    assert case is not None
    page.goto(f"/cases/{case.key}/")
    page.screenshot(path=str(SHOTS / "case.png"), full_page=True)
    fresh = Case.objects.filter(state="new").order_by("-created_at").first()
    if fresh:
        page.goto(f"/cases/{fresh.key}/")
        page.get_by_role("button", name="Assign").click()
        page.screenshot(path=str(SHOTS / "case-new.png"))
    escalated = Case.objects.filter(state="escalated").first()
    if escalated:
        page.goto(f"/cases/{escalated.key}/")
        page.screenshot(path=str(SHOTS / "case-escalated.png"), full_page=True)
        assert escalated.work_item is not None
        page.goto(f"/work-items/{escalated.work_item.key}/")
        page.screenshot(path=str(SHOTS / "work-item.png"), full_page=True)
    page.goto(f"/cases/{case.key}/escalate/")
    page.screenshot(path=str(SHOTS / "escalate-start.png"), full_page=True)
    page.get_by_text("Bug", exact=True).click()
    page.screenshot(path=str(SHOTS / "escalate-live.png"), full_page=True)
    page.get_by_role("button", name="Escalate to development").click()
    page.screenshot(path=str(SHOTS / "escalate.png"), full_page=True)
    page.goto(f"/cases/{case.key}/?apply=KR-1#action-resolve")
    page.screenshot(path=str(SHOTS / "resolve.png"))
    page.goto("/knowledge/")
    page.screenshot(path=str(SHOTS / "knowledge.png"))
    page.goto("/cases/new/")
    page.screenshot(path=str(SHOTS / "new.png"), full_page=True)
    customer = new_page(width=1280, height=900)
    sign_in(customer, "alice")
    customer.goto("/portal/")
    customer.screenshot(path=str(SHOTS / "portal.png"))
    mine = Case.objects.filter(organisation__slug="acme").order_by("-created_at").first()
    if mine:
        customer.goto(f"/portal/cases/{mine.key}/")
        customer.screenshot(path=str(SHOTS / "portal-case.png"), full_page=True)
    anonymous = new_page(width=1280, height=800)
    anonymous.goto("/login/")
    anonymous.screenshot(path=str(SHOTS / "login.png"))
