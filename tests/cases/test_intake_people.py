"""Who a case is for and who reported it (issue 10): customers report for their own
organisation only; an agent logging a call names the caller, one of the chosen organisation's
people, and is recorded as the one who logged it."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client

from casebridge.cases.models import Case
from tests import factories
from tests.contract.support import snapshot

NEW = {"title": "Invoices show the wrong VAT", "service": "payments", "environment": "production"}


def signed_in(world: factories.World, username: str) -> Client:
    client = Client()
    client.force_login(world[username])
    return client


@pytest.mark.django_db
def test_a_customer_cannot_open_a_case_for_another_organisation(
    api: Any, world: factories.World
) -> None:
    before = snapshot()
    response = api("cust_a").post("/cases", {**NEW, "organisation": "borealis"})
    assert response.status_code == 422
    assert set(response.json()["fields"]) == {"organisation"}
    assert "Acme Retail" in response.json()["fields"]["organisation"]
    assert snapshot() == before
    own = api("cust_a").post("/cases", {**NEW, "organisation": "acme"})
    assert own.status_code == 201 and own.json()["organisation"] == "acme"


@pytest.mark.django_db
def test_an_agent_logs_a_call_in_the_callers_name(api: Any, world: factories.World) -> None:
    response = api("l1").post("/cases", {**NEW, "organisation": "acme", "reporter": "cust_a"})
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["reporter"]["username"], body["logged_by"]["username"]) == ("cust_a", "l1")
    assert body["organisation"] == "acme"
    seen = api("cust_a").get(f"/cases/{body['key']}").json()
    assert seen["reporter"]["username"] == "cust_a"
    portal = signed_in(world, "cust_a").get(f"/portal/cases/{body['key']}/").content.decode()
    assert re.search(r"<dt>Reporter</dt><dd>cust_a</dd>", portal)
    assert re.search(r'data-testid="logged-by">l1 \(support\)<', portal)


@pytest.mark.django_db
def test_a_case_logged_by_its_reporter_names_them_both_ways(
    api: Any, world: factories.World
) -> None:
    body = api("cust_a").post("/cases", NEW).json()
    assert body["reporter"]["username"] == body["logged_by"]["username"] == "cust_a"
    page = signed_in(world, "l2").get(f"/cases/{body['key']}/").content.decode()
    assert 'data-testid="logged-by"' not in page


@pytest.mark.django_db
def test_the_caller_must_be_one_of_the_organisations_people(
    api: Any, world: factories.World
) -> None:
    before = snapshot()
    response = api("l1").post("/cases", {**NEW, "organisation": "acme", "reporter": "cust_b"})
    assert response.status_code == 422
    assert response.json()["fields"] == {"reporter": "cust_b is not a person of Acme Retail."}
    assert snapshot() == before


@pytest.mark.django_db
def test_the_reporter_picker_offers_only_the_chosen_organisations_people(
    world: factories.World,
) -> None:
    agent = signed_in(world, "l1")
    options = agent.get("/cases/reporters/", {"organisation": "acme"}).content.decode()
    assert 'value="cust_a"' in options and 'value="cust_b"' not in options
    page = agent.get("/cases/new/", {"organisation": "borealis"}).content.decode()
    select = re.search(r'<select name="reporter".*?</select>', page, re.S)
    assert select is not None
    assert 'value="cust_b"' in select.group(0) and 'value="cust_a"' not in select.group(0)
    assert 'hx-get="/cases/reporters/"' in page
    anyone = agent.get("/cases/reporters/").content.decode()
    assert 'label="Acme Retail"' in anyone and 'label="Borealis Bank"' in anyone
    assert signed_in(world, "cust_a").get("/cases/reporters/").status_code == 404


@pytest.mark.django_db
def test_the_intake_page_names_a_caller_of_another_organisation_beside_the_field(
    world: factories.World,
) -> None:
    agent = signed_in(world, "l1")
    form = {**NEW, "impact": "medium", "organisation": "acme", "reporter": "cust_b"}
    response = agent.post("/cases/new/", form)
    assert response.status_code == 422
    page = response.content.decode()
    assert re.search(
        r'field-reporter has-error">.*?cust_b is not a person of Acme Retail', page, re.S
    )
    assert not Case.objects.exists()
    response = agent.post("/cases/new/", {**form, "reporter": "cust_a"})
    assert response.status_code == 302
    case = Case.objects.get()
    assert (case.reporter.username, case.logged_by.username) == ("cust_a", "l1")


@pytest.mark.django_db
def test_the_cli_logs_a_call_for_the_caller(world: factories.World) -> None:
    from io import StringIO

    from django.core.management import call_command
    from django.core.management.base import CommandError

    args = ["case", "create", "--as", "l1", "--title", NEW["title"], "--service", "payments"]
    args += ["--environment", "production", "--org", "acme"]
    with pytest.raises(CommandError) as refused:
        call_command(*args, "--reporter", "cust_b", stdout=StringIO(), stderr=StringIO())
    assert "reporter: cust_b is not a person of Acme Retail." in str(refused.value)
    out = StringIO()
    call_command(*args, "--reporter", "cust_a", stdout=out, stderr=StringIO())
    assert "reporter: cust_a  logged by: l1" in out.getvalue()
