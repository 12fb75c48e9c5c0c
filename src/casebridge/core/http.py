"""Request types: what an authenticated API request carries."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.http import HttpRequest

if TYPE_CHECKING:  # the kernel names the user's type without importing accounts
    from casebridge.accounts.models import User


class ApiRequest(HttpRequest):
    """An API request after bearer authentication: ``auth`` is the user."""

    auth: User
