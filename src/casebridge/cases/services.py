"""Every write to cases: intake, edits, comments, attachments and the L2 transitions."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction

from casebridge.accounts.models import Organisation, Role, User
from casebridge.audit.actions import AuditAction
from casebridge.audit.services import audit_changes, audit_record, model_update
from casebridge.cases.comments import comment_announce, comment_record
from casebridge.cases.events import CaseCreated, CaseUpdated
from casebridge.cases.models import Case, CasePolicy, CaseState, Comment, Impact, Source
from casebridge.cases.workflow import CASE_WORKFLOW
from casebridge.catalog.models import Component, Environment, Service
from casebridge.core import clock, events, keys
from casebridge.core.actors import SYSTEM, SYSTEM_ROLE, Actor
from casebridge.core.errors import PermissionDenied, ValidationFailed
from casebridge.core.prepared import row_insert
from casebridge.integrations.outbox import outbox_message
from casebridge.workflows.engine import apply_transition

CASE_PREFIX = "CB"
INTAKE_ROLES = (
    Role.REPORTER,
    Role.PARTNER,
    Role.L1_AGENT,
    Role.L2_ENGINEER,
    Role.ADMIN,
)
TITLE_MAX = 200
TEXT_MAX = 50_000


@dataclass(frozen=True)
class CaseInput:
    title: str
    description: str
    service: Service
    environment: str
    component: Component | None = None
    impact: str = Impact.MEDIUM
    version: str = ""
    organisation: Organisation | None = None
    reporter: User | None = None


def _source(actor: User, channel: str) -> str:
    """Where a case came from: the channel for machines, the role for people on the web."""
    if channel in (Source.API, Source.CLI, Source.EMAIL, Source.MONITORING):
        return channel
    if actor.has_role(Role.REPORTER):
        return Source.PORTAL
    if actor.has_role(Role.PARTNER):
        return Source.PARTNER
    if actor.has_role(Role.L1_AGENT):
        return Source.L1_AGENT
    return Source.STAFF


def _validate_text(data: CaseInput) -> dict[str, str]:
    errors: dict[str, str] = {}
    title = data.title.strip()
    if len(title) < 3:
        errors["title"] = "Give a title of at least 3 characters."
    elif len(title) > TITLE_MAX:
        errors["title"] = f"Keep the title under {TITLE_MAX} characters (it has {len(title)})."
    if len(data.description) > TEXT_MAX:
        errors["description"] = f"Keep the description under {TEXT_MAX} characters."
    if data.environment not in Environment.values:
        errors["environment"] = f"Use one of {', '.join(Environment.values)}."
    if data.impact not in Impact.values:
        errors["impact"] = f"Use one of {', '.join(Impact.values)}."
    if data.component is not None and data.component.service_id != data.service.pk:
        errors["component"] = f"{data.component.name} is not a component of {data.service.name}."
    if len(data.version) > 64:
        errors["version"] = "Keep the version under 64 characters."
    return errors


def _organisation_for(actor: User, data: CaseInput) -> tuple[Organisation | None, dict[str, str]]:
    """Customers report for their own organisation; partners for one they serve."""
    if actor.has_role(Role.REPORTER) and actor.is_external:
        own = actor.organisation
        if data.organisation is not None and data.organisation.pk != actor.organisation_id:
            mine = f"your own organisation ({own.name})" if own else "no organisation"
            return None, {"organisation": f"You can only report for {mine}."}
        return own, {}
    if actor.has_role(Role.PARTNER) and actor.is_external:
        if data.organisation is None:
            return None, {"organisation": "Choose the customer organisation you report for."}
        if not actor.served_organisations.filter(pk=data.organisation.pk).exists():
            return None, {"organisation": f"You do not act for {data.organisation.name}."}
    return data.organisation, {}


def _of_another_organisation(reporter: User | None, organisation: Organisation | None) -> bool:
    """A reporter named for an organisation must be one of its people (or internal staff)."""
    return (
        reporter is not None
        and organisation is not None
        and reporter.organisation_id is not None
        and reporter.organisation_id != organisation.pk
    )


@transaction.atomic
def case_create(*, actor: User, data: CaseInput, channel: str = "web") -> Case:
    """Log a new case. Customers, partners, L1 and L2 may; the key is allocated atomically.

    The reporter is the person who reported it: the caller an agent names (one of the chosen
    organisation's people), or the actor. ``logged_by`` records who entered it.
    """
    if not actor.has_role(*INTAKE_ROLES):
        raise PermissionDenied("Your role may not open cases")
    errors = _validate_text(data)
    organisation, org_errors = _organisation_for(actor, data)
    errors.update(org_errors)
    reporter = data.reporter or actor
    if actor.is_external and reporter.pk != actor.pk:
        errors["reporter"] = "You can only report in your own name."
    elif _of_another_organisation(data.reporter, organisation):
        assert data.reporter is not None and organisation is not None
        errors["reporter"] = f"{data.reporter.display_name} is not a person of {organisation.name}."
    if errors:
        raise ValidationFailed("The case could not be created", fields=errors)
    key, number = keys.next_key(CASE_PREFIX)
    now = clock.now()
    case = Case(
        key=key,
        number=number,
        title=data.title.strip(),
        description=data.description.strip(),
        source=_source(actor, channel),
        state=CaseState.NEW,
        reporter=reporter,
        logged_by=actor,
        organisation=organisation or reporter.organisation,
        service=data.service,
        component=data.component,
        environment=data.environment,
        version=data.version.strip(),
        impact=data.impact,
        created_at=now,
    )
    row_insert(case)
    audit_record(
        actor=actor,
        subject=case,
        action=AuditAction.CREATED,
        new=case.state,
        data={"source": case.source, "service": data.service.slug},
        public=True,
    )
    # Built now (its cause: the audit event above), written with the domain event's outbox
    # rows in one statement; the in-transaction subscribers (the index) get the new case itself.
    message = outbox_message(
        topic="case.created", key=key, payload={"key": key, "source": case.source}
    )
    events.publish(
        CaseCreated(
            key=key,
            case_id=case.pk,
            organisation_id=case.organisation_id,
            source=case.source,
            service_id=data.service.pk,
            reporter_id=reporter.pk,
            actor_id=events.actor_id(actor),
        ),
        outbox=[message],
        written=[case],
    )
    return case


EDITABLE = ("title", "description", "service", "component", "environment", "version", "impact")


@transaction.atomic
def case_update(*, actor: Actor, case: Case, changes: Mapping[str, Any]) -> Case:
    """Correct a case's details (internal staff only); one audit event per changed field."""
    if actor.is_external or not actor.has_role(
        Role.L1_AGENT, Role.L2_ENGINEER, Role.ADMIN, SYSTEM_ROLE
    ):
        raise PermissionDenied("Only support staff may edit a case")
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise ValidationFailed(
            "Unknown fields", fields=dict.fromkeys(unknown, "This field cannot be edited.")
        )
    case = Case.objects.select_for_update(of=("self",)).select_related("service").get(pk=case.pk)
    merged = {name: changes.get(name, getattr(case, name)) for name in EDITABLE}
    if "service" in changes and "component" not in changes:
        merged["component"] = None
    errors = _validate_text(CaseInput(**merged))
    if errors:
        raise ValidationFailed("The case could not be updated", fields=errors)
    values = {
        name: given.strip() if isinstance(given, str) else given for name, given in merged.items()
    }
    diff = model_update(case, values, actor=actor, action=AuditAction.UPDATED)
    if not diff:
        return case  # a no-op change writes nothing
    events.publish(
        CaseUpdated(
            key=case.key,
            case_id=case.pk,
            organisation_id=case.organisation_id,
            fields=list(diff),
            actor_id=events.actor_id(actor),
        )
    )
    return case


def case_transition(
    *, actor: Actor, case: Case, action: str, data: Mapping[str, object] | None = None
) -> Case:
    """Apply one L2 workflow action (take, request_info, answer, resolve, escalate, ...)."""
    payload = dict(data or {})
    result = apply_transition(
        workflow=CASE_WORKFLOW,
        subject=case,
        actor=actor,
        action=action,
        data=payload,
        reason=str(payload.get("reason") or payload.get("note") or ""),
    )
    assert isinstance(result, Case)
    return result


@transaction.atomic
def comment_add(*, actor: User, case: Case, body: str, internal: bool = False) -> Comment:
    """Add a comment. A reporter's public reply resumes a case waiting on them."""
    body = body.strip()
    errors: dict[str, str] = {}
    if not body:
        errors["body"] = "Write something."
    elif len(body) > TEXT_MAX:
        errors["body"] = f"Keep a comment under {TEXT_MAX} characters."
    if internal and actor.is_external:
        errors["internal"] = "Only support staff can write internal notes."
    if errors:
        raise ValidationFailed("The comment could not be added", fields=errors)
    comment = comment_record(actor=actor, case=case, body=body, internal=internal)
    if not internal and actor.is_external and case.state == CaseState.WAITING_ON_REPORTER:
        case_transition(actor=actor, case=case, action="answer")
    comment_announce(actor=actor, case=case, comment=comment)
    return comment


def case_auto_close_days() -> int:
    """The quiet period: the administrator's setting, else the environment's default."""
    row = CasePolicy.objects.filter(name="default").first()
    return row.auto_close_days if row is not None else int(settings.CASE_AUTO_CLOSE_DAYS)


@transaction.atomic
def case_policy_set(*, actor: Actor | None, auto_close_days: int) -> CasePolicy:
    """An administrator sets how many days a resolved case waits before it closes by itself.
    ``None`` is the operator at the server's shell."""
    if actor is not None and not actor.has_role(Role.ADMIN):
        raise PermissionDenied("Only an administrator may change the case policy")
    if not 1 <= auto_close_days <= 365:
        raise ValidationFailed(
            "The case policy could not be changed",
            fields={"auto_close_days": "Use 1 to 365 days."},
        )
    before = case_auto_close_days()
    row = CasePolicy.objects.select_for_update().filter(name="default").first()
    if row is None:
        row = CasePolicy(name="default", auto_close_days=auto_close_days)
        row.save()
    elif row.auto_close_days != auto_close_days:
        row.auto_close_days = auto_close_days
        row.save(update_fields=["auto_close_days"])
    audit_changes(
        actor=actor,
        subject=row,
        action="policy_changed",
        changes={"auto_close_days": (before, auto_close_days)},
    )
    return row


def close_quiet_resolved_cases(*, limit: int = 500) -> int:
    """Close cases resolved longer than the quiet period ago; returns how many were closed."""
    cutoff = clock.now() - timedelta(days=case_auto_close_days())
    quiet = Case.objects.filter(state=CaseState.RESOLVED, resolved_at__lte=cutoff)
    closed = 0
    for case in quiet.order_by("resolved_at")[:limit]:
        case_transition(actor=SYSTEM, case=case, action="close", data={"reason": "quiet period"})
        closed += 1
    return closed


def case_sla_summary_set(
    *, case_id: int, due_at: datetime | None, warn_at: datetime | None, paused: bool
) -> None:
    """Store the SLA app's summary of a case's clocks (derived data, recomputed at will, so no
    audit event): what the queue sorts by and shows without a join."""
    Case.objects.filter(pk=case_id).exclude(
        sla_due_at=due_at, sla_warn_at=warn_at, sla_paused=paused
    ).update(sla_due_at=due_at, sla_warn_at=warn_at, sla_paused=paused)
