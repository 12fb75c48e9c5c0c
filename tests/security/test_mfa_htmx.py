"""The second-factor gate and HTMX: a part of a page (the header's notification count) never gets
the two-factor page in its place; the browser is told to go there, or nothing when it is there."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from tests import factories

pytestmark = pytest.mark.django_db


def test_a_partial_request_is_sent_to_the_second_factor_not_given_its_page(
    world: factories.World, settings: Any
) -> None:
    settings.MFA_ADMIN_REQUIRED = True
    client = Client()
    client.force_login(world["admin"])
    page = client.get("/cases/")
    assert page.status_code == 302 and page["Location"] == "/settings/security/two-factor/"

    elsewhere = client.get(
        "/cases/", HTTP_HX_REQUEST="true", HTTP_HX_CURRENT_URL="http://testserver/cases/"
    )
    assert elsewhere.status_code == 204 and elsewhere.content == b""
    assert elsewhere["HX-Redirect"] == "/settings/security/two-factor/"

    there = client.get(
        "/cases/",
        HTTP_HX_REQUEST="true",
        HTTP_HX_CURRENT_URL="http://testserver/settings/security/two-factor/",
    )
    assert there.status_code == 204 and "HX-Redirect" not in there
