"""The incident pages through the Django test client: the list, declaring from a case or an alert
group, the room (state and role actions with their refusals, the live timeline fragment, notes),
the post-incident review editor, and who may see any of it."""

from __future__ import annotations

import re
from typing import Any

import pytest

from casebridge.incidents.models import Incident, TimelineEntry
from casebridge.incidents.selectors import timeline_of
from casebridge.incidents.services import (
    Declaration,
    incident_declare,
    incident_note_add,
    incident_transition,
)
from casebridge.monitoring.services import anomaly_report
from casebridge.workitems.models import WorkItem
from tests import factories
from tests.web.conftest import field_error, html

pytestmark = pytest.mark.django_db


def declare(world: factories.World, **overrides: Any) -> Incident:
    case = overrides.pop("case", None) or factories.make_case(world)
    data = Declaration(
        title=overrides.pop("title", "Card payments fail"),
        severity=overrides.pop("severity", "sev2"),
        lead=overrides.pop("lead", world["dev3"]),
        owner=overrides.pop("owner", None),
        case=case,
    )
    assert not overrides, overrides
    return incident_declare(actor=world["l2"], data=data)


def act(
    world: factories.World, incident: Incident, action: str, by: str = "dev3", **data: Any
) -> Incident:
    fresh = Incident.objects.get(pk=incident.pk)
    return incident_transition(actor=world[by], incident=fresh, action=action, data=data)


def refusal(page: str) -> str:
    match = re.search(r'<div class="form-errors refusal"[^>]*>(.*?)</div>', page, re.S)
    return match.group(1) if match else ""


def listed(page: str) -> list[str]:
    return re.findall(r'<tr data-incident="(INC-\d+)">', page)


# --- the list -----------------------------------------------------------------------------------


def test_the_list_is_in_the_navigation_and_filters_by_state_and_severity(
    browser_as: Any, world: factories.World, django_assert_max_num_queries: Any
) -> None:
    first = declare(world)
    second = declare(world, severity="sev3", title="Search is slow")
    act(world, second, "mitigate", note="Scaled the indexer")
    client = browser_as("l2")
    with django_assert_max_num_queries(8):
        page = html(client.get("/incidents/"))
    assert 'class="navlink" href="/incidents/"' in page
    assert listed(page) == [second.key, first.key]  # open ones, newest first
    assert listed(html(client.get("/incidents/", {"state": "mitigated"}))) == [second.key]
    assert listed(html(client.get("/incidents/", {"severity": "sev2"}))) == [first.key]
    assert listed(html(client.get("/incidents/", {"state": "closed"}))) == []
    partial = html(client.get("/incidents/", {"severity": "sev3"}, headers={"HX-Request": "true"}))
    assert 'id="incident-list"' in partial and listed(partial) == [second.key]
    assert "<html" not in partial


def test_an_unknown_filter_is_named_beside_its_field(
    browser_as: Any, world: factories.World
) -> None:
    incident = declare(world)
    response = browser_as("l2").get("/incidents/", {"state": "burning", "severity": "sev9"})
    page = html(response)
    assert response.status_code == 422
    assert "burning is not one of the available choices" in field_error(page, "state")
    assert "sev9 is not one of the available choices" in field_error(page, "severity")
    assert listed(page) == [incident.key]  # the bad filters are left out


def test_customers_and_partners_find_no_incident_page(
    browser_as: Any, world: factories.World
) -> None:
    incident = declare(world)
    case = incident.case
    assert case is not None
    key = incident.key
    for who in ("cust_a", "partner"):
        client = browser_as(who)
        for url in (
            "/incidents/",
            "/incidents/declare/",
            f"/incidents/{key}/",
            f"/incidents/{key}/timeline/?after=0",
            f"/incidents/{key}/review/",
            f"/cases/{case.key}/health/",
            "/services/payments/",
        ):
            assert client.get(url).status_code == 404, (who, url)
        for url, data in (
            (f"/incidents/{key}/notes/", {"body": "hello"}),
            (f"/incidents/{key}/actions/mitigate/", {"mitigate-note": "x"}),
            (f"/incidents/{key}/review/save/", {"summary": "x"}),
            ("/incidents/declare/", {"case": case.key, "title": "Mine", "severity": "sev3"}),
        ):
            assert client.post(url, data).status_code == 404, (who, url)
    assert TimelineEntry.objects.filter(incident=incident, kind="note").count() == 0
    assert browser_as("l2").get("/incidents/INC-99/").status_code == 404


