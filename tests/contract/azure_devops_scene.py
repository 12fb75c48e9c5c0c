"""The Azure DevOps objects of the permission matrix, and the doors of the development side (they
authenticate a source's secret, not a user's token: their own tests are in
``tests/integrations/test_azure_devops_hooks.py`` and ``test_delivery_doors.py``).

Objects: CON = the connection ``shop`` to the fake Azure DevOps's Shop project (every team and
category). A fake Azure DevOps runs for the module (a daemon thread, one per process); its
certificate is trusted through ``AZURE_DEVOPS_CA_BUNDLE``, set for the rest of the process (it only
adds a CA). ``{ADO}`` in a body is the fake's organisation URL.
"""

# ruff: noqa: E501

from __future__ import annotations

from typing import Any

from django.conf import settings

from casebridge.integrations.azure_devops.services import connection_connect
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
    connection_connect(
        actor=world["admin"], name="Shop", organization_url=ado.url, project="Shop", pat=PAT
    )


def substitute(path: str, row_obj: str) -> str:
    if row_obj == "CON":
        path = path.replace("{slug}", "shop").replace("{category}", "bug")
    return path


def fill(body: str) -> str:
    return body.replace("{ADO}", fake().url) if "{ADO}" in body else body
