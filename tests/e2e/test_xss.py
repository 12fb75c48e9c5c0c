"""Stored XSS: a payload in every text a person or an integration can set here (case title and
description, comments, internal notes, a person's name, an alert's name and summary from the
monitoring door) is shown as text on every page that shows it; no script runs (``window.__xss``
stays unset) and the browser reports no blocked inline script either (escaping holds on its own,
not only because of the Content-Security-Policy)."""

from __future__ import annotations

from typing import Any

import pytest

from tests import factories
from tests.e2e.conftest import sign_in

pytestmark = [pytest.mark.e2e]

PAYLOAD = '"><img src=x onerror="window.__xss=1"><script>window.__xss=1</script><b>bold</b>'


@pytest.fixture
def stored(e2e_world: factories.World) -> dict[str, str]:
    from casebridge.cases.services import comment_add
    from casebridge.knowledge.services import KnownResolutionInput, known_resolution_create
    from casebridge.monitoring.models import AlertGroup
    from casebridge.monitoring.worker import intake_drain
    from casebridge.workitems.creation import work_item_create
    from tests.monitoring.helpers import Sender, alert, make_integration, webhook

    world = e2e_world
    customer = world["cust_a"]
    customer.first_name = "Ann" + PAYLOAD
    customer.save(update_fields=["first_name"])
    case = factories.make_case(world, by="cust_a", title="T" + PAYLOAD, description=PAYLOAD)
    comment_add(actor=world["cust_a"], case=case, body="C" + PAYLOAD)
    comment_add(actor=world["l2"], case=case, body="N" + PAYLOAD, internal=True)
    integration, secret = make_integration(world, slug="prom-xss")
    sender = Sender(integration, secret)
    body = webhook(alert("Alert" + PAYLOAD[:60]))
    body["alerts"][0]["annotations"]["summary"] = "S" + PAYLOAD
    assert sender.post(body).status_code == 202, "the intake took the payload"
    intake_drain(timeout=30)
    group = AlertGroup.objects.get()
    item = work_item_create(
        actor=world["l2"], category="bug", title="W" + PAYLOAD, docs={"steps_to_reproduce": PAYLOAD}
    )
    known = known_resolution_create(
        actor=world["l2"],
        data=KnownResolutionInput(
            title="K" + PAYLOAD, symptoms=PAYLOAD, steps=PAYLOAD, fix_kind="workaround"
        ),
    )
    keys = {"case": case.key, "item": item.key, "known": known.key}
    if group.case is not None:
        keys["alert_case"] = group.case.key
    return keys


def assert_inert(page: Any, url: str, problems: list[str]) -> None:
    response = page.goto(url)
    assert response is not None and response.status < 400, url
    page.wait_for_load_state("networkidle")
    assert page.evaluate("window.__xss") is None, f"a stored script ran on {url}"
    assert not problems, f"{url}: {problems}"


def watch(page: Any) -> list[str]:
    problems: list[str] = []
    page.on(
        "console",
        lambda m: problems.append(m.text) if "Content Security Policy" in m.text else None,
    )
    return problems


def test_stored_payloads_stay_text(stored: dict[str, str], new_page: Any) -> None:
    staff = new_page()
    problems = watch(staff)
    sign_in(staff, "l2")
    urls = ["/cases/", f"/cases/{stored['case']}/", "/incidents/", "/work-items/"]
    urls += [f"/work-items/{stored['item']}/", "/knowledge/", f"/knowledge/{stored['known']}/"]
    if "alert_case" in stored:
        urls.append(f"/cases/{stored['alert_case']}/")
    for url in urls:
        assert_inert(staff, url, problems)
    staff.goto(f"/cases/{stored['case']}/")
    assert staff.get_by_text("T" + PAYLOAD).count() >= 1  # shown, as text
    customer = new_page()
    problems = watch(customer)
    sign_in(customer, "cust_a")
    for url in ("/portal/", f"/portal/cases/{stored['case']}/"):
        assert_inert(customer, url, problems)
    assert customer.get_by_text("C" + PAYLOAD, exact=True).count() >= 1
    assert customer.get_by_text("N" + PAYLOAD, exact=True).count() == 0  # not the internal note