# --- declaring ----------------------------------------------------------------------------------


def test_the_case_page_loads_the_health_panel_with_a_declare_form(
    browser_as: Any, world: factories.World
) -> None:
    case = factories.make_case(world)
    client = browser_as("l2")
    assert f'hx-get="/cases/{case.key}/health/"' in html(client.get(f"/cases/{case.key}/"))
    panel = html(client.get(f"/cases/{case.key}/health/", headers={"HX-Request": "true"}))
    assert "Health of Payments" in panel and 'data-testid="health-status"' in panel
    assert 'action="/incidents/declare/"' in panel and f'value="{case.key}"' in panel
    # an L1 agent sees the health but may not declare
    assert 'action="/incidents/declare/"' not in html(
        browser_as("l1").get(f"/cases/{case.key}/health/", headers={"HX-Request": "true"})
    )


def test_declaring_from_a_case_opens_the_room(browser_as: Any, world: factories.World) -> None:
    case = factories.make_case(world)
    client = browser_as("l2")
    response = client.post(
        "/incidents/declare/",
        {"case": case.key, "title": "Checkout down", "severity": "sev2", "lead": "dev3"},
    )
    incident = Incident.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/incidents/{incident.key}/"
    room = html(client.get(response["Location"]))
    assert "Checkout down" in room and "Declared SEV-2" in room
    panel = html(client.get(f"/cases/{case.key}/health/", headers={"HX-Request": "true"}))
    assert f'href="/incidents/{incident.key}/"' in panel
    assert 'action="/incidents/declare/"' not in panel  # one open incident per case


def test_a_refused_declaration_names_every_problem_beside_its_field(
    browser_as: Any, world: factories.World
) -> None:
    case = factories.make_case(world)
    response = browser_as("l2").post(
        "/incidents/declare/",
        {"case": case.key, "title": "x", "severity": "sev1", "lead": "dev2", "owner": ""},
    )
    page = html(response)
    assert response.status_code == 422
    assert "3 to 200 characters" in field_error(page, "title")
    assert "L3+ developer" in field_error(page, "lead") and "dev2" in field_error(page, "lead")
    assert "L4" in field_error(page, "owner")
    assert 'value="x"' in page  # what was typed is kept
    assert not Incident.objects.exists()
    missing = browser_as("l2").post(
        "/incidents/declare/", {"case": "CB-999", "title": "Checkout", "severity": "sev3"}
    )
    assert missing.status_code == 422 and "No case CB-999" in field_error(html(missing), "case")
    refused = browser_as("l1").post(
        "/incidents/declare/",
        {"case": case.key, "title": "Checkout down", "severity": "sev3", "lead": "dev3"},
    )
    assert refused.status_code == 403 and "Only developers" in html(refused)


def test_declaring_from_an_alert_group(browser_as: Any, world: factories.World) -> None:
    group = anomaly_report(
        actor=world["l2"], service=world.services["payments"], summary="Checkout latency doubled"
    )
    client = browser_as("dev3")
    service = html(client.get("/services/payments/"))
    assert 'data-testid="firing-alert"' in service and "Checkout latency doubled" in service
    assert f'href="/incidents/declare/?alert_group={group.key}"' in service
    form = html(client.get("/incidents/declare/", {"alert_group": group.key}))
    assert 'value="Checkout latency doubled"' in form and f'value="{group.key}"' in form
    response = client.post(
        "/incidents/declare/",
        {"alert_group": group.key, "title": "Latency", "severity": "sev3", "lead": "dev3"},
    )
    incident = Incident.objects.get()
    assert response.status_code == 302
    assert (incident.alert_group, incident.case) == (group, group.case)
    service = html(client.get("/services/payments/"))
    assert 'data-testid="open-incident"' in service and incident.key in service
    assert 'data-health="incident"' in service


# --- the room: states and roles -----------------------------------------------------------------


