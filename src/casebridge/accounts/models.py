"""People, their roles and developer levels, teams, customer organisations and API tokens."""

from __future__ import annotations

from collections.abc import Iterable
from functools import cached_property

from django.contrib.auth.models import AbstractUser
from django.db import models

from casebridge.core.actors import Actor


class Role(models.TextChoices):
    REPORTER = "reporter", "Customer reporter"
    PARTNER = "partner", "Partner"
    L1_AGENT = "l1_agent", "L1 agent"
    L2_ENGINEER = "l2_engineer", "L2 engineer"
    RTE = "rte", "Release train engineer"
    PRODUCT_MANAGER = "product_manager", "Product manager"
    DEVELOPER = "developer", "Developer"
    DEVOPS = "devops", "DevOps"
    QA = "qa", "Tester"
    ADMIN = "admin", "Administrator"


#: Every role's label, for messages such as "needs the role: RTE". The system is no role a
#: person holds: an action it performs says when it happens (``Transition.automatic``).
ROLE_LABELS: dict[str, str] = {r.value: r.label for r in Role}

#: Roles held by people outside the company: they see only their organisation's cases and never
#: internal notes.
EXTERNAL_ROLES = frozenset({Role.REPORTER, Role.PARTNER})


class Level(models.TextChoices):
    L1 = "L1", "L1 junior"
    L2 = "L2", "L2 associate"
    L3 = "L3", "L3 senior"
    L4 = "L4", "L4 lead"


LEVEL_RANK: dict[str, int] = {"L1": 1, "L2": 2, "L3": 3, "L4": 4}


class Organisation(models.Model):
    """A customer organisation. Reporters belong to one; partners serve several."""

    audit_type = "organisation"

    name = models.CharField(max_length=200, unique=True)
    slug = models.SlugField(max_length=80, unique=True)
    email_domains = models.JSONField(
        default=list, blank=True, help_text="Mail domains of its people, e.g. acme.example."
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def key(self) -> str:
        return self.slug


class User(AbstractUser):
    audit_type = "user"

    level = models.CharField(max_length=2, choices=Level.choices, blank=True, default="")
    organisation = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.PROTECT, related_name="members"
    )
    served_organisations = models.ManyToManyField(
        Organisation, blank=True, related_name="partners", help_text="Partners act for these."
    )

    class Meta:
        ordering = ["username"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(level__in=["", "L1", "L2", "L3", "L4"]), name="user_level_valid"
            )
        ]

    @property
    def key(self) -> str:
        return self.username

    @cached_property
    def roles(self) -> frozenset[str]:
        return frozenset(grant.role for grant in self.role_grants.all())

    def set_roles(self, roles: Iterable[str]) -> None:
        """Take roles read along with the user, so that ``roles`` needs no query."""
        self.__dict__["roles"] = frozenset(roles)

    def has_role(self, *roles: str) -> bool:
        return bool(self.roles.intersection(roles))

    @property
    def is_external(self) -> bool:
        """Customers and partners: restricted to their organisations, never see internal notes."""
        return not self.roles or self.roles <= EXTERNAL_ROLES

    @property
    def level_rank(self) -> int:
        return LEVEL_RANK.get(self.level, 0)

    @property
    def display_name(self) -> str:
        return self.get_full_name() or self.username

    def __str__(self) -> str:
        return self.display_name


def as_user(actor: Actor) -> User:
    """The user behind ``actor``, where only a person can act (the system actor cannot)."""
    if not isinstance(actor, User):
        raise TypeError(f"{actor} is not a user")
    return actor


def user_or_none(actor: Actor | None) -> User | None:
    """The user behind ``actor``, or None for the system actor (stored as "no one")."""
    return actor if isinstance(actor, User) else None


class UserRole(models.Model):
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="role_grants")
    role = models.CharField(max_length=20, choices=Role.choices)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "role"], name="user_role_unique"),
            models.CheckConstraint(
                condition=models.Q(role__in=[r.value for r in Role]), name="user_role_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user_id}:{self.role}"


class TeamKind(models.TextChoices):
    DEVELOPMENT = "development", "Development team"
    DEVOPS = "devops", "DevOps team"


class Team(models.Model):
    audit_type = "team"

    name = models.CharField(max_length=120, unique=True)
    slug = models.SlugField(max_length=80, unique=True)
    kind = models.CharField(max_length=12, choices=TeamKind.choices, default=TeamKind.DEVELOPMENT)
    members = models.ManyToManyField(User, blank=True, related_name="teams")

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def key(self) -> str:
        return self.slug


class TokenScope(models.TextChoices):
    READ = "read", "Read"
    WRITE = "write", "Read and write"


class ApiToken(models.Model):
    """A bearer token. Only its SHA-256 is stored; the secret is shown once at creation."""

    audit_type = "api_token"

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=120)
    prefix = models.CharField(max_length=12, help_text="First characters, to recognise a token.")
    token_hash = models.CharField(max_length=64, unique=True)
    scope = models.CharField(max_length=5, choices=TokenScope.choices, default=TokenScope.READ)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.name})"

    @property
    def key(self) -> str:
        return self.prefix


class SsoGroupMapping(models.Model):
    """A group (or role claim value) from the identity provider and what it makes a person here:
    a role, a developer level, an organisation. Edited by administrators (the single sign-on
    page, ``casebridge sso mapping``); applied at every single sign-on (``accounts.sso``)."""

    audit_type = "sso_mapping"

    group = models.CharField(max_length=200, unique=True)
    role = models.CharField(max_length=32, choices=Role.choices)
    level = models.CharField(max_length=2, choices=Level.choices, blank=True, default="")
    organisation = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["group"]

    def __str__(self) -> str:
        return f"{self.group} → {self.role}"

    @property
    def key(self) -> str:
        return self.group[:64]
