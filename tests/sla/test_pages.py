"""The SLA settings pages: administrators only, errors beside the field, ordering."""

from __future__ import annotations

from django.test import Client

from casebridge.sla.models import Calendar, Policy
from tests import factories


def login(world: factories.World, name: str) -> Client:
    client = Client()
    client.force_login(world[name])
    return client


def test_only_administrators_see_the_pages(world: factories.World) -> None:
    assert login(world, "l2").get("/settings/sla/").status_code == 404
    assert login(world, "cust_a").get("/settings/sla/").status_code == 404
    page = login(world, "admin").get("/settings/sla/")
    assert page.status_code == 200 and b"No policy yet" in page.content


def test_admin_adds_a_calendar_and_policies_and_orders_them(world: factories.World) -> None:
    admin = login(world, "admin")
    bad = admin.post("/settings/sla/calendars/new/", {"name": "Office", "timezone": "Nowhere/X",
                                                     "hours_mon": "9-17"})  # fmt: skip
    assert bad.status_code == 422
    assert "Use an IANA time zone" in bad.content.decode()
    assert "Write spans such as 09:00-17:00." in bad.content.decode()
    form = {"name": "Berlin office", "timezone": "Europe/Berlin", "holiday_country": "DE"}
    form |= {f"hours_{d}": "09:00-17:00" for d in ("mon", "tue", "wed", "thu", "fri")}
    assert admin.post("/settings/sla/calendars/new/", form).status_code == 302
    assert Calendar.objects.get(slug="berlin-office").hours["fri"] == [["09:00", "17:00"]]
    missing = admin.post("/settings/sla/policies/new/", {"name": "Std", "calendar": "berlin-office",
                                                        "warn_percent": 75})  # fmt: skip
    assert "Give at least one target." in missing.content.decode()
    for name, impact in (("Standard", ""), ("Critical", "critical")):
        data = {"name": name, "calendar": "berlin-office", "warn_percent": 75,
                "first_response_minutes": 60, "pause_states": ["waiting_on_reporter"]}  # fmt: skip
        if impact:
            data["impacts"] = [impact]
        assert admin.post("/settings/sla/policies/new/", data).status_code == 302
    assert [p.slug for p in Policy.objects.all()] == ["standard", "critical"]
    admin.post("/settings/sla/policies/critical/move/", {"direction": "up"})
    assert [p.slug for p in Policy.objects.all()] == ["critical", "standard"]
    page = admin.get("/settings/sla/").content.decode().split('data-testid="sla-policies"')[1]
    assert page.index("Critical") < page.index("Standard")
    assert "impact critical" in page and "every case" in page