def test_the_room_shows_the_allowed_actions_and_why_others_are_not(
    browser_as: Any, world: factories.World
) -> None:
    incident = declare(world)
    lead = html(browser_as("dev3").get(f"/incidents/{incident.key}/"))
    assert 'data-action="mitigate"' in lead and 'data-action="resolve"' in lead
    assert 'data-action="assign_lead"' in lead and 'data-action="add_participant"' in lead
    bystander = html(browser_as("l2").get(f"/incidents/{incident.key}/"))
    assert '<details class="action-pop" id="action-mitigate"' not in bystander
    assert 'id="unavailable"' in bystander and "Only the incident&#x27;s lead" in bystander
    assert 'data-action="assign_lead"' not in bystander and "roles-refused" in bystander


def test_a_refused_lead_below_l3_shows_the_reason_beside_the_field(
    browser_as: Any, world: factories.World
) -> None:
    incident = declare(world)
    response = browser_as("dev3").post(
        f"/incidents/{incident.key}/actions/assign_lead/", {"assign_lead-lead": "dev2"}
    )
    page = html(response)
    assert response.status_code == 409
    assert "An incident&#x27;s lead is an L3+ developer" in refusal(page)
    assert "L3+ developer" in field_error(page, "lead")
    assert (
        '<details class="action-pop" id="action-assign_lead" data-action="assign_lead" open>'
        in page
    )
    assert Incident.objects.get(pk=incident.pk).lead == world["dev3"]
    ok = browser_as("dev3").post(
        f"/incidents/{incident.key}/actions/assign_lead/", {"assign_lead-lead": "dev4"}
    )
    assert ok.status_code == 302
    assert Incident.objects.get(pk=incident.pk).lead == world["dev4"]


def test_roles_participants_and_their_guides(browser_as: Any, world: factories.World) -> None:
    incident = declare(world)
    client = browser_as("dev3")
    url = f"/incidents/{incident.key}/actions"
    assert client.post(f"{url}/assign_scribe/", {"assign_scribe-scribe": "dev2"}).status_code == 302
    comms = client.post(f"{url}/assign_comms/", {"assign_comms-comms": "dev2"})
    assert comms.status_code == 409 and "from support" in field_error(html(comms), "comms")
    assert client.post(f"{url}/assign_comms/", {"assign_comms-comms": "l2"}).status_code == 302
    junior = client.post(f"{url}/add_participant/", {"add_participant-participant": "dev1"})
    assert junior.status_code == 409 and "name a guide" in field_error(html(junior), "guide")
    guided = client.post(
        f"{url}/add_participant/",
        {"add_participant-participant": "dev1", "add_participant-guide": "dev3"},
    )
    assert guided.status_code == 302
    page = html(client.get(f"/incidents/{incident.key}/"))
    assert 'data-participant="dev1"' in page and "guided by" in page
    assert "Scribe" in page and 'data-testid="role-comms">l2' in page.replace("\n", "")
    unknown = client.post(f"{url}/assign_scribe/", {"assign_scribe-scribe": "nobody"})
    assert unknown.status_code == 409 and "No user &#x27;nobody&#x27;" in field_error(
        html(unknown), "scribe"
    )


def test_a_state_action_needs_its_note(browser_as: Any, world: factories.World) -> None:
    incident = declare(world)
    client = browser_as("dev3")
    bare = client.post(f"/incidents/{incident.key}/actions/mitigate/", {})
    assert bare.status_code == 409
    assert "Say what mitigated the impact" in field_error(html(bare), "note")
    done = client.post(
        f"/incidents/{incident.key}/actions/mitigate/", {"mitigate-note": "Rolled back"}
    )
    assert done.status_code == 302
    page = html(client.get(f"/incidents/{incident.key}/"))
    assert "inc-mitigated" in page and "Active → Mitigated: Rolled back" in page
    assert client.post(f"/incidents/{incident.key}/actions/explode/", {}).status_code == 404


def test_the_room_reads_a_bounded_number_of_queries(
    browser_as: Any, world: factories.World, django_assert_max_num_queries: Any
) -> None:
    incident = declare(world)
    for n in range(6):
        incident_note_add(actor=world["dev3"], incident=incident, body=f"Finding {n}")
    for person in ("devops", "dev2", "dev4"):
        act(world, incident, "add_participant", participant=person)
    client = browser_as("dev3")
    with django_assert_max_num_queries(14):
        room = html(client.get(f"/incidents/{incident.key}/"))
    assert room.count('class="ev ev-') == 10 and room.count("data-participant=") == 3
    with django_assert_max_num_queries(6):
        assert client.get(f"/incidents/{incident.key}/timeline/?after=0").status_code == 200
    act(world, incident, "resolve", note="Fixed")
    act(world, incident, "start_review", review_lead="dev3")
    with django_assert_max_num_queries(11):
        assert client.get(f"/incidents/{incident.key}/review/").status_code == 200


