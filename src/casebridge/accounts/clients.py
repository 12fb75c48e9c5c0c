"""Who is asking: the client's address, for lockouts and security events."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest


def client_ip(request: HttpRequest | None) -> str:
    """The client's address: ``CASEBRIDGE_CLIENT_IP_HEADER`` (set by a trusted proxy) or the
    socket's. Used by django-axes for the per-address lockout."""
    if request is None:
        return ""
    header = str(getattr(settings, "CLIENT_IP_HEADER", ""))
    if header:
        forwarded = request.headers.get(header, "").split(",")[0].strip()
        if forwarded:
            return forwarded[:45]
    return str(request.META.get("REMOTE_ADDR", ""))[:45]
