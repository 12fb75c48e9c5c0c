"""Fix targets for work items from the settings page (HTMX form, errors beside the fields) and
/api/v1/sla-item-targets (JSON 4xx naming the field); administrators write, staff read."""

from __future__ import annotations

from typing import Any

from django.test import Client

from casebridge.audit.models import AuditEvent
from casebridge.sla.calendars import calendar_create
from casebridge.sla.models import ItemPolicy, TickCursor
from tests import factories

TARGETS = "/sla-item-targets"


def _calendar(world: factories.World) -> str:
    return calendar_create(actor=world["admin"], name="24x7", always_open=True).slug


def test_the_api_lists_creates_changes_and_deletes_fix_targets(
    world: factories.World, api: Any
) -> None:
    cal = _calendar(world)
    admin = api("admin")
    body = {"name": "Critical bugs", "calendar": cal, "categories": ["bug"],
            "priorities": ["critical"], "fix_minutes": 2880, "lead": "l2b"}  # fmt: skip
    made = admin.post(TARGETS, body)
    assert made.status_code == 201, made.content
    assert made.json()["slug"] == "critical-bugs" and made.json()["lead"] == "l2b"
    assert TickCursor.objects.get(name="items").pending
    assert [t["slug"] for t in api("l2").get(TARGETS).json()] == ["critical-bugs"]
    changed = admin.patch(f"{TARGETS}/critical-bugs", {"fix_minutes": 1440, "active": False})
    assert changed.status_code == 200, changed.content
    assert changed.json()["fix_minutes"] == 1440 and not changed.json()["active"]
    assert api("l2").get(f"{TARGETS}/critical-bugs").json()["fix_minutes"] == 1440
    assert AuditEvent.objects.filter(subject_type="sla_item_policy", action="updated").exists()
    gone = admin.client.delete(f"/api/v1{TARGETS}/critical-bugs", **admin._headers())
    assert gone.status_code == 200 and gone.json() == {"deleted": "critical-bugs"}
    assert not ItemPolicy.objects.exists()
    assert api("admin").get(f"{TARGETS}/critical-bugs").status_code == 404


def test_the_api_names_the_field_it_refuses(world: factories.World, api: Any) -> None:
    cal = _calendar(world)
    admin = api("admin")
    bad = admin.post(TARGETS, {"name": "X", "calendar": cal, "categories": ["nonsense"],
                               "fix_minutes": 60})  # fmt: skip
    assert bad.status_code == 422 and "categories" in bad.json()["fields"], bad.content
    bad = admin.post(TARGETS, {"name": "X", "calendar": "nope", "fix_minutes": 60})
    assert bad.status_code == 422 and "calendar" in bad.json()["fields"], bad.content
    bad = admin.post(TARGETS, {"name": "X", "calendar": cal, "fix_minutes": 0})
    assert bad.status_code == 422 and "fix_minutes" in str(bad.json()), bad.content
    admin.post(TARGETS, {"name": "X", "calendar": cal, "fix_minutes": 60})
    bad = admin.post(TARGETS, {"name": "X", "calendar": cal, "fix_minutes": 60})
    assert bad.status_code == 422 and "slug" in bad.json()["fields"], bad.content
    bad = admin.patch(f"{TARGETS}/x", {"lead": "nobody-here"})
    assert bad.status_code == 422 and "lead" in bad.json()["fields"], bad.content
    refused = api("l2").post(TARGETS, {"name": "Y", "calendar": cal, "fix_minutes": 60})
    assert refused.status_code == 403
    assert api("cust_a").get(TARGETS).status_code in (403, 404)


def test_an_admin_sets_a_fix_target_on_the_settings_page(world: factories.World) -> None:
    cal = _calendar(world)
    client = Client()
    client.force_login(world["admin"])
    page = client.get("/settings/sla/")
    assert b"Fix targets for work items" in page.content
    assert client.get("/settings/sla/item-targets/new/").status_code == 200
    htmx = {"HTTP_HX_REQUEST": "true"}
    refused = client.post("/settings/sla/item-targets/new/",
                          {"name": "Bugs", "calendar": cal, "fix_minutes": "0",
                           "warn_percent": "75"}, **htmx)  # fmt: skip
    assert refused.status_code == 422
    html = refused.content.decode()
    assert html.lstrip().startswith("<form") and 'data-testid="item-target-form"' in html
    assert "id_fix_minutes_error" in html and "field-error" in html
    saved = client.post("/settings/sla/item-targets/new/",
                        {"name": "Bugs", "calendar": cal, "fix_minutes": "2880",
                         "warn_percent": "75", "categories": ["bug"], "active": "on"},
                        **htmx)  # fmt: skip
    assert saved.status_code == 204 and saved["HX-Redirect"] == "/settings/sla/"
    target = ItemPolicy.objects.get(slug="bugs")
    assert target.categories == ["bug"] and target.fix_minutes == 2880
    edited = client.post("/settings/sla/item-targets/bugs/",
                         {"name": "Bugs", "calendar": cal, "fix_minutes": "1440",
                          "warn_percent": "80", "active": "on"})  # fmt: skip
    assert edited.status_code == 302
    assert ItemPolicy.objects.get(slug="bugs").warn_percent == 80
    assert b"Bugs" in client.get("/settings/sla/").content
    assert client.post("/settings/sla/item-targets/bugs/delete/").status_code == 302
    assert not ItemPolicy.objects.exists()


def test_only_administrators_see_the_fix_target_pages(world: factories.World) -> None:
    client = Client()
    client.force_login(world["l2"])
    assert client.get("/settings/sla/item-targets/new/").status_code == 404