# --- the live timeline and notes ----------------------------------------------------------------


def test_the_timeline_fragment_answers_only_new_entries(
    browser_as: Any, world: factories.World
) -> None:
    incident = declare(world)
    client = browser_as("dev2")
    room = html(client.get(f"/incidents/{incident.key}/"))
    last = timeline_of(incident)[-1].pk
    assert f'hx-get="/incidents/{incident.key}/timeline/?after={last}"' in room
    assert 'hx-trigger="every 3s, timeline-changed from:body"' in room
    url = f"/incidents/{incident.key}/timeline/"
    assert client.get(url, {"after": last}).status_code == 204
    note = client.post(
        f"/incidents/{incident.key}/notes/",
        {"body": "p99 back under 300 ms"},
        headers={"HX-Request": "true"},
    )
    assert note.status_code == 200 and note["HX-Trigger"] == "timeline-changed"
    assert 'id="note-form"' in html(note) and "p99 back" not in html(note)
    fragment = html(client.get(url, {"after": last}))
    entry = timeline_of(incident)[-1]
    assert "p99 back under 300 ms" in fragment and f'data-entry="{entry.pk}"' in fragment
    assert f'data-entry="{last}"' not in fragment  # only the new ones
    assert f'hx-swap-oob="true" hx-get="{url}?after={entry.pk}"' in fragment
    assert client.get(url, {"after": entry.pk}).status_code == 204


def test_an_empty_note_is_refused_beside_the_field(browser_as: Any, world: factories.World) -> None:
    incident = declare(world)
    client = browser_as("dev2")
    partial = client.post(
        f"/incidents/{incident.key}/notes/", {"body": "  "}, headers={"HX-Request": "true"}
    )
    assert partial.status_code == 422 and "Write 1 to" in field_error(html(partial), "body")
    full = client.post(f"/incidents/{incident.key}/notes/", {"body": ""})
    assert full.status_code == 422 and "Write 1 to" in field_error(html(full), "body")
    ok = client.post(f"/incidents/{incident.key}/notes/", {"body": "Looking at the pool"})
    assert ok.status_code == 302 and ok["Location"].endswith("#timeline")
    reporter = browser_as("rte").post(f"/incidents/{incident.key}/notes/", {"body": "Me too"})
    assert reporter.status_code == 403 and "Only the incident staff" in html(reporter)


# --- the post-incident review -------------------------------------------------------------------


def in_review(world: factories.World) -> Incident:
    incident = declare(world)
    act(world, incident, "resolve", note="Pool resized")
    return act(world, incident, "start_review", review_lead="dev3")


REVIEW = {
    "summary": "Checkout failed for 40 minutes",
    "root_cause": "The connection pool was too small for the sale",
    "impact": "Card payments failed",
    "duration_minutes": "40",
    "customers_affected": "1200",
    "went_well": "Fast rollback",
    "went_badly": "Late alert",
}


def test_the_review_starts_with_an_l3_plus_lead(browser_as: Any, world: factories.World) -> None:
    incident = declare(world)
    act(world, incident, "resolve", note="Pool resized")
    client = browser_as("dev3")
    assert "The review has not started" in html(client.get(f"/incidents/{incident.key}/review/"))
    junior = client.post(
        f"/incidents/{incident.key}/actions/start_review/", {"start_review-review_lead": "dev2"}
    )
    assert junior.status_code == 409
    assert "A post-incident review is led by an L3+" in field_error(html(junior), "review_lead")
    ok = client.post(
        f"/incidents/{incident.key}/actions/start_review/", {"start_review-review_lead": "dev3"}
    )
    assert ok.status_code == 302
    assert 'class="review-form"' in html(client.get(f"/incidents/{incident.key}/review/"))


