from __future__ import annotations

from django.db import transaction
from ninja import Router, Status

from casebridge.accounts import selectors, services
from casebridge.accounts.models import ApiToken, Organisation, Role, User
from casebridge.accounts.schemas import (
    MemberIn,
    OrganisationIn,
    OrganisationOut,
    OrganisationPatch,
    TeamIn,
    TeamOut,
    TeamPatch,
    TokenCreatedOut,
    TokenIn,
    TokenOut,
    UserIn,
    UserOut,
    UserPatch,
)
from casebridge.core.actors import Actor
from casebridge.core.http import ApiRequest
from casebridge.core.schemas import ERRORS, WRITE_ERRORS

router = Router(tags=["users"])
teams_router = Router(tags=["teams"])
tokens_router = Router(tags=["tokens"])
organisations_router = Router(tags=["organisations"])


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


def _user(viewer: Actor, username: str) -> User:
    """Administrators see deactivated accounts too; everyone else the directory."""
    if viewer.has_role(Role.ADMIN):
        return selectors.user_admin_get(viewer, username)
    return selectors.user_get_for(viewer, username)


@router.get("/{username}", response={200: UserOut, **ERRORS}, summary="One user")
def get_user(request: ApiRequest, username: str) -> UserOut:
    return UserOut.of(_user(request.auth, username))


@router.patch(
    "/{username}",
    response={200: UserOut, **WRITE_ERRORS},
    summary="Change a user's profile, roles, level, organisation or active flag (admin)",
)
def update_user(request: ApiRequest, username: str, body: UserPatch) -> UserOut:
    user = _user(request.auth, username)
    given = body.model_fields_set
    organisation: Organisation | object | None = services.UNSET
    if "organisation" in given:
        organisation = (
            selectors.organisation_by_slug(body.organisation) if body.organisation else None
        )
    updated = services.user_update(
        actor=request.auth,
        user=user,
        email=body.email,
        first_name=body.first_name,
        last_name=body.last_name,
        roles=list(body.roles) if body.roles is not None else None,
        level=body.level,
        organisation=organisation,
        active=body.active,
    )
    return UserOut.of(selectors.user_admin_get(request.auth, updated.username))


@router.post(
    "/{username}/deactivate",
    response={200: UserOut, **WRITE_ERRORS},
    summary="Deactivate a user: no sign-in, no token (admin)",
)
def deactivate_user(request: ApiRequest, username: str) -> UserOut:
    user = _user(request.auth, username)
    services.user_deactivate(actor=request.auth, user=user)
    return UserOut.of(selectors.user_admin_get(request.auth, username))


@router.get(
    "/{username}/tokens",
    response={200: list[TokenOut], **ERRORS},
    summary="A user's API tokens (admin, or the user)",
)
def list_user_tokens(request: ApiRequest, username: str) -> list[dict[str, object]]:
    user = _user(request.auth, username)
    return [_token_out(t) for t in selectors.tokens_of(request.auth, user)]


@router.post(
    "/{username}/tokens",
    response={201: TokenCreatedOut, **WRITE_ERRORS},
    summary="Create a token for a user; its secret is shown this once (admin)",
)
def create_user_token(
    request: ApiRequest, username: str, body: TokenIn
) -> Status[dict[str, object]]:
    user = _user(request.auth, username)
    token, secret = services.token_create(
        actor=request.auth,
        user=user,
        name=body.name,
        scope=body.scope,
        expires_in_days=body.expires_in_days,
    )
    return Status(201, {**_token_out(token), "token": secret})


@router.post(
    "/{username}/tokens/{prefix}/revoke",
    response={200: TokenOut, **WRITE_ERRORS},
    summary="Revoke a user's token (admin, or the user)",
)
def revoke_user_token(request: ApiRequest, username: str, prefix: str) -> dict[str, object]:
    user = _user(request.auth, username)
    token = selectors.token_of(request.auth, user, prefix)
    return _token_out(services.token_revoke(actor=request.auth, token=token))


# --- teams --------------------------------------------------------------------------------


def _team(viewer: Actor, slug: str) -> TeamOut:
    return TeamOut.of(selectors.team_get_for(viewer, slug))


