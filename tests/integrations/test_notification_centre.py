"""The notification centre: the header's unread count, the list, mark read, links to the
object, preferences and watches, by page and by API; each person sees only their own."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import transaction
from django.test import Client

from casebridge.integrations.models import Notification, NotificationPreference, Watch
from casebridge.integrations.notifications import notify
from tests import factories

pytestmark = pytest.mark.django_db


def _notes(user: Any, n: int = 2, url: str = "/cases/CB-1/") -> list[Notification]:
    with transaction.atomic():
        for i in range(n):
            notify(users=[user], subject_key="CB-1", message=f"Note {i}", url=url)
    return list(Notification.objects.filter(user=user))


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_api_lists_and_marks_only_my_notifications(world: factories.World, api: Any) -> None:
    mine = _notes(world["l2"], 3)
    theirs = _notes(world["l2b"], 1)
    body = api("l2").get("/notifications").json()
    assert body["unread"] == 3 and len(body["items"]) == 3
    assert {i["message"] for i in body["items"]} == {"Note 0", "Note 1", "Note 2"}

    assert api("l2").post(f"/notifications/{theirs[0].pk}/read").status_code == 404
    answer = api("l2").post(f"/notifications/{mine[0].pk}/read").json()
    assert answer == {"marked": 1, "unread": 2}
    assert api("l2").get("/notifications", unread="true").json()["unread"] == 2
    # ids of someone else's are ignored; none given: all mine
    assert api("l2").post("/notifications/read", {"ids": [theirs[0].pk]}).json()["marked"] == 0
    assert api("l2").post("/notifications/read", {}).json() == {"marked": 2, "unread": 0}
    assert Notification.objects.get(pk=theirs[0].pk).read_at is None


def test_bad_input_to_the_api_names_the_field(world: factories.World, api: Any) -> None:
    answer = api("l2").post("/notifications/read", {"ids": [0]})
    assert answer.status_code == 422 and "ids" in str(answer.json())
    assert api("l2").get("/notifications", limit="9999").status_code == 422
    client = api("l2")
    raw = client.client.put(
        "/api/v1/notifications/preferences",
        '{"preferences": {"nonsense": {"in_app": true, "email": false, "digest": false}}}',
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {client.token}",
    )
    assert raw.status_code == 422 and "kind" in raw.json()["fields"]
    # a customer cannot choose kinds about internal work
    customer = api("cust_a")
    raw = customer.client.put(
        "/api/v1/notifications/preferences",
        '{"preferences": {"review_requested": {"in_app": true, "email": true, "digest": false}}}',
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {customer.token}",
    )
    assert raw.status_code == 422


def test_preferences_by_api(world: factories.World, api: Any) -> None:
    client = api("l2")
    kinds = {p["kind"]: p for p in client.get("/notifications/preferences").json()}
    assert kinds["mentioned"]["email"] is True and kinds["watching"]["email"] is False
    raw = client.client.put(
        "/api/v1/notifications/preferences",
        '{"preferences": {"watching": {"in_app": false, "email": false, "digest": true}}}',
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {client.token}",
    )
    assert raw.status_code == 200
    row = NotificationPreference.objects.get(user=world["l2"], kind="watching")
    assert (row.in_app, row.email, row.digest) == (False, False, True)
    with transaction.atomic():
        notify(users=[world["l2"]], subject_key="CB-1", message="x", kind="watching")
    note = Notification.objects.get(user=world["l2"])
    assert note.digest and not note.in_app
    assert client.get("/notifications").json()["unread"] == 0  # kept for the digest only


def test_watches_by_api_check_the_viewer(world: factories.World, api: Any) -> None:
    case = factories.make_case(world)  # organisation A
    client = api("cust_a")
    answer = client.client.put(
        f"/api/v1/watches/case/{case.key}", HTTP_AUTHORIZATION=f"Bearer {client.token}"
    )
    assert answer.status_code == 200 and answer.json()["changed"] is True
    assert client.get("/watches").json() == [{"subject_type": "case", "key": case.key}]
    other = api("cust_b")
    answer = other.client.put(
        f"/api/v1/watches/case/{case.key}", HTTP_AUTHORIZATION=f"Bearer {other.token}"
    )
    assert answer.status_code == 404
    answer = other.client.put(
        "/api/v1/watches/planet/X-1", HTTP_AUTHORIZATION=f"Bearer {other.token}"
    )
    assert answer.status_code == 422
    answer = client.client.delete(
        f"/api/v1/watches/case/{case.key}", HTTP_AUTHORIZATION=f"Bearer {client.token}"
    )
    assert answer.json()["changed"] is True and client.get("/watches").json() == []


def test_the_header_shows_the_unread_count_and_the_list_marks_read(
    world: factories.World,
) -> None:
    notes = _notes(world["l2"], 2)
    client = _client(world["l2"])
    page = client.get("/notifications/").content.decode()
    assert 'id="notification-bell"' in page and 'hx-trigger="load, every 60s' in page
    assert "Note 0" in page and "Note 1" in page
    bell = client.get("/notifications/bell/").content.decode()
    assert 'class="bell-count">2<' in bell

    row = client.post(f"/notifications/{notes[0].pk}/read/", HTTP_HX_REQUEST="true")
    assert row.status_code == 200 and row["HX-Trigger"] == "notifications-changed"
    assert "Mark read" not in row.content.decode()
    opened = client.get(f"/notifications/{notes[1].pk}/open/")
    assert opened.status_code == 302 and opened["Location"] == "/cases/CB-1/"
    assert "bell-count" not in client.get("/notifications/bell/").content.decode()
    # another person's notification does not exist for me
    assert _client(world["l2b"]).get(f"/notifications/{notes[0].pk}/open/").status_code == 404


def test_mark_all_read_and_an_outside_url_is_never_followed(world: factories.World) -> None:
    [note] = _notes(world["l2"], 1, url="//evil.example/")
    client = _client(world["l2"])
    assert client.get(f"/notifications/{note.pk}/open/")["Location"] == "/notifications/"
    _notes(world["l2"], 2)
    client.post("/notifications/read/")
    assert not Notification.objects.filter(user=world["l2"], read_at__isnull=True).exists()


def test_settings_page_saves_preferences_and_unwatches(world: factories.World) -> None:
    client = _client(world["l2"])
    page = client.get("/notifications/settings/").content.decode()
    assert "Someone mentioned me" in page and "SLA warnings" in page
    client.post("/notifications/settings/", {"mentioned.in_app": "on", "mentioned.digest": "on"})
    row = NotificationPreference.objects.get(user=world["l2"], kind="mentioned")
    assert (row.in_app, row.email, row.digest) == (True, False, True)

    case = factories.make_case(world)
    answer = client.post(f"/notifications/watch/case/{case.key}/", {"watch": "1"})
    assert answer.status_code == 302
    assert case.key in client.get("/notifications/settings/").content.decode()
    toggled = client.post(
        f"/notifications/watch/case/{case.key}/", {"watch": "0"}, HTTP_HX_REQUEST="true"
    )
    assert ">Watch<" in toggled.content.decode()
    customer = _client(world["cust_a"])
    assert "Review requested" not in customer.get("/notifications/settings/").content.decode()
    assert customer.post("/notifications/watch/work_item/BUG-1/", {"watch": "1"}).status_code == 404
    assert not Watch.objects.exists()


def test_case_work_item_and_incident_pages_load_their_watch_button(
    world: factories.World,
) -> None:
    case = factories.make_case(world)
    staff = _client(world["l2"])
    page = staff.get(f"/cases/{case.key}/").content.decode()
    assert f'hx-get="/notifications/watch/case/{case.key}/"' in page
    button = staff.get(f"/notifications/watch/case/{case.key}/").content.decode()
    assert ">Watch<" in button
    staff.post(f"/notifications/watch/case/{case.key}/", {"watch": "1"})
    assert "Watching" in staff.get(f"/notifications/watch/case/{case.key}/").content.decode()
    portal = _client(world["cust_a"]).get(f"/portal/cases/{case.key}/").content.decode()
    assert f"/notifications/watch/case/{case.key}/" in portal
    assert _client(world["cust_b"]).get(f"/notifications/watch/case/{case.key}/").status_code == 404
    assert staff.get("/notifications/watch/incident/INC-999/").status_code == 404
