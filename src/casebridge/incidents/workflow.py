"""The incident lifecycle as one declarative workflow: states, and the role changes as stay
transitions, so that every change (state, lead, owner, scribe, comms, participants, severity) has
one code path, checks the ladder policies, is audited and lands on the timeline (``after``)."""

from __future__ import annotations

from collections.abc import Mapping

from casebridge.accounts.models import ROLE_LABELS
from casebridge.audit.models import AuditEvent
from casebridge.cases.following import case_follow_incident
from casebridge.core import clock, events
from casebridge.incidents import policies
from casebridge.incidents.checks import (
    check_comms,
    check_in_command,
    check_lead,
    check_leaving,
    check_owner,
    check_participant,
    check_review_done,
    check_review_lead,
    check_scribe,
    check_severity,
)
from casebridge.incidents.events import IncidentChanged
from casebridge.incidents.models import (
    PRIORITY_OF_SEVERITY,
    Incident,
    IncidentState,
    Participant,
    Review,
    Severity,
)
from casebridge.incidents.timeline import transition_entry
from casebridge.workflows.engine import (
    Context,
    Effect,
    Requirement,
    State,
    StateGroup,
    Transition,
    Workflow,
)

S = IncidentState
STAFF = policies.STAFF
RUNNING = frozenset({S.ACTIVE, S.MITIGATED, S.RESOLVED, S.IN_REVIEW})
Changes = Mapping[str, tuple[object, object]]
# --- effects ------------------------------------------------------------------------------------


def _set(field: str) -> Effect[Incident]:
    def effect(ctx: Context[Incident]) -> Changes:
        incident: Incident = ctx.subject
        old, new = getattr(incident, field), ctx.data.get(field)
        setattr(incident, field, new)
        return {field: (old, new)}

    return effect


def effect_mitigate(ctx: Context[Incident]) -> Changes:
    ctx.subject.mitigated_at = clock.now()
    return {}


def effect_resolve(ctx: Context[Incident]) -> Changes:
    ctx.subject.resolved_at = clock.now()
    return {}


def effect_reopen(ctx: Context[Incident]) -> Changes:
    incident: Incident = ctx.subject
    incident.resolved_at = None
    return {}


def effect_start_review(ctx: Context[Incident]) -> Changes:
    incident: Incident = ctx.subject
    lead = ctx.data["review_lead"]
    review, created = Review.objects.get_or_create(
        incident=incident, defaults={"lead": lead, "started_at": clock.now()}
    )
    old = None if created else review.lead
    if not created and review.lead_id != lead.pk:
        review.lead = lead
        review.save(update_fields=["lead", "updated_at"])
    if review.duration_minutes is None and incident.resolved_at is not None:
        minutes = (incident.resolved_at - incident.declared_at).total_seconds() // 60
        review.duration_minutes = int(minutes)
        review.save(update_fields=["duration_minutes", "updated_at"])
    return {"review_lead": (old, lead)}


def effect_close(ctx: Context[Incident]) -> Changes:
    ctx.subject.closed_at = clock.now()
    return {}


def effect_add_participant(ctx: Context[Incident]) -> Changes:
    person, guide = ctx.data["participant"], ctx.data.get("guide")
    Participant.objects.create(
        incident=ctx.subject, user=person, guide=guide, joined_at=clock.now()
    )
    return {"participant": ("", person), **({"guide": ("", guide)} if guide else {})}


def effect_remove_participant(ctx: Context[Incident]) -> Changes:
    person = ctx.data["participant"]
    Participant.objects.filter(incident=ctx.subject, user=person).delete()
    return {"participant": (person, "")}


def effect_severity(ctx: Context[Incident]) -> Changes:
    incident: Incident = ctx.subject
    old = incident.severity
    incident.severity = str(ctx.data["severity"])
    incident.priority = PRIORITY_OF_SEVERITY[Severity(incident.severity)]
    changes: dict[str, tuple[object, object]] = {"severity": (old, incident.severity)}
    owner = ctx.data.get("owner")
    if owner is not None and owner != incident.owner:
        changes["owner"] = (incident.owner, owner)
        incident.owner = owner
    return changes


def _timeline(ctx: Context[Incident], action: str, old: str, new: str) -> None:
    transition_entry(ctx, action, old, new)


def _case_follows(ctx: Context[Incident], action: str, old: str, new: str) -> None:
    """The case the incident was declared from follows it (``cases.following``): resolved
    with the incident, or told what is left for development; reopened if it is active again."""
    if old == new or action not in ("resolve", "close", "reopen"):
        return
    incident: Incident = ctx.subject
    note = str(ctx.data.get("note") or ctx.data.get("reason") or "").strip()
    if action == "close":
        note = resolution_note(incident)
    case_follow_incident(incident=incident, action=action, note=note)


