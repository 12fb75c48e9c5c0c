"""Who may see an attachment (issue 10): a file from support staff is internal unless they say
public, a customer's file is public; the API and the pages take the choice explicitly."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from casebridge.cases.models import Attachment
from casebridge.cases.services import case_transition
from tests import factories

LOG = b"2025-03-03 09:00:01 ERROR upstream gw-7.internal timed out\n" * 3


@pytest.mark.django_db
def test_the_api_upload_is_internal_for_staff_unless_they_say_public(
    api: Any, world: factories.World
) -> None:
    case = factories.make_case(world, by="cust_a")
    l2 = api("l2")
    default = l2.upload(f"/cases/{case.key}/attachments", "gateway.log", LOG)
    public = l2.upload(f"/cases/{case.key}/attachments", "notes.txt", b"public", internal="false")
    internal = l2.upload(f"/cases/{case.key}/attachments", "x.log", LOG, internal="true")
    assert [r.status_code for r in (default, public, internal)] == [201, 201, 201]
    assert [r.json()["internal"] for r in (default, public, internal)] == [True, False, True]
    seen = api("cust_a").get(f"/cases/{case.key}/attachments").json()
    assert [a["filename"] for a in seen] == ["notes.txt"]
    download = api("cust_a").get(f"/cases/{case.key}/attachments/{default.json()['id']}")
    assert download.status_code == 404


@pytest.mark.django_db
def test_a_customers_upload_is_public(api: Any, world: factories.World) -> None:
    case = factories.make_case(world, by="cust_a")
    response = api("cust_a").upload(f"/cases/{case.key}/attachments", "screen.txt", b"x")
    assert response.status_code == 201 and response.json()["internal"] is False
    refused = api("cust_a").upload(f"/cases/{case.key}/attachments", "x.log", LOG, internal="true")
    assert refused.status_code == 422 and set(refused.json()["fields"]) == {"internal"}


@pytest.mark.django_db
def test_a_log_attached_during_an_escalation_is_not_for_the_customer(
    world: factories.World,
) -> None:
    """The escalation page's evidence upload, as a browser posts it with the default choice."""
    case = case_transition(
        actor=world["l2"], case=factories.make_case(world, by="cust_a"), action="take"
    )
    staff = Client()
    staff.force_login(world["l2"])
    page = staff.get(f"/cases/{case.key}/escalate/").content.decode()
    checked = re.search(r'<input[^>]*name="internal"[^>]*value="(\w+)"[^>]*checked', page)
    assert checked is not None and checked.group(1) == "internal"
    upload = SimpleUploadedFile("gateway.log", LOG)
    staff.post(
        f"/cases/{case.key}/attachments/",
        {"file": upload, "from": "escalate", "internal": "internal"},
    )
    bare = SimpleUploadedFile("second.log", LOG)
    staff.post(f"/cases/{case.key}/attachments/", {"file": bare, "from": "escalate"})
    assert list(Attachment.objects.values_list("filename", "internal")) == [
        ("gateway.log", True),
        ("second.log", True),
    ]
    customer = Client()
    customer.force_login(world["cust_a"])
    portal = customer.get(f"/portal/cases/{case.key}/").content.decode()
    assert "gateway.log" not in portal and "second.log" not in portal


@pytest.mark.django_db
def test_staff_may_choose_public_on_the_case_page(world: factories.World) -> None:
    case = factories.make_case(world, by="cust_a")
    staff = Client()
    staff.force_login(world["l2"])
    upload = SimpleUploadedFile("answer.txt", b"Here is the corrected invoice.")
    response = staff.post(f"/cases/{case.key}/attachments/", {"file": upload, "internal": "public"})
    assert response.status_code == 302
    assert Attachment.objects.get().internal is False
