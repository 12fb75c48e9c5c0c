"""Links from integrations are stored and rendered only as http(s): a ``javascript:``,
``data:`` or ``vbscript:`` link sent by a monitoring system never reaches an ``href``."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from django.test import Client, override_settings

from casebridge.monitoring.models import AlertGroup
from casebridge.monitoring.worker import intake_drain
from tests import factories
from tests.monitoring.helpers import Sender, alert, event, make_integration, webhook

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_storm() -> Iterator[None]:
    """Twelve alerts at once on one service would be a storm: here each opens its own case."""
    with override_settings(STORM_GROUPS_PER_MINUTE=100):
        yield


PAYLOADS = [
    "javascript:alert(1)",
    "JAVASCRIPT:alert(document.domain)",
    " javascript:alert(1)",
    "java\tscript:alert(1)",
    "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
    "vbscript:msgbox(1)",
]
#: Every attribute that a browser follows or runs, and the schemes that run script.
LINK_ATTRIBUTE = re.compile(
    r"""\b(?:href|src|action|formaction|hx-get|hx-post)\s*=\s*["']?\s*([^"'\s>]*)""", re.I
)
SCRIPT_SCHEMES = re.compile(r"^\s*(?:javascript|data|vbscript)\s*:", re.I)


def script_links(page: str) -> list[str]:
    """Every link of a page whose scheme runs script (entities decoded, whitespace ignored)."""
    from html import unescape

    found = [unescape(value) for value in LINK_ATTRIBUTE.findall(page)]
    return [value for value in found if SCRIPT_SCHEMES.match(re.sub(r"[\t\n\r]", "", value))]


def post_hostile_links(world: factories.World) -> None:
    integration, secret = make_integration(world, slug="prom-xss")
    am = Sender(integration, secret)
    for n, url in enumerate(PAYLOADS):
        hostile = {**alert(f"Hostile{n}", instance=f"db-{n}"), "generatorURL": url}
        assert am.post(webhook(hostile)).status_code == 202
    integration, secret = make_integration(world, kind="events", slug="events-xss")
    events = Sender(integration, secret)
    for n, url in enumerate(PAYLOADS):
        body = {**event(dedup_key=f"hostile-{n}", severity="critical"), "links": [{"href": url}]}
        assert events.post(body).status_code == 202
    intake_drain()


def pages_of(world: factories.World) -> dict[str, str]:
    """The service health page, and the page and health panel of every case an alert opened."""
    client = Client()
    client.force_login(world["l2"])
    paths = ["/services/payments/"]
    for group in AlertGroup.objects.exclude(case=None).select_related("case"):
        paths += [f"/cases/{group.case.key}/", f"/cases/{group.case.key}/health/"]
    pages = {}
    for path in paths:
        response = client.get(path, headers={"HX-Request": "true"} if "health" in path else {})
        assert response.status_code == 200, path
        pages[path] = response.content.decode()
    return pages


def test_hostile_links_from_alerts_and_events_are_never_stored(world: factories.World) -> None:
    post_hostile_links(world)
    groups = list(AlertGroup.objects.all())
    assert len(groups) == 2 * len(PAYLOADS)  # every alert kept, only its link dropped
    assert {g.source_url for g in groups} == {""}


def test_no_page_renders_a_hostile_link(world: factories.World) -> None:
    post_hostile_links(world)
    pages = pages_of(world)
    assert any(path.endswith("/health/") for path in pages)
    assert 'data-testid="firing-alert"' in pages["/services/payments/"]
    for path, page in pages.items():
        assert script_links(page) == [], path


def test_rows_stored_before_the_check_render_as_text(world: factories.World) -> None:
    post_hostile_links(world)
    AlertGroup.objects.update(source_url="javascript:alert(1)")
    pages = pages_of(world)
    for path, page in pages.items():
        assert script_links(page) == [], path
        assert "javascript:" not in page, path
    assert "Hostile0" in pages["/services/payments/"]


def test_a_safe_link_is_still_a_link(world: factories.World) -> None:
    integration, secret = make_integration(world, slug="prom-ok")
    Sender(integration, secret).post(webhook(alert("Fine")))
    intake_drain()
    page = pages_of(world)["/services/payments/"]
    assert (
        '<a href="http://prometheus.example:9090/graph?g0.expr=up" '
        'rel="noopener noreferrer nofollow">Fine' in page
    )
