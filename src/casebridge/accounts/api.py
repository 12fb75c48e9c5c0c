from __future__ import annotations

from typing import TYPE_CHECKING

from ninja import Router, Status

from casebridge.accounts import selectors, services
from casebridge.accounts.schemas import TeamOut, TokenCreatedOut, TokenIn, TokenOut, UserIn, UserOut
from casebridge.core.http import ApiRequest
from casebridge.core.schemas import ERRORS, WRITE_ERRORS

if TYPE_CHECKING:
    from casebridge.accounts.models import ApiToken

router = Router(tags=["users"])
teams_router = Router(tags=["teams"])
tokens_router = Router(tags=["tokens"])


@router.get("/me", response={200: UserOut, **ERRORS}, summary="The authenticated user")
def me(request: ApiRequest) -> UserOut:
    return UserOut.of(selectors.user_get_for(request.auth, request.auth.username))


@router.get("", response={200: list[UserOut], **ERRORS}, summary="List users")
def list_users(request: ApiRequest, role: str = "", level: str = "") -> list[UserOut]:
    return [UserOut.of(u) for u in selectors.user_list_for(request.auth, role=role, level=level)]


@router.post("", response={201: UserOut, **WRITE_ERRORS}, summary="Create a user (admin)")
def create_user(request: ApiRequest, body: UserIn) -> Status[UserOut]:
    organisation = selectors.organisation_by_slug(body.organisation) if body.organisation else None
    user = services.user_create(
        actor=request.auth,
        username=body.username,
        email=body.email,
        roles=list(body.roles),
        level=body.level or "",
        organisation=organisation,
        first_name=body.first_name,
        last_name=body.last_name,
    )
    return Status(201, UserOut.of(selectors.user_get_for(request.auth, user.username)))


@router.get("/{username}", response={200: UserOut, **ERRORS}, summary="One user")
def get_user(request: ApiRequest, username: str) -> UserOut:
    return UserOut.of(selectors.user_get_for(request.auth, username))


@teams_router.get("", response={200: list[TeamOut], **ERRORS}, summary="List teams")
def list_teams(request: ApiRequest) -> list[TeamOut]:
    return [
        TeamOut(
            slug=t.slug, name=t.name, kind=t.kind, members=[m.username for m in t.members.all()]
        )
        for t in selectors.team_list_for(request.auth)
    ]


def _token_out(token: ApiToken) -> dict[str, object]:
    return {
        "prefix": token.prefix,
        "name": token.name,
        "scope": token.scope,
        "created_at": token.created_at,
        "expires_at": token.expires_at,
        "revoked_at": token.revoked_at,
        "last_used_at": token.last_used_at,
    }


@tokens_router.get("", response={200: list[TokenOut], **ERRORS}, summary="Your API tokens")
def list_tokens(request: ApiRequest) -> list[dict[str, object]]:
    return [_token_out(t) for t in selectors.tokens_for(request.auth)]


@tokens_router.post("", response={201: TokenCreatedOut, **WRITE_ERRORS}, summary="Create a token")
def create_token(request: ApiRequest, body: TokenIn) -> Status[dict[str, object]]:
    token, secret = services.token_create(
        actor=request.auth,
        user=request.auth,
        name=body.name,
        scope=body.scope,
        expires_in_days=body.expires_in_days,
    )
    return Status(201, {**_token_out(token), "token": secret})


@tokens_router.post(
    "/{prefix}/revoke", response={200: TokenOut, **WRITE_ERRORS}, summary="Revoke a token"
)
def revoke_token(request: ApiRequest, prefix: str) -> dict[str, object]:
    token = selectors.token_get_for(request.auth, prefix)
    return _token_out(services.token_revoke(actor=request.auth, token=token))
