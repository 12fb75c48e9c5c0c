"""The fixture's door into the provider: register clients and users. Guarded by a token that
only the fixture knows (``OIDC_PROVIDER_CONTROL_TOKEN``); the provider listens on loopback only."""

from __future__ import annotations

import json
import os
import secrets
from typing import Any

from django.contrib.auth.models import Group, User
from django.db import transaction
from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from oauth2_provider.models import Application


def _authorised(request: HttpRequest) -> bool:
    given = request.headers.get("X-Control-Token", "")
    return secrets.compare_digest(given, os.environ["OIDC_PROVIDER_CONTROL_TOKEN"])


def user_put(spec: dict[str, Any]) -> User:
    """Create or update a user with its password, e-mail, name and exactly these groups."""
    with transaction.atomic():
        user, _ = User.objects.get_or_create(username=spec["username"])
        user.email = spec.get("email", "")
        user.first_name = spec.get("first_name", "")
        user.last_name = spec.get("last_name", "")
        user.set_password(spec["password"])
        user.save()
        groups = [Group.objects.get_or_create(name=name)[0] for name in spec.get("groups", [])]
        user.groups.set(groups)
    return user


@csrf_exempt
@require_POST
def users(request: HttpRequest) -> JsonResponse:
    if not _authorised(request):
        return JsonResponse({"detail": "bad control token"}, status=403)
    user = user_put(json.loads(request.body))
    return JsonResponse({"sub": str(user.pk)})


@csrf_exempt
@require_POST
def clients(request: HttpRequest) -> JsonResponse:
    if not _authorised(request):
        return JsonResponse({"detail": "bad control token"}, status=403)
    body = json.loads(request.body)
    secret = secrets.token_urlsafe(32)
    application = Application.objects.create(
        name=body.get("name", "casebridge"),
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
        redirect_uris=" ".join(body["redirect_uris"]),
        post_logout_redirect_uris=" ".join(body.get("post_logout_redirect_uris", [])),
        client_secret=secret,  # hashed on save; the plain value is returned once, here
        skip_authorization=True,  # no consent screen for the test client
        algorithm=Application.RS256_ALGORITHM,
    )
    return JsonResponse({"client_id": application.client_id, "client_secret": secret})
