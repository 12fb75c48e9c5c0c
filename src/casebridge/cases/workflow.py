"""The case lifecycle of L2 support as one declarative workflow (PRODUCT §3)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from casebridge.accounts.models import ROLE_LABELS, Role
from casebridge.cases.comments import comment_announce, comment_record
from casebridge.cases.escalation import check_escalation, existing_item
from casebridge.cases.events import CaseEscalated, CaseTransitioned
from casebridge.cases.models import OPEN_STATES, Case, CaseState, Resolution
from casebridge.cases.resolution import case_by_key, check_resolution, known_resolution_by_key
from casebridge.core import clock, events
from casebridge.core.actors import SYSTEM_ROLE
from casebridge.core.errors import Reason
from casebridge.workflows.engine import (
    Context,
    Requirement,
    State,
    StateGroup,
    Transition,
    Workflow,
)
from casebridge.workitems.creation import work_item_create
from casebridge.workitems.documentation import doc_values, text_of
from casebridge.workitems.models import WorkItem

S = CaseState
L2 = Role.L2_ENGINEER
EXTERNAL = frozenset({Role.REPORTER, Role.PARTNER})
#: The states in which a case is worked (``cases.models.OPEN_STATES``).
WORKING = frozenset(OPEN_STATES)
Changes = Mapping[str, tuple[object, object]]


# --- take ---------------------------------------------------------------------------------------


def _new_owner(ctx: Context[Case]) -> object:
    return ctx.data.get("owner") or ctx.actor


def check_owner(ctx: Context[Case]) -> Iterator[Reason]:
    owner = ctx.data.get("owner")
    if owner is not None and not owner.has_role(L2):
        yield Reason("owner_role", f"{owner.display_name} is not an L2 engineer", "owner")


def effect_take(ctx: Context[Case]) -> Changes:
    case: Case = ctx.subject
    old, case.owner = case.owner, _new_owner(ctx)  # type: ignore[assignment]
    return {"owner": (old, case.owner)}


# --- request information ------------------------------------------------------------------------


def effect_ask(ctx: Context[Case]) -> Changes:
    """The question is a public comment, written as every comment is (audit, outbox, event)."""
    case: Case = ctx.subject
    body = str(ctx.data["question"]).strip()
    comment = comment_record(actor=ctx.actor, case=case, body=body, internal=False, asked=True)
    comment_announce(actor=ctx.actor, case=case, comment=comment)
    return {}


# --- resolve ------------------------------------------------------------------------------------


def effect_resolve(ctx: Context[Case]) -> Changes:
    case: Case = ctx.subject
    data = ctx.data
    before = {f: getattr(case, f) for f in ("resolution", "known_resolution", "duplicate_of")}
    before.update(action_taken=case.action_taken, resolution_note=case.resolution_note)
    case.resolution = str(data["resolution"])
    case.known_resolution = known_resolution_by_key(data.get("known_resolution"))
    case.duplicate_of = case_by_key(data.get("duplicate_of"))
    case.action_taken = str(data.get("action_taken") or "").strip()
    case.resolution_note = str(data.get("note") or "").strip()
    case.resolved_at = clock.now()
    return {name: (old, getattr(case, name)) for name, old in before.items()}


def effect_reopen(ctx: Context[Case]) -> Changes:
    case: Case = ctx.subject
    old = case.resolution
    case.resolution = ""
    case.fixed_version = ""
    case.resolved_at = None
    case.closed_at = None
    case.reopen_count += 1
    return {"resolution": (old, ""), "reopen_count": (case.reopen_count - 1, case.reopen_count)}


def effect_fix(ctx: Context[Case]) -> Changes:
    case: Case = ctx.subject
    old = case.resolution
    case.resolution = Resolution.FIXED
    case.resolution_note = str(ctx.data.get("note") or "")
    old_version, case.fixed_version = case.fixed_version, str(ctx.data.get("version") or "")
    case.resolved_at = clock.now()
    return {
        "resolution": (old, case.resolution),
        "resolution_note": ("", case.resolution_note),
        "fixed_version": (old_version, case.fixed_version),
    }


def effect_resolve_with_incident(ctx: Context[Case]) -> Changes:
    case: Case = ctx.subject
    before = (case.resolution, case.resolution_note)
    case.resolution = Resolution.INCIDENT
    case.resolution_note = str(ctx.data.get("note") or "").strip()
    case.resolved_at = clock.now()
    return {
        "resolution": (before[0], case.resolution),
        "resolution_note": (before[1], case.resolution_note),
    }


def worked_on(case: Case) -> bool:
    """Someone worked on the case: it has an owner, a work item or a comment. The one rule
    behind ``auto_resolve`` (monitoring adds its alert's own conditions)."""
    return case.owner_id is not None or case.work_item_id is not None or case.comments.exists()


def check_untouched(ctx: Context[Case]) -> Iterator[Reason]:
    """Monitoring resolves a case only if nobody worked on it."""
    if worked_on(ctx.subject):
        yield Reason("worked_on", "Someone worked on the case: a person resolves it")


def effect_auto_resolve(ctx: Context[Case]) -> Changes:
    case: Case = ctx.subject
    case.resolution = Resolution.NO_FAULT
    case.resolution_note = str(ctx.data.get("note") or "").strip()
    case.resolved_at = clock.now()
    return {"resolution": ("", case.resolution), "resolution_note": ("", case.resolution_note)}


def check_has_work_item(ctx: Context[Case]) -> Iterator[Reason]:
    if ctx.subject.work_item_id is None:
        yield Reason("no_work_item", "The case is not linked to a work item")


def effect_close(ctx: Context[Case]) -> Changes:
    ctx.subject.closed_at = clock.now()
    return {}


# --- escalate -----------------------------------------------------------------------------------


def link_work_item(case: Case, item: WorkItem) -> tuple[object, object]:
    """The one place a case's work item is written (unsaved; the caller saves and audits): its
    escalation, and the relink when its item turns out a duplicate or is re-categorised."""
    old, case.work_item = case.work_item, item
    return old, item


def effect_escalate(ctx: Context[Case]) -> Changes:
    """Link the case to its work item, new or existing. A new item carries the documentation
    typed with the escalation, and the case's own description where none was typed; a version
    given with the escalation is the case's version from now on."""
    case: Case = ctx.subject
    docs = dict(ctx.data.get("docs") or {})
    changes: dict[str, tuple[object, object]] = {}
    version = text_of(docs, "version")
    if version and version != case.version:
        changes["version"] = (case.version, version)
        case.version = version
    item = existing = existing_item(ctx.data.get("work_item"))
    values: dict[str, str] = {}
    if item is None:
        values = doc_values(docs)
        values["description"] = values.get("description") or case.description.strip()
        item = work_item_create(
            actor=ctx.actor,
            category=str(ctx.data["category"]),
            title=str(ctx.data.get("title") or case.title),
            docs=values,
            service=case.service,
            component=case.component,
            environment=case.environment,
            version=case.version,
        )
    changes["work_item"] = link_work_item(case, item)
    events.publish(
        CaseEscalated(
            key=case.key,
            case_id=case.pk,
            organisation_id=case.organisation_id,
            work_item_key=item.key,
            work_item_id=item.pk,
            new_work_item=existing is None,
            log_excerpt=str(values.get("log_excerpt", "")) if existing is None else "",
            actor_id=events.actor_id(ctx.actor),
        )
    )
    return changes


def transitioned(ctx: Context[Case], action: str, old: str, new: str) -> CaseTransitioned:
    """The event every case transition publishes."""
    case: Case = ctx.subject
    transition = CASE_WORKFLOW.transition(action)
    return CaseTransitioned(
        key=case.key,
        case_id=case.pk,
        organisation_id=case.organisation_id,
        action=action,
        from_state=old,
        to_state=new,
        actor_id=events.actor_id(ctx.actor),
        owner_id=case.owner_id,
        work_item_id=case.work_item_id,
        reason=str(ctx.data.get("reason") or ctx.data.get("note") or ""),
        public=transition is not None and transition.public,
    )


CASE_WORKFLOW = Workflow(
    name="case",
    label="Case",
    initial=S.NEW,
    status_field="state",
    role_labels=ROLE_LABELS,
    states=(
        State(S.NEW, "New", StateGroup.OPEN),
        State(S.INVESTIGATING, "Investigating", StateGroup.ACTIVE),
        State(S.WAITING_ON_REPORTER, "Waiting on reporter", StateGroup.ACTIVE),
        State(S.ESCALATED, "Escalated", StateGroup.ACTIVE),
        State(S.RESOLVED, "Resolved", StateGroup.DONE),
        State(S.CLOSED, "Closed", StateGroup.DONE),
    ),
    transitions=(
        Transition(
            "take",
            "Take",
            frozenset({S.NEW}),
            S.INVESTIGATING,
            frozenset({L2}),
            checks=(check_owner,),
            effect=effect_take,
            style="primary",
            public=True,
            description="An L2 engineer takes ownership and starts investigating.",
        ),
        Transition(
            "request_info",
            "Ask the reporter",
            frozenset({S.INVESTIGATING}),
            S.WAITING_ON_REPORTER,
            frozenset({L2}),
            requires=(Requirement("question", "Write the question for the reporter"),),
            effect=effect_ask,
            public=True,
        ),
        Transition(
            "answer",
            "Resume investigation",
            frozenset({S.WAITING_ON_REPORTER}),
            S.INVESTIGATING,
            frozenset({L2, Role.L1_AGENT, *EXTERNAL}),
            public=True,
            description="The reporter answered; the case returns to investigating.",
        ),
        Transition(
            "resolve",
            "Resolve",
            WORKING,
            S.RESOLVED,
            frozenset({L2}),
            requires=(Requirement("resolution", "Choose a resolution"),),
            checks=(check_resolution,),
            effect=effect_resolve,
            style="primary",
            public=True,
        ),
        Transition(
            "escalate",
            "Escalate to development",
            WORKING,
            S.ESCALATED,
            frozenset({L2}),
            checks=(check_escalation,),
            effect=effect_escalate,
            public=True,
        ),
        Transition(
            "return_to_l2",
            "Returned by development",
            frozenset({S.ESCALATED}),
            S.INVESTIGATING,
            frozenset({SYSTEM_ROLE}),
            requires=(Requirement("reason", "Say why the case returns to L2"),),
            description="The RTE asked for information, or rejected the work item.",
            automatic="when development asks L2 for information or rejects the work item",
        ),
        Transition(
            "resume_escalation",
            "Escalation resumed",
            frozenset({S.INVESTIGATING}),
            S.ESCALATED,
            frozenset({SYSTEM_ROLE}),
            checks=(check_has_work_item,),
            description="L2 answered the RTE; the case follows its work item again.",
            automatic="when L2 gives development the information it asked for",
        ),
        Transition(
            "fix",
            "Fixed by development",
            frozenset({S.ESCALATED}),
            S.RESOLVED,
            frozenset({SYSTEM_ROLE}),
            effect=effect_fix,
            public=True,
            description="The work item was validated and closed; the case resolves as fixed.",
            automatic="when its work item is validated and closed",
        ),
        Transition(
            "resolve_with_incident",
            "Resolved with its incident",
            WORKING,
            S.RESOLVED,
            frozenset({SYSTEM_ROLE}),
            requires=(Requirement("note", "Say what restored the service"),),
            effect=effect_resolve_with_incident,
            public=True,
            description="The incident declared from the case restored the service.",
            automatic="when the incident declared from it is resolved and no work item holds it",
        ),
        Transition(
            "auto_resolve",
            "Resolved at the source",
            frozenset({S.NEW}),
            S.RESOLVED,
            frozenset({SYSTEM_ROLE}),
            requires=(Requirement("note", "Say what resolved at the source"),),
            checks=(check_untouched,),
            effect=effect_auto_resolve,
            public=True,
            description="The monitoring alert of a case nobody worked on resolved by itself.",
            automatic="when the alert of a case nobody worked on resolves at the source",
        ),
        Transition(
            "reopen",
            "Reopen",
            frozenset({S.RESOLVED}),
            S.INVESTIGATING,
            frozenset({L2, SYSTEM_ROLE, *EXTERNAL}),
            requires=(Requirement("reason", "Say why the case is reopened"),),
            effect=effect_reopen,
            style="danger",
            public=True,
            automatic="when the incident that resolved it is active again",
        ),
        Transition(
            "close",
            "Close",
            frozenset({S.RESOLVED}),
            S.CLOSED,
            frozenset({L2, SYSTEM_ROLE, *EXTERNAL}),
            effect=effect_close,
            public=True,
            description="The reporter confirmed the fix, or the quiet period passed.",
            automatic="when the case stayed resolved through the quiet period",
        ),
    ),
    transitioned=transitioned,
)
