"""The new-case form: dependent component select, errors beside the fields, nothing lost."""

from __future__ import annotations

import re

import pytest

from casebridge.cases.models import Case
from tests.web.conftest import field_error, html

pytestmark = pytest.mark.django_db


def _form(world, **overrides):
    data = {
        "title": "Refund button does nothing",
        "description": "Clicking Refund shows a spinner forever.",
        "service": "payments",
        "component": str(world.components["refunds"].pk),
        "environment": "production",
        "impact": "medium",
        "version": "4.3.0",
        "organisation": "acme",
        "reporter": "",
    }
    data.update(overrides)
    return data


def test_form_has_every_field(browser_as):
    page = html(browser_as("l1").get("/cases/new/"))
    for name in (
        "title",
        "description",
        "service",
        "component",
        "environment",
        "impact",
        "version",
        "organisation",
        "reporter",
    ):
        assert f'name="{name}"' in page, name
    assert 'hx-get="/cases/components/"' in page and 'hx-target="#id_component"' in page
    assert '<optgroup label="Payments">' in page  # without JS every component, by service


def test_component_options_follow_the_service(browser_as, world):
    client = browser_as("l1")
    options = html(client.get("/cases/components/?service=search"))
    assert "Indexer" in options and "Checkout API" not in options
    assert "optgroup" not in options
    everything = html(client.get("/cases/components/"))
    assert '<optgroup label="Search">' in everything


def test_create_redirects_to_the_case_with_a_message(browser_as, world):
    client = browser_as("l1")
    response = client.post("/cases/new/", _form(world), follow=True)
    case = Case.objects.get()
    assert response.redirect_chain == [(f"/cases/{case.key}/", 302)]
    assert f"{case.key} created." in html(response)
    assert (case.title, case.component, case.organisation.slug, case.source) == (
        "Refund button does nothing",
        world.components["refunds"],
        "acme",
        "l1_agent",
    )


def test_service_errors_are_beside_the_fields_and_nothing_is_lost(browser_as, world):
    client = browser_as("l1")
    data = _form(world, title="ab", component=str(world.components["indexer"].pk))
    response = client.post("/cases/new/", data)
    page = html(response)
    assert response.status_code == 422
    assert field_error(page, "title") == "Give a title of at least 3 characters."
    assert field_error(page, "component") == "Indexer is not a component of Payments."
    assert 'aria-invalid="true"' in page
    # What was typed is still there.
    assert 'value="ab"' in page
    assert "Clicking Refund shows a spinner forever.</textarea>" in page
    assert 'value="4.3.0"' in page
    assert re.search(r'<option value="acme" selected>', page)
    assert Case.objects.count() == 0


def test_missing_service_is_a_field_error(browser_as, world):
    response = browser_as("l1").post("/cases/new/", _form(world, service="", component=""))
    assert response.status_code == 422
    assert field_error(html(response), "service") == "Choose the affected service."
    assert Case.objects.count() == 0


def test_staff_report_for_a_customer(browser_as, world):
    browser_as("l2").post("/cases/new/", _form(world, reporter="cust_b", organisation=""))
    case = Case.objects.get()
    assert case.reporter == world["cust_b"]
    assert case.organisation == world.orgs["b"]  # the reporter's organisation


def test_roles_that_do_not_open_cases_are_refused(browser_as, world):
    response = browser_as("dev3").post("/cases/new/", _form(world))
    assert response.status_code == 403
    assert Case.objects.count() == 0