def transitioned(ctx: Context[Incident], action: str, old: str, new: str) -> IncidentChanged:
    """The event every incident action publishes."""
    incident: Incident = ctx.subject
    return IncidentChanged(
        key=incident.key,
        incident_id=incident.pk,
        action=action,
        from_state=old,
        to_state=new,
        severity=incident.severity,
        case_id=incident.case_id,
        note=str(ctx.data.get("note") or ctx.data.get("reason") or "").strip(),
        actor_id=events.actor_id(ctx.actor),
    )


def resolution_note(incident: Incident) -> str:
    """What restored the service: the note of the incident's last ``resolve``."""
    event = (
        AuditEvent.objects.filter(
            subject_type=incident.audit_type, subject_key=incident.key, action="resolve"
        )
        .order_by("-at", "-id")
        .first()
    )
    return event.reason if event is not None and event.reason else incident.title


def _stay(action: str, label: str, **kwargs: object) -> Transition[Incident]:
    return Transition(action, label, RUNNING, None, STAFF, **kwargs)  # type: ignore[arg-type]


INCIDENT_WORKFLOW = Workflow(
    name="incident",
    label="Incident",
    initial=S.ACTIVE,
    status_field="state",
    role_labels=ROLE_LABELS,
    states=(
        State(S.ACTIVE, "Active", StateGroup.ACTIVE),
        State(S.MITIGATED, "Mitigated", StateGroup.ACTIVE),
        State(S.RESOLVED, "Resolved", StateGroup.ACTIVE),
        State(S.IN_REVIEW, "In review", StateGroup.ACTIVE),
        State(S.CLOSED, "Closed", StateGroup.DONE),
    ),
    transitions=(
        Transition(
            "mitigate",
            "Mitigated",
            frozenset({S.ACTIVE}),
            S.MITIGATED,
            STAFF,
            requires=(Requirement("note", "Say what mitigated the impact"),),
            checks=(check_in_command,),
            effect=effect_mitigate,
            style="primary",
            description="The impact is contained; the cause may still be there.",
        ),
        Transition(
            "resolve",
            "Resolved",
            frozenset({S.ACTIVE, S.MITIGATED}),
            S.RESOLVED,
            STAFF,
            requires=(Requirement("note", "Say what restored the service"),),
            checks=(check_in_command,),
            effect=effect_resolve,
            style="primary",
            description="The service is back to normal.",
        ),
        Transition(
            "reopen",
            "Reopen",
            frozenset({S.MITIGATED, S.RESOLVED}),
            S.ACTIVE,
            STAFF,
            requires=(Requirement("reason", "Say why the incident is active again"),),
            checks=(check_in_command,),
            effect=effect_reopen,
            style="danger",
        ),
        Transition(
            "start_review",
            "Start the review",
            frozenset({S.RESOLVED}),
            S.IN_REVIEW,
            STAFF,
            requires=(Requirement("review_lead", "Name who leads the post-incident review"),),
            checks=(check_in_command, check_review_lead),
            effect=effect_start_review,
            style="primary",
            description="A post-incident review, led by an L3+ developer (policy 7).",
        ),
        Transition(
            "close",
            "Close",
            frozenset({S.IN_REVIEW}),
            S.CLOSED,
            STAFF,
            checks=(check_in_command, check_review_done),
            effect=effect_close,
            style="primary",
            description="The review is written and every action item is owned work.",
        ),
        _stay(
            "assign_lead",
            "Change the lead",
            requires=(Requirement("lead", "Name the new lead"),),
            checks=(check_in_command, check_lead),
            effect=_set("lead"),
        ),
        _stay(
            "assign_owner",
            "Set the accountable owner",
            requires=(Requirement("owner", "Name the accountable owner"),),
            checks=(check_in_command, check_owner),
            effect=_set("owner"),
        ),
        _stay(
            "assign_scribe",
            "Set the scribe",
            requires=(Requirement("scribe", "Name the scribe"),),
            checks=(check_in_command, check_scribe),
            effect=_set("scribe"),
        ),
        _stay(
            "assign_comms",
            "Set the communications contact",
            requires=(Requirement("comms", "Name the communications contact"),),
            checks=(check_in_command, check_comms),
            effect=_set("comms"),
        ),
        _stay(
            "add_participant",
            "Add a participant",
            requires=(Requirement("participant", "Name the participant"),),
            accepts=("guide",),
            checks=(check_in_command, check_participant),
            effect=effect_add_participant,
        ),
        _stay(
            "remove_participant",
            "Remove a participant",
            requires=(Requirement("participant", "Name the participant"),),
            checks=(check_in_command, check_leaving),
            effect=effect_remove_participant,
        ),
        _stay(
            "change_severity",
            "Change the severity",
            requires=(Requirement("severity", "Choose sev1, sev2 or sev3"),),
            accepts=("owner",),
            checks=(check_in_command, check_severity),
            effect=effect_severity,
        ),
    ),
    after=(_timeline, _case_follows),
    transitioned=transitioned,
)

#: Actions that change who does what: the room shows them as forms beside the roles.
ROLE_ACTIONS = (
    "assign_lead",
    "assign_owner",
    "assign_scribe",
    "assign_comms",
    "add_participant",
    "remove_participant",
    "change_severity",
)
