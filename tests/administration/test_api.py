"""The administration API beyond its permissions: what each write does, and bad input named."""

from __future__ import annotations

from typing import Any

import pytest

from casebridge.accounts.models import User
from casebridge.audit.models import AuditEvent
from tests import factories

pytestmark = pytest.mark.django_db


def test_organisation_service_team_round_trip(world: factories.World, api: Any) -> None:
    admin = api("admin")
    created = admin.post(
        "/organisations", {"name": "Cobalt Air", "email_domains": ["Cobalt.example"]}
    )
    assert created.status_code == 201
    assert created.json()["email_domains"] == ["cobalt.example"]
    taken = admin.post("/organisations", {"name": "Other", "email_domains": ["cobalt.example"]})
    assert taken.status_code == 422
    assert "Cobalt Air" in taken.json()["fields"]["email_domains"]
    team = admin.post("/teams", {"name": "Mobile", "members": ["dev3"]}).json()
    assert team == {"slug": "mobile", "name": "Mobile", "kind": "development", "members": ["dev3"]}
    service = admin.post(
        "/services",
        {
            "name": "Ledger",
            "owner_team": "mobile",
            "components": [{"name": "Posting", "critical": True}],
        },
    ).json()
    assert service["owner_team"] == "mobile" and service["components"][0]["critical"] is True
    cleared = admin.patch("/services/ledger", {"owner_team": None}).json()
    assert cleared["owner_team"] is None
    unknown = admin.patch("/services/ledger", {"owner_team": "nope"})
    assert unknown.status_code == 422 and "owner_team" in unknown.json()["fields"]
    assert (
        api("cust_a").get("/organisations").json()[0]["members"] == []
    )  # the directory is internal


def test_deactivated_users_tokens_stop_working(world: factories.World, api: Any) -> None:
    assert api("dev2").get("/users/me").status_code == 200
    out = api("admin").post("/users/dev2/deactivate").json()
    assert out["active"] is False
    assert api("dev2").get("/users/me").status_code == 401
    back = api("admin").patch("/users/dev2", {"active": True, "level": "L3"}).json()
    assert (back["active"], back["level"]) == (True, "L3")
    assert api("dev2").get("/users/me").status_code == 200
    fields = set(
        AuditEvent.objects.filter(subject_key="dev2", action="updated").values_list(
            "field", flat=True
        )
    )
    assert fields == {"active", "level"}


def test_user_patch_refusals_name_the_field(world: factories.World, api: Any) -> None:
    admin = api("admin")
    no_level = admin.patch("/users/l2", {"roles": ["developer"]})
    assert no_level.status_code == 422 and "level" in no_level.json()["fields"]
    org = admin.patch("/users/cust_a", {"organisation": None})
    assert org.status_code == 422 and "org" in org.json()["fields"]
    last = admin.patch("/users/admin", {"roles": ["l2_engineer"]})
    assert last.status_code == 422 and "last administrator" in last.json()["fields"]["role"]
    assert User.objects.get(username="admin").has_role("admin")


def test_admin_token_for_another_user_is_shown_once(world: factories.World, api: Any) -> None:
    admin = api("admin")
    created = admin.post("/users/l1/tokens", {"name": "kiosk", "scope": "write"}).json()
    assert created["token"].startswith("cbt_")
    listed = admin.get("/users/l1/tokens").json()
    assert created["prefix"] in [t["prefix"] for t in listed]
    assert all("token" not in t for t in listed)
    revoked = admin.post(f"/users/l1/tokens/{created['prefix']}/revoke").json()
    assert revoked["revoked_at"] is not None
