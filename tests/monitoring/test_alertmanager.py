"""A real Alertmanager (Debian's ``prometheus-alertmanager``) posting to Casebridge.

The test starts Alertmanager on loopback with a webhook receiver pointing at the live server
(bearer token, ``send_resolved``, short group and repeat intervals, a temporary storage path,
clustering off), pushes alerts to Alertmanager's own API (``POST /api/v2/alerts``) and checks what
Casebridge made of its webhooks: a case with the alert's labels, no second case for a repeat, the
resolve recorded on the case. Under CI a missing binary fails the test instead of skipping it
(``.ci/run`` installs the package).
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import time
import urllib.request
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from casebridge.audit.models import AuditEvent
from casebridge.cases.models import Case
from casebridge.monitoring.models import AlertGroup, Payload
from casebridge.monitoring.worker import intake_drain
from tests import factories
from tests.monitoring.helpers import make_integration

BINARY = os.environ.get("CASEBRIDGE_ALERTMANAGER", "/usr/bin/prometheus-alertmanager")
LABELS = {
    "alertname": "CheckoutErrorRate",
    "service": "payments",
    "component": "checkout-api",
    "severity": "critical",
    "instance": "checkout-7f9c",
}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _http(url: str, body: Any = None) -> Any:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method="POST" if data else "GET")
    request.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(request, timeout=5) as response:
        raw = response.read()
    return json.loads(raw) if raw.strip().startswith((b"{", b"[")) else raw


def _until(check: Callable[[], Any], what: str, timeout: float = 30.0) -> Any:
    """Fold what arrived and check again, until ``check`` holds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        intake_drain()
        result = check()
        if result:
            return result
        time.sleep(0.3)
    pytest.fail(f"timed out waiting for {what}")


@pytest.fixture
def alertmanager(
    live_server: Any, transactional_db: None, tmp_path: Path
) -> Iterator[dict[str, Any]]:
    if not Path(BINARY).exists() or shutil.which(BINARY) is None:
        message = f"{BINARY} is missing: apt-get install prometheus-alertmanager"
        if os.environ.get("CI"):
            pytest.fail(message)  # CI must run the real Alertmanager, never skip it
        pytest.skip(message)
    world = factories.build_world()
    integration, secret = make_integration(world, slug="alertmanager-prod")
    url = f"{live_server.url}/api/v1/intake/alertmanager/{integration.slug}"
    config = {  # JSON is YAML: no YAML library needed
        "route": {
            "receiver": "casebridge",
            "group_by": ["alertname"],
            "group_wait": "1s",
            "group_interval": "1s",
            "repeat_interval": "2s",
        },
        "receivers": [
            {
                "name": "casebridge",
                "webhook_configs": [
                    {
                        "url": url,
                        "send_resolved": True,
                        "http_config": {"authorization": {"type": "Bearer", "credentials": secret}},
                    }
                ],
            }
        ],
    }
    (tmp_path / "alertmanager.yml").write_text(json.dumps(config))
    port = _free_port()
    log = (tmp_path / "alertmanager.log").open("wb")
    process = subprocess.Popen(
        [
            BINARY,
            f"--config.file={tmp_path / 'alertmanager.yml'}",
            f"--storage.path={tmp_path / 'data'}",
            f"--web.listen-address=127.0.0.1:{port}",
            "--cluster.listen-address=",
            "--log.level=warn",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                _http(f"{base}/-/ready")
                break
            except OSError:
                if time.monotonic() > deadline or process.poll() is not None:
                    log.flush()
                    pytest.fail(
                        "Alertmanager did not start: " + (tmp_path / "alertmanager.log").read_text()
                    )
                time.sleep(0.1)
        yield {"base": base, "world": world, "integration": integration}
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


def _push(base: str, *, ends_at: datetime | None = None) -> None:
    alert: dict[str, Any] = {
        "labels": LABELS,
        "annotations": {
            "summary": "5% of checkouts fail with 502",
            "runbook": "https://runbooks/checkout",
        },
        "generatorURL": "http://prometheus.example:9090/graph?g0.expr=checkout_errors",
        "startsAt": (datetime.now(UTC) - timedelta(minutes=2)).isoformat(),
    }
    if ends_at is not None:
        alert["endsAt"] = ends_at.isoformat()
    _http(f"{base}/api/v2/alerts", [alert])


def test_alertmanager_alerts_become_one_case_and_its_resolve_is_recorded(
    alertmanager: dict[str, Any],
) -> None:
    base = alertmanager["base"]
    _push(base)
    case = _until(lambda: Case.objects.filter(source="monitoring").first(), "the case of the alert")
    group = AlertGroup.objects.get()
    assert group.labels == LABELS
    assert case.service.slug == "payments" and case.component is not None
    assert case.component.slug == "checkout-api" and case.impact == "critical"
    for name, value in LABELS.items():
        assert f"{name}={value}" in case.description
    assert case.title.startswith("[Alert] CheckoutErrorRate")

    # A repeat: the same alert pushed again, and Alertmanager's own repeat notifications.
    _push(base)
    _until(lambda: Payload.objects.filter(state="done").count() >= 3, "repeat notifications")
    assert Case.objects.filter(source="monitoring").count() == 1
    assert AlertGroup.objects.count() == 1
    assert AlertGroup.objects.get().firing_count >= 3

    # Resolve it in Alertmanager: an end in the past.
    _push(base, ends_at=datetime.now(UTC) - timedelta(seconds=5))
    _until(lambda: AlertGroup.objects.get().status == "resolved", "the resolved notification")
    case = Case.objects.get(pk=case.pk)
    recorded = AuditEvent.objects.get(subject_key=case.key, action="alert_resolved")
    assert "CheckoutErrorRate" in recorded.reason
    assert case.state == "resolved" and case.resolution == "no_fault"  # nobody worked on it
    assert Case.objects.filter(source="monitoring").count() == 1