def test_the_review_editor_refuses_bad_numbers_beside_their_fields(
    browser_as: Any, world: factories.World
) -> None:
    incident = in_review(world)
    client = browser_as("dev3")
    url = f"/incidents/{incident.key}/review/save/"
    typed = client.post(url, {**REVIEW, "duration_minutes": "forty"})
    assert typed.status_code == 422 and "whole number" in field_error(
        html(typed), "duration_minutes"
    )
    negative = client.post(url, {**REVIEW, "customers_affected": "-3"})
    assert negative.status_code == 422
    assert "0 or more" in field_error(html(negative), "customers_affected")
    assert "Checkout failed for 40 minutes" in html(negative)  # kept
    stranger = browser_as("l2").post(url, REVIEW)
    assert stranger.status_code == 403 and "The review is written by its lead" in html(stranger)
    assert client.post(url, REVIEW).status_code == 302


def test_the_incident_closes_only_when_every_action_item_is_owned_work(
    browser_as: Any, world: factories.World
) -> None:
    incident = in_review(world)
    client = browser_as("dev3")
    base = f"/incidents/{incident.key}/review"
    client.post(f"{base}/save/", REVIEW)
    short = client.post(f"{base}/items/", {"new-title": "x", "new-kind": "improvement"})
    assert short.status_code == 422 and "3 to 200" in field_error(html(short), "title")
    added = client.post(
        f"{base}/items/", {"new-title": "Size the pool from load tests", "new-kind": "improvement"}
    )
    assert added.status_code == 302
    page = html(client.get(f"{base}/"))
    assert "Action item &#x27;Size the pool from load tests&#x27; has no owner" in page
    assert "Close the incident" not in page
    closing = client.post(f"/incidents/{incident.key}/actions/close/", {})
    assert closing.status_code == 409 and "has no owner" in refusal(html(closing))
    item = incident.action_items.get()
    nobody = client.post(f"{base}/items/{item.pk}/owner/", {f"item-{item.pk}-owner": ""})
    assert nobody.status_code == 422 and "Choose who owns it" in field_error(html(nobody), "owner")
    owned = client.post(f"{base}/items/{item.pk}/owner/", {f"item-{item.pk}-owner": "dev2"})
    assert owned.status_code == 302
    work_item = WorkItem.objects.get(title="Size the pool from load tests")
    assert work_item.category == "improvement"
    bug = client.post(
        f"{base}/items/",
        {"new-title": "Alert on pool saturation", "new-kind": "bug", "new-owner": "dev3"},
    )
    assert bug.status_code == 302
    page = html(client.get(f"{base}/"))
    assert 'data-testid="closing-ready"' in page and "Close the incident" in page
    assert work_item.key in page and WorkItem.objects.get(category="bug").key in page
    closed = client.post(f"/incidents/{incident.key}/actions/close/", {})
    assert closed.status_code == 302
    room = html(client.get(f"/incidents/{incident.key}/"))
    assert "inc-closed" in room and 'id="note-form"' not in room
    assert "hx-get" not in room.split('id="timeline-poll"')[1].split(">")[0]  # polling stops


# --- failed intake payloads ---------------------------------------------------------------------


def test_admins_are_pointed_to_failed_payloads_and_retry_them_in_the_admin(
    browser_as: Any, world: factories.World
) -> None:
    from unittest import mock

    from casebridge.monitoring.models import Payload
    from casebridge.monitoring.worker import payloads_fold
    from tests.monitoring.helpers import Sender, alert, make_integration, webhook

    integration, secret = make_integration(world)
    Sender(integration, secret).post(webhook(alert("Unreadable")))
    with mock.patch("casebridge.monitoring.ahead.events_of", side_effect=ValueError("boom")):
        payloads_fold()
    payload = Payload.objects.get(state="failed")
    admin = browser_as("admin")
    listing = html(admin.get("/incidents/"))
    assert 'data-testid="failed-payloads"' in listing
    assert "/admin/monitoring/payload/?state__exact=failed" in listing
    assert 'data-testid="failed-payloads"' not in html(browser_as("dev3").get("/incidents/"))
    changelist = admin.get("/admin/monitoring/payload/", {"state__exact": "failed"})
    assert changelist.status_code == 200 and "boom" in html(changelist)
    retried = admin.post(
        "/admin/monitoring/payload/",
        {"action": "retry", "_selected_action": [str(payload.pk)]},
    )
    assert retried.status_code == 302
    assert Payload.objects.get(pk=payload.pk).state == "pending"
