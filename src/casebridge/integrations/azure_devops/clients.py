"""A client for a connection, and checking a connection against the server before it is saved.

The token is the connection's sealed one, or read from its environment variable at each use (so
an operator can rotate it without touching Casebridge). TLS is verified against the system's
certificate authorities, or ``CASEBRIDGE_AZURE_DEVOPS_CA_BUNDLE`` for an Azure DevOps Server
behind a company CA.
"""

from __future__ import annotations

import os
import ssl
from dataclasses import dataclass
from functools import cache

import certifi
from django.conf import settings

from casebridge.core.errors import ValidationFailed
from casebridge.integrations.azure_devops.client import AzureDevOpsClient
from casebridge.integrations.azure_devops.errors import (
    AzureDevOpsError,
    NotFound,
    RateLimited,
    Unauthorized,
    Unavailable,
)
from casebridge.integrations.azure_devops.models import Connection
from casebridge.integrations.azure_devops.wire import Identity, Project


class ConnectionCheckFailed(ValidationFailed):
    code = "connection_check_failed"


@dataclass(frozen=True)
class Verified:
    project: Project
    me: Identity


@cache
def _tls_context(bundle: str) -> ssl.SSLContext:
    """The public certificate authorities (certifi's, as httpx uses) and those of ``bundle``."""
    context = ssl.create_default_context(cafile=certifi.where())
    context.load_verify_locations(cafile=bundle)
    return context


def _verify_option() -> bool | ssl.SSLContext:
    bundle = str(getattr(settings, "AZURE_DEVOPS_CA_BUNDLE", "") or "")
    return _tls_context(bundle) if bundle else True


def make_client(organization_url: str, project: str, pat: str) -> AzureDevOpsClient:
    return AzureDevOpsClient(
        organization_url=organization_url,
        project=project,
        pat=pat,
        timeout=float(getattr(settings, "AZURE_DEVOPS_TIMEOUT", 30)),
        verify=_verify_option(),
    )


def token_of(connection: Connection) -> str:
    if connection.pat:
        return str(connection.pat)
    value = os.environ.get(connection.pat_env, "")
    if not value:
        raise ValidationFailed(
            f"The environment variable {connection.pat_env} is not set",
            fields={"pat_env": f"Set {connection.pat_env} to the personal access token."},
        )
    return value


def client_for(connection: Connection) -> AzureDevOpsClient:
    return make_client(connection.organization_url, connection.project, token_of(connection))


def verify(*, organization_url: str, project: str, pat: str, pat_field: str = "pat") -> Verified:
    """Read the project and who the token is, or raise ``ConnectionCheckFailed`` saying what is
    wrong: the token, the project, or the server (unreachable, TLS, not Azure DevOps)."""
    with make_client(organization_url, project, pat) as client:
        client.retries = 0
        try:
            found = client.get_project()
            me = client.me()
        except Unauthorized as exc:
            raise ConnectionCheckFailed(
                "Azure DevOps refused the personal access token",
                fields={
                    pat_field: "Refused (401): check the token, its expiry, its organisation, "
                    "and that it has the Work Items (Read & write) scope."
                },
            ) from exc
        except NotFound as exc:
            raise ConnectionCheckFailed(
                f"There is no project '{project}' at {organization_url}",
                fields={
                    "project": f"No project '{project}' at {organization_url} (or the token may "
                    "not see it)."
                },
            ) from exc
        except RateLimited as exc:
            raise ConnectionCheckFailed(
                "Azure DevOps is rate limiting this token",
                fields={"organization_url": f"Rate limited: try again in {exc.retry_after:g} s."},
            ) from exc
        except Unavailable as exc:
            raise ConnectionCheckFailed(
                f"Could not reach Azure DevOps at {organization_url}",
                fields={"organization_url": f"Unreachable: {exc.message}"},
            ) from exc
        except AzureDevOpsError as exc:
            raise ConnectionCheckFailed(
                f"Azure DevOps at {organization_url} refused the check",
                fields={"organization_url": exc.message},
            ) from exc
    return Verified(found, me)
