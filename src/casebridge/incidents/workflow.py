"""The incident lifecycle as one declarative workflow: states, and the role changes as stay
transitions, so that every change (state, lead, owner, scribe, comms, participants, severity) has
one code path, checks the ladder policies, is audited and lands on the timeline (``after``)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from casebridge.accounts.models import ROLE_LABELS, Role
from casebridge.audit.models import AuditEvent
from casebridge.cases.following import case_follow_incident
from casebridge.core import clock, events
from casebridge.core.errors import Reason
from casebridge.incidents import policies
from casebridge.incidents.events import IncidentChanged
from casebridge.incidents.models import (
    PRIORITY_OF_SEVERITY,
    Incident,
    IncidentState,
    Participant,
    Review,
    Severity,
)
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
STAFF = frozenset({Role.DEVELOPER, Role.L2_ENGINEER, Role.DEVOPS, Role.ADMIN})
RUNNING = frozenset({S.ACTIVE, S.MITIGATED, S.RESOLVED, S.IN_REVIEW})
Changes = Mapping[str, tuple[object, object]]
REVIEW_FIELDS = {
    "summary": "Summarise the incident",
    "root_cause": "State the root cause",
    "impact": "Describe the impact",
    "duration_minutes": "Give the impact's duration in minutes",
    "customers_affected": "Give how many customers were affected",
    "went_well": "Say what went well",
    "went_badly": "Say what went badly",
}


def members(incident: Incident) -> list[object]:
    """The people in the incident: lead, owner and participants."""
    people: list[object] = [incident.lead, incident.owner]
    people += [p.user for p in incident.participants.select_related("user")]
    return [p for p in people if p is not None]


# --- checks -------------------------------------------------------------------------------------


def check_in_command(ctx: Context) -> Iterator[Reason]:
    """The lead or the accountable owner runs the incident; an admin may step in."""
    incident: Incident = ctx.subject
    actor = ctx.actor
    if actor.has_role(Role.ADMIN) or actor.pk in (incident.lead_id, incident.owner_id):
        return
    yield Reason(
        "in_command",
        f"Only the incident's lead ({incident.lead.display_name}) or accountable owner changes it",
    )


def check_lead(ctx: Context) -> Iterator[Reason]:
    """Policy 6 on the new lead; a missing one is the transition's requirement."""
    lead = ctx.data.get("lead")
    if not ctx.preview and lead is not None:
        yield from policies.lead_reasons(lead)


def check_owner(ctx: Context) -> Iterator[Reason]:
    if not ctx.preview:
        yield from policies.owner_reasons(ctx.subject.severity, ctx.data.get("owner"))


def check_severity(ctx: Context) -> Iterator[Reason]:
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


def check_scribe(ctx: Context) -> Iterator[Reason]:
    if not ctx.preview:
        yield from _internal(ctx.data.get("scribe"), "scribe")


def check_comms(ctx: Context) -> Iterator[Reason]:
    comms = ctx.data.get("comms")
    if ctx.preview or comms is None:
        return
    if not comms.has_role(Role.L1_AGENT, Role.L2_ENGINEER):
        yield Reason(
            "role",
            f"The communications contact comes from support (L1 or L2); {comms} does not",
            "comms",
        )


def check_participant(ctx: Context) -> Iterator[Reason]:
    person = ctx.data.get("participant")
    if ctx.preview or person is None:
        return
    incident: Incident = ctx.subject
    yield from _internal(person, "participant")
    if incident.participants.filter(user=person).exists():
        yield Reason("duplicate", f"{person} already participates", "participant")
    yield from policies.guide_reasons(person, ctx.data.get("guide"), members(incident))


def check_leaving(ctx: Context) -> Iterator[Reason]:
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


def check_review_lead(ctx: Context) -> Iterator[Reason]:
    """Policy 7 on the review's lead; a missing one is the transition's requirement."""
    lead = ctx.data.get("review_lead")
    if not ctx.preview and lead is not None:
        yield from policies.review_lead_reasons(lead)


def check_review_done(ctx: Context) -> Iterator[Reason]:
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


# --- effects ------------------------------------------------------------------------------------


def _set(field: str) -> Effect:
    def effect(ctx: Context) -> Changes:
        incident: Incident = ctx.subject
        old, new = getattr(incident, field), ctx.data.get(field)
        setattr(incident, field, new)
        return {field: (old, new)}

    return effect


def effect_mitigate(ctx: Context) -> Changes:
    ctx.subject.mitigated_at = clock.now()
    return {}


def effect_resolve(ctx: Context) -> Changes:
    ctx.subject.resolved_at = clock.now()
    return {}


def effect_reopen(ctx: Context) -> Changes:
    incident: Incident = ctx.subject
    incident.resolved_at = None
    return {}


def effect_start_review(ctx: Context) -> Changes:
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


def effect_close(ctx: Context) -> Changes:
    ctx.subject.closed_at = clock.now()
    return {}


def effect_add_participant(ctx: Context) -> Changes:
    person, guide = ctx.data["participant"], ctx.data.get("guide")
    Participant.objects.create(
        incident=ctx.subject, user=person, guide=guide, joined_at=clock.now()
    )
    return {"participant": ("", person), **({"guide": ("", guide)} if guide else {})}


def effect_remove_participant(ctx: Context) -> Changes:
    person = ctx.data["participant"]
    Participant.objects.filter(incident=ctx.subject, user=person).delete()
    return {"participant": (person, "")}


def effect_severity(ctx: Context) -> Changes:
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


def _timeline(ctx: Context, action: str, old: str, new: str) -> None:
    from casebridge.incidents.timeline import transition_entry

    transition_entry(ctx, action, old, new)


def _case_follows(ctx: Context, action: str, old: str, new: str) -> None:
    """The case the incident was declared from follows it (``cases.following``): resolved
    with the incident, or told what is left for development; reopened if it is active again."""
    if old == new or action not in ("resolve", "close", "reopen"):
        return
    incident: Incident = ctx.subject
    note = str(ctx.data.get("note") or ctx.data.get("reason") or "").strip()
    if action == "close":
        note = resolution_note(incident)
    case_follow_incident(incident=incident, action=action, note=note)


def transitioned(ctx: Context, action: str, old: str, new: str) -> IncidentChanged:
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


def _stay(action: str, label: str, **kwargs: object) -> Transition:
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
