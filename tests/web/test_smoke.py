from __future__ import annotations

import pytest

from tests import factories

pytestmark = pytest.mark.django_db


def test_pages_render(world, browser_as):
    case = factories.make_case(world)
    l2 = browser_as("l2")
    for url in [
        "/cases/",
        "/cases/new/",
        f"/cases/{case.key}/",
        f"/cases/{case.key}/escalate/",
        "/knowledge/",
        "/knowledge/new/",
    ]:
        r = l2.get(url)
        assert r.status_code == 200, (url, r.content[:3000])
    cust = browser_as("cust_a")
    for url in ["/portal/", "/portal/new/", f"/portal/cases/{case.key}/"]:
        r = cust.get(url)
        assert r.status_code == 200, (url, r.content[:3000])