@teams_router.get("", response={200: list[TeamOut], **ERRORS}, summary="List teams")
def list_teams(request: ApiRequest) -> list[TeamOut]:
    return [TeamOut.of(t) for t in selectors.team_list_for(request.auth)]


@teams_router.post("", response={201: TeamOut, **WRITE_ERRORS}, summary="Create a team (admin)")
def create_team(request: ApiRequest, body: TeamIn) -> Status[TeamOut]:
    members = [selectors.user_by_username(u, field="members") for u in body.members]
    team = services.team_create(actor=request.auth, name=body.name, kind=body.kind, members=members)
    return Status(201, _team(request.auth, team.slug))


@teams_router.get("/{slug}", response={200: TeamOut, **ERRORS}, summary="One team")
def get_team(request: ApiRequest, slug: str) -> TeamOut:
    return _team(request.auth, slug)


@teams_router.patch("/{slug}", response={200: TeamOut, **WRITE_ERRORS}, summary="Change (admin)")
def update_team(request: ApiRequest, slug: str, body: TeamPatch) -> TeamOut:
    team = selectors.team_get_for(request.auth, slug)
    services.team_update(actor=request.auth, team=team, name=body.name, kind=body.kind)
    return _team(request.auth, slug)


@teams_router.post(
    "/{slug}/members", response={200: TeamOut, **WRITE_ERRORS}, summary="Add a member (admin)"
)
def add_member(request: ApiRequest, slug: str, body: MemberIn) -> TeamOut:
    team = selectors.team_get_for(request.auth, slug)
    user = selectors.user_by_username(body.username, field="username")
    services.team_member_add(actor=request.auth, team=team, user=user)
    return _team(request.auth, slug)


@teams_router.post(
    "/{slug}/members/{username}/remove",
    response={200: TeamOut, **WRITE_ERRORS},
    summary="Remove a member (admin)",
)
def remove_member(request: ApiRequest, slug: str, username: str) -> TeamOut:
    team = selectors.team_get_for(request.auth, slug)
    user = selectors.user_by_username_any(username)
    services.team_member_remove(actor=request.auth, team=team, user=user)
    return _team(request.auth, slug)


# --- organisations ------------------------------------------------------------------------


def _organisation_out(viewer: Actor, slug: str) -> OrganisationOut:
    organisation = selectors.organisation_get_for(viewer, slug)
    return OrganisationOut.of(organisation, people=not viewer.is_external)


@organisations_router.get(
    "", response={200: list[OrganisationOut], **ERRORS}, summary="List organisations"
)
def list_organisations(request: ApiRequest) -> list[OrganisationOut]:
    people = not request.auth.is_external
    rows = selectors.organisation_list_for(request.auth).prefetch_related("members", "partners")
    return [OrganisationOut.of(o, people=people) for o in rows]


@organisations_router.post(
    "", response={201: OrganisationOut, **WRITE_ERRORS}, summary="Create an organisation (admin)"
)
def create_organisation(request: ApiRequest, body: OrganisationIn) -> Status[OrganisationOut]:
    organisation = services.organisation_create(
        actor=request.auth, name=body.name, slug=body.slug, email_domains=body.email_domains
    )
    return Status(201, _organisation_out(request.auth, organisation.slug))


@organisations_router.get(
    "/{slug}", response={200: OrganisationOut, **ERRORS}, summary="One organisation"
)
def get_organisation(request: ApiRequest, slug: str) -> OrganisationOut:
    return _organisation_out(request.auth, slug)


@organisations_router.patch(
    "/{slug}",
    response={200: OrganisationOut, **WRITE_ERRORS},
    summary="Rename, change mail domains or partners (admin)",
)
def update_organisation(request: ApiRequest, slug: str, body: OrganisationPatch) -> OrganisationOut:
    organisation = selectors.organisation_get_for(request.auth, slug)
    with transaction.atomic():
        services.organisation_update(
            actor=request.auth,
            organisation=organisation,
            name=body.name,
            email_domains=body.email_domains,
        )
        if body.partners is not None:
            partners = [selectors.user_by_username(u, field="partners") for u in body.partners]
            services.organisation_set_partners(
                actor=request.auth, organisation=organisation, partners=partners
            )
    return _organisation_out(request.auth, slug)


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
