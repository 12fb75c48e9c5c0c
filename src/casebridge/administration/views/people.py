"""Settings pages of organisations, users (with their API tokens) and teams."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_http_methods, require_POST

from casebridge.accounts import selectors as accounts
from casebridge.accounts import services
from casebridge.accounts.models import Organisation, Role, TeamKind, User
from casebridge.administration.forms import (
    CapacityForm,
    MemberForm,
    OrganisationEditForm,
    OrganisationForm,
    PartnersForm,
    TeamForm,
    TokenForm,
    UserEditForm,
    UserForm,
    split_list,
)
from casebridge.administration.views.common import admin_page, refused, settings_render
from casebridge.core.errors import DomainError
from casebridge.sprints.models import TeamCapacity
from casebridge.sprints.services.sprints import team_capacity_set
from casebridge.web.pages import Request, viewer

# --- organisations ------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@admin_page
def organisations(request: Request) -> HttpResponse:
    form = OrganisationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            organisation = services.organisation_create(
                actor=viewer(request),
                name=form.cleaned_data["name"],
                slug=form.cleaned_data["slug"],
                email_domains=split_list(form.cleaned_data["email_domains"]),
            )
        except DomainError as exc:
            refused(form, exc)
        else:
            messages.success(request, f"Organisation {organisation.name} created.")
            return redirect("administration:organisation", organisation.slug)
    rows = accounts.organisation_list_for(viewer(request)).prefetch_related("members", "partners")
    status = 422 if form.errors else 200
    context = {"organisations": rows, "form": form}
    return settings_render(
        request, "administration/organisations.html", "organisations", context, status=status
    )


@require_http_methods(["GET", "POST"])
@admin_page
def organisation(request: Request, slug: str) -> HttpResponse:
    user = viewer(request)
    org = accounts.organisation_get_for(user, slug)
    initial = {"name": org.name, "email_domains": "\n".join(org.email_domains)}
    form = OrganisationEditForm(initial=initial)
    members, partners = accounts.organisation_people(org)
    partners_form = PartnersForm(initial={"partners": [p.username for p in partners]})
    if request.method == "POST":
        try:
            if request.POST.get("form") == "partners":
                partners_form = PartnersForm(request.POST)
                if partners_form.is_valid():
                    chosen = [
                        accounts.user_by_username(name, field="partners")
                        for name in partners_form.cleaned_data["partners"]
                    ]
                    services.organisation_set_partners(
                        actor=user, organisation=org, partners=chosen
                    )
                    messages.success(request, "Partners saved.")
                    return redirect("administration:organisation", org.slug)
            else:
                form = OrganisationEditForm(request.POST)
                if form.is_valid():
                    services.organisation_update(
                        actor=user,
                        organisation=org,
                        name=form.cleaned_data["name"],
                        email_domains=split_list(form.cleaned_data["email_domains"]),
                    )
                    messages.success(request, f"Organisation {org.name} saved.")
                    return redirect("administration:organisation", org.slug)
        except DomainError as exc:
            refused(form if request.POST.get("form") != "partners" else partners_form, exc)
    context = {
        "org": org,
        "form": form,
        "partners_form": partners_form,
        "members": members,
        "partners": partners,
    }
    status = 422 if form.errors or partners_form.errors else 200
    return settings_render(
        request, "administration/organisation.html", "organisations", context, status=status
    )


# --- users --------------------------------------------------------------------------------


def _organisation_or_none(slug: str) -> Organisation | None:
    return accounts.organisation_by_slug(slug) if slug else None


@require_http_methods(["GET", "POST"])
@admin_page
def users(request: Request) -> HttpResponse:
    user = viewer(request)
    initial: dict[str, object] = {"organisation": request.GET.get("org", "")}
    form = UserForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            created = services.user_create(
                actor=user,
                username=data["username"],
                email=data["email"],
                roles=data["roles"],
                level=data["level"],
                organisation=_organisation_or_none(data["organisation"]),
                password=data["password"] or None,
                first_name=data["first_name"],
                last_name=data["last_name"],
            )
        except DomainError as exc:
            refused(form, exc, aliases={"role": "roles", "org": "organisation"})
        else:
            messages.success(request, f"User {created.username} created.")
            return redirect("administration:user", created.username)
    role = request.GET.get("role", "")
    text = request.GET.get("q", "")[:100]
    rows = accounts.user_admin_list(user, role=role if role in Role.values else "", text=text)
    context = {
        "users": rows,
        "form": form,
        "roles": Role.choices,
        "role": role,
        "q": text,
    }
    status = 422 if form.errors else 200
    return settings_render(request, "administration/users.html", "users", context, status=status)


def _user_initial(person: User) -> dict[str, object]:
    return {
        "email": person.email,
        "first_name": person.first_name,
        "last_name": person.last_name,
        "roles": sorted(person.roles),
        "level": person.level,
        "organisation": getattr(person.organisation, "slug", ""),
        "active": person.is_active,
    }


@require_http_methods(["GET", "POST"])
@admin_page
def user_detail(request: Request, username: str) -> HttpResponse:
    admin = viewer(request)
    person = accounts.user_admin_get(admin, username)
    form = UserEditForm(initial=_user_initial(person))
    token_form = TokenForm(initial={"expires_in_days": 90, "scope": "read"})
    secret = ""
    if request.method == "POST" and request.POST.get("form") == "token":
        token_form = TokenForm(request.POST)
        if token_form.is_valid():
            try:
                _, secret = services.token_create(
                    actor=admin, user=person, **token_form.cleaned_data
                )
            except DomainError as exc:
                refused(token_form, exc)
            else:
                token_form = TokenForm(initial={"expires_in_days": 90, "scope": "read"})
    elif request.method == "POST":
        form = UserEditForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.user_update(
                    actor=admin,
                    user=person,
                    email=data["email"],
                    first_name=data["first_name"],
                    last_name=data["last_name"],
                    roles=data["roles"],
                    level=data["level"],
                    organisation=_organisation_or_none(data["organisation"]),
                    active=data["active"],
                )
            except DomainError as exc:
                refused(form, exc, aliases={"role": "roles", "org": "organisation"})
            else:
                messages.success(request, f"User {person.username} saved.")
                return redirect("administration:user", person.username)
    context = {
        "person": person,
        "form": form,
        "token_form": token_form,
        "tokens": accounts.tokens_of(admin, person),
        "secret": secret,
    }
    status = 422 if form.errors or token_form.errors else 200
    return settings_render(request, "administration/user.html", "users", context, status=status)


@require_POST
@admin_page
def token_revoke(request: Request, username: str, prefix: str) -> HttpResponse:
    admin = viewer(request)
    person = accounts.user_admin_get(admin, username)
    token = accounts.token_of(admin, person, prefix)
    services.token_revoke(actor=admin, token=token)
    messages.success(request, f"Token {token.prefix}… revoked.")
    return redirect("administration:user", person.username)


# --- teams --------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@admin_page
def teams(request: Request) -> HttpResponse:
    form = TeamForm(request.POST or None, initial={"kind": TeamKind.DEVELOPMENT})
    if request.method == "POST" and form.is_valid():
        try:
            team = services.team_create(actor=viewer(request), **form.cleaned_data)
        except DomainError as exc:
            refused(form, exc)
        else:
            messages.success(request, f"Team {team.name} created: add its members.")
            return redirect("administration:team", team.slug)
    rows = accounts.team_list_for(viewer(request)).prefetch_related("services")
    capacities = {c.team_id: c for c in TeamCapacity.objects.all()}
    context = {"teams": [(t, capacities.get(t.pk)) for t in rows], "form": form}
    status = 422 if form.errors else 200
    return settings_render(request, "administration/teams.html", "teams", context, status=status)


@require_http_methods(["GET", "POST"])
@admin_page
def team(request: Request, slug: str) -> HttpResponse:
    admin = viewer(request)
    team = accounts.team_get_for(admin, slug)
    capacity = TeamCapacity.objects.filter(team=team).first()
    which = request.POST.get("form", "")
    posted = request.method == "POST"
    form = TeamForm(
        request.POST if which == "team" else None, initial={"name": team.name, "kind": team.kind}
    )
    member_form = MemberForm(request.POST if which == "member" else None, team=team)
    capacity_form = CapacityForm(
        request.POST if which == "capacity" else None,
        initial={
            "unit": getattr(capacity, "unit", "points"),
            "default_capacity": getattr(capacity, "default_capacity", None),
        },
    )
    bound = {"team": form, "member": member_form, "capacity": capacity_form}.get(which)
    if posted and bound is not None and bound.is_valid():
        data = bound.cleaned_data
        try:
            if which == "team":
                services.team_update(actor=admin, team=team, name=data["name"], kind=data["kind"])
            elif which == "member":
                person = accounts.user_by_username(data["username"], field="username")
                services.team_member_add(actor=admin, team=team, user=person)
            else:
                team_capacity_set(
                    actor=admin,
                    team=team,
                    unit=data["unit"],
                    default_capacity=data["default_capacity"],
                )
        except DomainError as exc:
            refused(bound, exc)
        else:
            messages.success(request, f"Team {team.name} saved.")
            return redirect("administration:team", team.slug)
    context = {
        "team": team,
        "members": team.members.prefetch_related("role_grants").order_by("username"),
        "form": form,
        "member_form": member_form,
        "capacity_form": capacity_form,
    }
    status = 422 if bound is not None and bound.errors else 200
    return settings_render(request, "administration/team.html", "teams", context, status=status)


@require_POST
@admin_page
def team_member_remove(request: Request, slug: str, username: str) -> HttpResponse:
    admin = viewer(request)
    team = accounts.team_get_for(admin, slug)
    person = accounts.user_by_username_any(username)
    services.team_member_remove(actor=admin, team=team, user=person)
    messages.success(request, f"{person.display_name} left {team.name}.")
    return redirect("administration:team", team.slug)
