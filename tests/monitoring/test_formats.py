"""Reading a stored payload (``formats.events_of``): pure, no database."""

from __future__ import annotations

import json

import pytest

from casebridge.monitoring.formats import check_event, events_of
from tests.monitoring.helpers import alert, event, webhook


def test_an_alertmanager_payload_reads_as_its_alerts_in_order() -> None:
    body = webhook(alert("DiskFull"), alert("CpuHigh", status="resolved"))
    found = events_of("alertmanager", json.dumps(body))
    assert [(e.labels["alertname"], e.action) for e in found] == [
        ("DiskFull", "firing"),
        ("CpuHigh", "resolved"),
    ]
    assert all(e.fingerprint for e in found)


@pytest.mark.parametrize(
    ("links", "url"),
    [
        ([{"href": "https://wiki.example/disk"}], "https://wiki.example/disk"),
        ([], ""),
        ("https://wiki.example/disk", ""),  # not a list: no link (the door does not check it)
        (["https://wiki.example/disk"], ""),  # not an object with an href
    ],
)
def test_an_events_first_link_is_its_source(links: object, url: str) -> None:
    body = {**event(), "links": links}
    check_event(body, new_key="assigned")  # the door takes it
    (found,) = events_of("events", json.dumps(body))
    assert found.source_url == url and found.fingerprint == "disk-full-db1"


@pytest.mark.parametrize("links", [{"href": "https://wiki.example/disk"}, 5])
def test_links_that_cannot_be_indexed_fail_the_payload(links: object) -> None:
    body = {**event(), "links": links}
    with pytest.raises((KeyError, TypeError)):
        events_of("events", json.dumps(body))
