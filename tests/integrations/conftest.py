"""Fixtures of the integration tests: a fake Azure DevOps on loopback (HTTPS, trusted through
``AZURE_DEVOPS_CA_BUNDLE``), a token it accepts, and a connection made through the services;
and a fresh cache of webhook destinations for every test."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from casebridge.integrations import http
from casebridge.integrations.azure_devops.models import Connection
from casebridge.integrations.azure_devops.services import connection_connect
from casebridge.integrations.webhooks import delivery
from tests import factories
from tests.fakes.azure_devops import FakeAzureDevOps

#: A personal access token as Azure DevOps issues them (52 characters).
PAT = "q7w3mbx2lkd5e4nq6yfa9c3ir8tvz2hjk4s6u1p0xo7gd5wemrna"


@pytest.fixture
def ado(settings: Any) -> Iterator[FakeAzureDevOps]:
    fake = FakeAzureDevOps().start()
    fake.add_project("Shop", process="Agile")
    fake.add_pat(PAT, "Casebridge Sync", "casebridge@fabrikam.example")
    settings.AZURE_DEVOPS_CA_BUNDLE = str(fake.ca_bundle)
    yield fake
    fake.stop()


@pytest.fixture
def connection(world: factories.World, ado: FakeAzureDevOps) -> tuple[Connection, str]:
    """The Shop project connected for every team and category; with its hook secret."""
    return connection_connect(
        actor=world["admin"], name="Shop", organization_url=ado.url, project="Shop", pat=PAT
    )


@pytest.fixture(autouse=True)
def _forget_destinations() -> None:
    """Destination ids repeat between tests (each test's rows are rolled back): start afresh."""
    delivery._targets.clear()
    http._routes.clear()
