"""The Azure DevOps objects of the permission matrix, and the doors of the development side (they
authenticate a source's secret, not a user's token: their own tests are in
``tests/integrations/test_azure_devops_hooks.py`` and ``test_delivery_doors.py``).

Objects: CON = the connection ``shop`` to the fake Azure DevOps's Shop project (every team and
category); CF = a sync conflict on the matrix's bug (linked to Azure DevOps #777). A fake Azure DevOps runs for the module (a daemon thread, one per process); its
certificate is trusted through ``AZURE_DEVOPS_CA_BUNDLE``, set for the rest of the process (it only
adds a CA). ``{ADO}`` in a body is the fake's organisation URL.
"""

# ruff: noqa: E501

from __future__ import annotations

from typing import Any

from django.conf import settings

from casebridge.core import clock
from casebridge.integrations.azure_devops.models import SyncConflict, WorkItemLink
from casebridge.integrations.azure_devops.services import connection_connect
from casebridge.workitems.models import WorkItem
from tests import factories
from tests.fakes.azure_devops import FakeAzureDevOps

PAT = "m2k4c7xq9w1e5r8t0y3u6i2o4p7a9s1d3f5g8h0j2k4l6z8x1c3v"
STATE: dict[str, Any] = {}

# fmt: off
ROWS = """
GET    /azure-devops/connections                -           -                   401  403    403    403 403 403   403 403  200   401
POST   /azure-devops/connections                -           -                   401  403    403    403 403 403   403 403  201   401
GET    /azure-devops/connections/{slug}         CON         -                   401  404    404    404 404 404   404 404  200   401
PATCH  /azure-devops/connections/{slug}/mapping/{category} CON -                401  404    404    404 404 403   404 404  200   401
GET    /azure-devops/conflicts                  -           -                   401  403    403    200 200 200   200 200  200   401
GET    /azure-devops/conflicts/{conflict_id}    CF          -                   401  404    404    200 200 200   200 200  200   401
POST   /azure-devops/conflicts/{conflict_id}/resolve CF     -                   401  404    404    403 403 403   200 403  200   401
POST   /azure-devops/import                     -           -                   401  403    403    403 422 403   422 403  422   401
POST   /azure-devops/links                      -           -                   401  404    404    403 422 403   422 403  422   401
GET    /azure-devops/links/{key}                BUG         -                   401  404    404    200 200 200   200 200  200   401
"""
# fmt: on

BODIES: dict[tuple[str, str], dict[str, Any]] = {
    ("POST", "/azure-devops/connections"): {
        "name": "Shop bugs",
        "organization_url": "{ADO}",
        "project": "Shop",
        "pat": PAT,
        "category": "bug",
    },
    ("PATCH", "/azure-devops/connections/{slug}/mapping/{category}"): {
        "to_ado": {"in_review": "Active"},
        "from_ado": {"Resolved": "in_testing"},
    },
    ("POST", "/azure-devops/conflicts/{conflict_id}/resolve"): {
        "resolution": "ours",
        "note": "Priority is the RTE's call",
    },
    # No such item in the fake: whoever may import or link it gets 422 naming azure_devops.
    ("POST", "/azure-devops/import"): {"connection": "shop", "azure_devops": "AB#424242"},
    ("POST", "/azure-devops/links"): {"work_item": "{BUG}", "azure_devops": "424242"},
}

#: The doors, left out of the user matrix.
INTAKE_ROUTES = {
    ("POST", "/intake/azure-devops/{connection}"),
    ("POST", "/intake/azure-pipelines/{source}"),
    ("POST", "/intake/azure-repos/{source}"),
    ("POST", "/intake/github/{source}"),
    ("POST", "/intake/deployments/{source}"),
}


def fake() -> FakeAzureDevOps:
    if "fake" not in STATE:
        ado = FakeAzureDevOps().start()
        ado.add_project("Shop", process="Agile")
        ado.add_pat(PAT, "Casebridge Sync", "casebridge@fabrikam.example")
        STATE["fake"] = ado
    return STATE["fake"]  # type: ignore[no-any-return]


def build(world: factories.World) -> None:
    """Made once per module, inside the module's transaction."""
    ado = fake()
    settings.AZURE_DEVOPS_CA_BUNDLE = str(ado.ca_bundle)
    connection, _ = connection_connect(
        actor=world["admin"], name="Shop", organization_url=ado.url, project="Shop", pat=PAT
    )
    # CF: a sync conflict on the scene's bug, linked to Azure DevOps #777 (no request made).
    item = WorkItem.objects.get(title="Checkout 502 under load")
    now = clock.now()
    link = WorkItemLink.objects.create(
        work_item=item, connection=connection, ado_id=777, rev=3, state="conflict", created_at=now
    )
    conflict = SyncConflict.objects.create(
        link=link,
        kind="refused",
        ado_rev=3,
        summary="Casebridge refused to triage",
        reasons=[{"code": "role", "message": "Triage needs the role: RTE", "field": None}],
        theirs={"Microsoft.VSTS.Common.Priority": 1},
        ours={"Microsoft.VSTS.Common.Priority": ""},
        created_at=now,
    )
    STATE["conflict"] = conflict.pk


def substitute(path: str, row_obj: str) -> str:
    if row_obj == "CON":
        path = path.replace("{slug}", "shop").replace("{category}", "bug")
    if row_obj == "CF":
        path = path.replace("{conflict_id}", str(STATE["conflict"]))
    return path


def fill(body: str) -> str:
    return body.replace("{ADO}", fake().url) if "{ADO}" in body else body
