"""The checks of the incident workflow's transitions: who may take which role, what a severity
needs, and what a review must hold before it is done. Each yields every reason at once."""

from __future__ import annotations

from collections.abc import Iterator

from casebridge.accounts.models import Role, User
from casebridge.core.errors import Reason
from casebridge.incidents import policies
from casebridge.incidents.models import (
    Incident,
    IncidentState,
    Review,
    Severity,
)
from casebridge.incidents.policies import STAFF
from casebridge.workflows.engine import Context

S = IncidentState

REVIEW_FIELDS = {
    "summary": "Summarise the incident",
    "root_cause": "State the root cause",
    "impact": "Describe the impact",
    "duration_minutes": "Give the impact's duration in minutes",
    "customers_affected": "Give how many customers were affected",
    "went_well": "Say what went well",
    "went_badly": "Say what went badly",
}


def members(incident: Incident) -> list[User]:
    """The people in the incident: lead, owner and participants."""
    people: list[User | None] = [incident.lead, incident.owner]
    people += [p.user for p in incident.participants.select_related("user")]
    return [p for p in people if p is not None]


def check_in_command(ctx: Context[Incident]) -> Iterator[Reason]:
    """The lead or the accountable owner runs the incident; an admin may step in."""
    incident: Incident = ctx.subject
    actor = ctx.actor
    if actor.has_role(Role.ADMIN) or actor.pk in (incident.lead_id, incident.owner_id):
        return
    yield Reason(
        "in_command",
        f"Only the incident's lead ({incident.lead.display_name}) or accountable owner changes it",
    )


def check_lead(ctx: Context[Incident]) -> Iterator[Reason]:
    """Policy 6 on the new lead; a missing one is the transition's requirement."""
    lead = ctx.data.get("lead")
    if not ctx.preview and lead is not None:
        yield from policies.lead_reasons(lead)


def check_owner(ctx: Context[Incident]) -> Iterator[Reason]:
    if not ctx.preview:
        yield from policies.owner_reasons(ctx.subject.severity, ctx.data.get("owner"))


def check_severity(ctx: Context[Incident]) -> Iterator[Reason]:
    if ctx.preview:
        return
    severity = ctx.data.get("severity")
    if severity not in Severity.values:
        yield Reason("invalid", "Use sev1, sev2 or sev3", "severity")
        return
    owner = ctx.data.get("owner") or ctx.subject.owner
    yield from policies.owner_reasons(str(severity), owner)


def _internal(user: object, field: str) -> Iterator[Reason]:
    if user is not None and (user.is_external or not user.has_role(*STAFF, Role.QA)):  # type: ignore[attr-defined]
        yield Reason("role", f"{user} is not on the incident staff", field)


def check_scribe(ctx: Context[Incident]) -> Iterator[Reason]:
    if not ctx.preview:
        yield from _internal(ctx.data.get("scribe"), "scribe")


def check_comms(ctx: Context[Incident]) -> Iterator[Reason]:
    comms = ctx.data.get("comms")
    if ctx.preview or comms is None:
        return
    if not comms.has_role(Role.L1_AGENT, Role.L2_ENGINEER):
        yield Reason(
            "role",
            f"The communications contact comes from support (L1 or L2); {comms} does not",
            "comms",
        )


def check_participant(ctx: Context[Incident]) -> Iterator[Reason]:
    person = ctx.data.get("participant")
    if ctx.preview or person is None:
        return
    incident: Incident = ctx.subject
    yield from _internal(person, "participant")
    if incident.participants.filter(user=person).exists():
        yield Reason("duplicate", f"{person} already participates", "participant")
    yield from policies.guide_reasons(person, ctx.data.get("guide"), members(incident))


def check_leaving(ctx: Context[Incident]) -> Iterator[Reason]:
    person = ctx.data.get("participant")
    if ctx.preview or person is None:
        return
    incident: Incident = ctx.subject
    if not incident.participants.filter(user=person).exists():
        yield Reason("not_found", f"{person} does not participate", "participant")
    guided = incident.participants.filter(guide=person).select_related("user")
    for row in guided:
        yield Reason(
            "policy_2",
            f"{person} guides {row.user}: remove {row.user} or change their guide first",
            "participant",
        )


def check_review_lead(ctx: Context[Incident]) -> Iterator[Reason]:
    """Policy 7 on the review's lead; a missing one is the transition's requirement."""
    lead = ctx.data.get("review_lead")
    if not ctx.preview and lead is not None:
        yield from policies.review_lead_reasons(lead)


def check_review_done(ctx: Context[Incident]) -> Iterator[Reason]:
    """An incident closes when its review is written and every action item is a work item with
    an owner (PRODUCT §7, policy 7)."""
    incident: Incident = ctx.subject
    review = Review.objects.filter(incident=incident).first()
    if review is None:
        yield Reason("review", "Start the post-incident review first", "review")
        return
    for name, message in REVIEW_FIELDS.items():
        value = getattr(review, name)
        if value is None or (isinstance(value, str) and not value.strip()):
            yield Reason("review", f"{message} in the review", name)
    for item in incident.action_items.all():
        if item.owner_id is None:
            yield Reason("action_item", f"Action item '{item.title}' has no owner", "action_items")
        elif item.work_item_id is None:
            yield Reason(
                "action_item", f"Action item '{item.title}' is not a work item yet", "action_items"
            )
