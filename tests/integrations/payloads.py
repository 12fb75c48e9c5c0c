"""Deliveries in the senders' documented shapes (Azure DevOps "Service hooks events", GitHub
"Webhook events and payloads"), trimmed to what matters, and clients that post them as the senders
do: basic auth, GitHub's signature, or our signed generic event."""

from __future__ import annotations

import base64
import json
import uuid
from typing import Any

from django.test import Client

from casebridge.integrations.delivery.doors import sign

CONTAINERS = {
    "collection": {"id": "c12d0eb8-e382-443b-9f9c-c52cba5014c2"},
    "account": {"id": "f844ec47-a9db-4511-8281-8b63f4eaf94e"},
    "project": {"id": "be9b3917-87e6-42a4-a549-2bc06a7a878f"},
}


def service_hook(event: str, resource: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {
        "subscriptionId": "4f6e6328-0251-4814-a009-c01dfa368e3f",
        "notificationId": 1,
        "id": str(uuid.uuid4()),
        "eventType": event,
        "publisherId": "tfs",
        "message": {"text": event},
        "resource": resource,
        "resourceVersion": "1.0",
        "resourceContainers": CONTAINERS,
        "createdDate": "2026-11-23T09:00:00.000Z",
    } | extra


def deployment_completed(
    environment: str = "Production", status: str = "succeeded"
) -> dict[str, Any]:
    return service_hook(
        "ms.vss-release.deployment-completed-event",
        {
            "environment": {
                "id": 5,
                "name": environment,
                "status": status,
                "release": {"id": 1, "name": "Release-41"},
            },
            "project": {"id": "be9b3917-87e6-42a4-a549-2bc06a7a878f", "name": "Shop"},
        },
        publisherId="rm",
        resourceVersion="3.0-preview.1",
    )


def run_state_changed(result: str = "succeeded") -> dict[str, Any]:
    pipeline = {"id": 11, "revision": 1, "name": "shop-CD", "folder": "\\"}
    return service_hook(
        "ms.vss-pipelines.run-state-changed-event",
        {
            "run": {"pipeline": pipeline, "state": "completed", "result": result, "id": 11},
            "pipeline": pipeline,
        },
        publisherId="pipelines",
        resourceVersion="5.1-preview.1",
    )


def pull_request(event: str = "git.pullrequest.merged", title: str = "Fix BUG-7") -> dict[str, Any]:
    return service_hook(
        event,
        {
            "repository": {"id": "4bc14d40-c903-45e2-872e-0462c7748079", "name": "shop"},
            "pullRequestId": 1,
            "status": "completed" if event.endswith("merged") else "active",
            "title": title,
            "description": "Fixes AB#123",
            "sourceRefName": "refs/heads/fix/bug-7",
            "targetRefName": "refs/heads/main",
            "mergeStatus": "succeeded",
        },
    )


def github_pull_request(action: str = "opened", number: int = 12) -> dict[str, Any]:
    return {
        "action": action,
        "number": number,
        "pull_request": {
            "number": number,
            "title": "BUG-7: retry the card gateway",
            "state": "open",
            "merged": False,
            "head": {"ref": "fix/bug-7"},
            "base": {"ref": "main"},
        },
        "repository": {"id": 1296269, "full_name": "fabrikam/shop"},
        "sender": {"login": "octocat"},
    }


def github_review(state: str = "approved") -> dict[str, Any]:
    return github_pull_request("submitted") | {
        "review": {"id": 80, "state": state, "user": {"login": "hubot"}}
    }


def github_deployment_status(state: str = "success") -> dict[str, Any]:
    return {
        "action": "created",
        "deployment_status": {"id": 1, "state": state, "environment": "production"},
        "deployment": {"id": 7, "sha": "a10867b", "ref": "v4.2.1", "environment": "production"},
        "repository": {"id": 1296269, "full_name": "fabrikam/shop"},
    }


def deployment_event(**changes: Any) -> dict[str, Any]:
    return {
        "service": "payments",
        "environment": "production",
        "version": "4.2.1",
        "status": "succeeded",
        "work_items": ["BUG-7", "FR-3", "AB#123"],
    } | changes


class Sender:
    """Posts to one door as its sender would; ``raw`` overrides the encoded body."""

    def __init__(self, path: str, secret: str) -> None:
        self.path = f"/api/v1/intake/{path}"
        self.secret = secret
        self.client = Client()

    def _post(self, body: bytes, headers: dict[str, str]) -> Any:
        meta = {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in headers.items()}
        return self.client.post(self.path, body, content_type="application/json", **meta)

    def basic(self, payload: Any, *, password: str | None = None, raw: bytes | None = None) -> Any:
        pair = f"ado:{self.secret if password is None else password}".encode()
        body = raw if raw is not None else json.dumps(payload).encode()
        return self._post(body, {"Authorization": "Basic " + base64.b64encode(pair).decode()})

    def github(
        self,
        payload: Any,
        *,
        event: str = "pull_request",
        delivery: str | None = None,
        secret: str | None = None,
    ) -> Any:
        body = json.dumps(payload).encode()
        signature = sign(self.secret if secret is None else secret, body)
        headers = {
            "X-GitHub-Event": event,
            "X-GitHub-Delivery": delivery or str(uuid.uuid4()),
            "X-GitHub-Hook-ID": "292430182",
            "X-Hub-Signature-256": f"sha256={signature}",
            "User-Agent": "GitHub-Hookshot/044aadd",
        }
        return self._post(body, headers)

    def signed(
        self, payload: Any, *, at: int, delivery: str = "", secret: str | None = None
    ) -> Any:
        body = json.dumps(payload).encode()
        stamp = str(at)
        headers = {
            "X-Casebridge-Timestamp": stamp,
            "X-Casebridge-Signature": "sha256="
            + sign(self.secret if secret is None else secret, body, stamp),
        }
        if delivery:
            headers["X-Casebridge-Delivery"] = delivery
        return self._post(body, headers)
