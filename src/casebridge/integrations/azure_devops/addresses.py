"""Checking what a connection is given: the organisation or collection URL (https only), the
project name, the area and iteration paths, and the name of an environment variable."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

SERVICES_HOST = "dev.azure.com"
LEGACY_SUFFIX = ".visualstudio.com"
ENV_NAME = re.compile(r"^[A-Z_][A-Z0-9_]{0,127}$")
PROJECT_FORBIDDEN = set('\\/:*?"<>|;#$*{},+=[]')


def _url_error(text: str) -> str:
    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        return "This is not a URL."
    segments = [s for s in parts.path.split("/") if s]
    host = (parts.hostname or "").lower()
    error = ""
    if parts.scheme != "https":
        error = "Use https:// (Azure DevOps is never reached over plain HTTP)."
    elif not host:
        error = "The URL needs a host."
    elif parts.username or parts.password:
        error = "Leave credentials out of the URL: the token is given separately."
    elif parts.query or parts.fragment:
        error = "Give the organisation or collection URL only, without ? or #."
    elif host == SERVICES_HOST and len(segments) != 1:
        error = "Use https://dev.azure.com/{organization} (the organisation only)."
    elif host.endswith(LEGACY_SUFFIX) and segments:
        error = "Use https://{organization}.visualstudio.com without a path."
    elif host != SERVICES_HOST and not host.endswith(LEGACY_SUFFIX) and not segments:
        error = (
            "Name the collection: https://{server}/tfs/{collection} for Azure DevOps Server, "
            "or https://dev.azure.com/{organization} for Azure DevOps Services."
        )
    elif {"_apis", "_git", "_workitems"} & set(segments):
        error = "Give the organisation or collection URL, not a page or an API address."
    return error


def organization_url(raw: str) -> tuple[str, str, str]:
    """``(url, kind, error)``: the URL without a trailing slash, ``services`` or ``server``, and a
    message when it is not acceptable.

    Azure DevOps Services: ``https://dev.azure.com/{organization}`` (or the older
    ``https://{organization}.visualstudio.com``). Azure DevOps Server: ``https://{host}/{path to
    the collection}``, usually ``https://host/tfs/DefaultCollection``.
    """
    text = raw.strip().rstrip("/")
    error = _url_error(text)
    if error:
        return text, "", error
    host = (urlsplit(text).hostname or "").lower()
    services = host == SERVICES_HOST or host.endswith(LEGACY_SUFFIX)
    return text, "services" if services else "server", ""


def project_error(name: str) -> str:
    if not name.strip() or name != name.strip():
        return "Give the project's name (no spaces around it)."
    if len(name) > 64:
        return "Project names have at most 64 characters."
    if set(name) & PROJECT_FORBIDDEN or name.startswith(("_", ".")) or name.endswith("."):
        return "This is not an Azure DevOps project name."
    return ""


def tree_path_error(path: str, project: str, what: str) -> str:
    """Area and iteration paths live under the project: ``Shop`` or ``Shop\\Web``."""
    if path != project and not path.startswith(project + "\\"):
        return f"The {what} path starts with the project: '{project}' or '{project}\\...'."
    if "/" in path or "\\\\" in path or path.endswith("\\"):
        return f"Separate the parts of the {what} path with single backslashes."
    return ""


def env_name_error(name: str) -> str:
    if not ENV_NAME.match(name):
        return "Name an environment variable: capitals, digits and underscores."
    return ""
