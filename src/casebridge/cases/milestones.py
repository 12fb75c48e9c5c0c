"""What customers and partners read about their case: milestones in their own words.

Staff read every event of a case (``web.timeline``). Customers and partners read its milestones
(PRODUCT §8): received, being investigated, waiting for you, passed to development, fix
released in 4.2.1, resolved, and the conversation; never the internal steps, the workflows'
state names, "L2", or the names of the people on the development side. The portal page, the
case API's timeline and the notifications sent to customers all take their words from here.

A person is named to a customer only if they are on the customer's side (a reporter or a
partner) or in support (L1, L2): the people a customer talks to. Anyone else is "our team".
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

from casebridge.accounts.models import Role
from casebridge.audit.actions import AuditAction
from casebridge.audit.models import AuditEvent
from casebridge.cases.models import CaseState
from casebridge.core.actors import Actor
from casebridge.workitems.models import WorkItem

#: A case's state as a customer reads it.
CUSTOMER_STATES: dict[str, str] = {
    CaseState.NEW: "Received",
    CaseState.INVESTIGATING: "Being investigated",
    CaseState.WAITING_ON_REPORTER: "Waiting for you",
    CaseState.ESCALATED: "With our development team",
    CaseState.RESOLVED: "Resolved",
    CaseState.CLOSED: "Closed",
}
SUPPORT_ROLES = (Role.L1_AGENT, Role.L2_ENGINEER)
OUR_TEAM = "Our team"

#: The case's own actions, as (milestone, sentence). Actions not listed are no milestone.
CASE_STEPS: dict[str, tuple[str, str]] = {
    "take": ("being_investigated", "Being investigated by our support team"),
    "request_info": ("waiting_for_you", "Waiting for you: our support team asked a question"),
    "answer": ("being_investigated", "Investigation resumed"),
    "escalate": ("passed_to_development", "Passed to our development team"),
    "return_to_l2": ("being_investigated", "Back with our support team"),
    "resume_escalation": ("passed_to_development", "Passed to our development team again"),
    "resolve": ("resolved", "Resolved"),
    "fix": ("resolved", "Resolved: fixed by our development team"),
    "resolve_with_incident": ("resolved", "Resolved: the service is restored"),
    "auto_resolve": ("resolved", "Resolved: the problem cleared by itself"),
    "reopen": ("reopened", "Reopened"),
    "close": ("closed", "Closed"),
}
#: Actions whose reason is the words of the person who took it, for the customer to read (the
#: reasons Casebridge gives itself, "quiet period" or an incident's key, are not).
TOLD_REASONS = frozenset({"resolve", "reopen", "close"})

#: What a work item's new status means for the customer; statuses not listed (triage, review,
#: testing, the release being prepared) are internal steps and no milestone.
PROGRESS: dict[str, str] = {
    "new": "Passed to our development team again",
    "needs_info": "Back with our support team, who may ask you for more information",
    "approved": "Accepted by our development team",
    "deferred": "Postponed by our development team",
    "scheduled": "Planned by our development team",
    "in_progress": "Our development team is working on it",
    "awaiting_validation": "Fix released{version}; we are checking that it works for you",
    "awaiting_acceptance": "Released{version}; we are checking that it works for you",
    "rejected": "Our development team will not change this; our support team will follow up",
    "duplicate": "Our development team already works on the same problem",
}
#: Where a finished work item stands (its finish is told on the case as "Resolved").
FINISHED: dict[str, str] = {"closed": "Fixed{version}", "done": "Done{version}"}
RESTORED = "The service is restored; the fix itself is still with our development team"


@dataclass(frozen=True)
class Milestone:
    at: datetime
    code: str  # received | being_investigated | waiting_for_you | passed_to_development | ...
    text: str
    who: str = ""  # the person named, when a customer may read their name
    detail: str = ""  # the words of that person (a reason), or a file's name
    actor: Actor | None = None  # the user named, if any


def customer_state(state: str) -> str:
    return CUSTOMER_STATES.get(state, state.replace("_", " ").capitalize())


def nameable(user: Actor | None) -> bool:
    """May a customer read this person's name? Their own side and support, yes."""
    if user is None or getattr(user, "pk", None) is None:
        return False
    return bool(user.is_external or user.has_role(*SUPPORT_ROLES))


def public_name(user: Actor | None) -> str:
    return str(user.display_name) if user is not None and nameable(user) else OUR_TEAM


def progress_text(status: str, version: str = "") -> str:
    """The customer's words for a work item's status, or "" when it is no milestone."""
    text = PROGRESS.get(status, "")
    return text.format(version=f" in {version}" if version else "")


def development_note(item: WorkItem | None) -> str:
    """Where the work item of a case stands, for the customer (the case page's side card)."""
    if item is None:
        return ""
    version = f" in {item.release_version}" if item.release_version else ""
    if item.status in FINISHED:
        return FINISHED[item.status].format(version=version)
    return progress_text(item.status, item.release_version) or "With our development team"


def _named(event: AuditEvent) -> tuple[str, Actor | None]:
    actor = event.actor
    return (actor.display_name, actor) if actor is not None and nameable(actor) else ("", None)


def _step(event: AuditEvent, who: str, actor: Actor | None) -> Milestone | None:
    """A transition of the case's own workflow."""
    if event.field != "state" or not (event.data or {}).get("transition"):
        return None
    if event.action not in CASE_STEPS:
        return None
    code, text = CASE_STEPS[event.action]
    told = (event.action in TOLD_REASONS and actor is not None) or event.action == "fix"
    detail = event.reason if told else ""
    return Milestone(event.at, code, text, who=who, detail=detail, actor=actor)


def _progress(event: AuditEvent, who: str, actor: Actor | None) -> Milestone | None:
    """The work item the case follows changed status: its name and its people stay inside."""
    text = progress_text(event.new, str((event.data or {}).get("version") or ""))
    return Milestone(event.at, "development", text) if text else None


def _created(event: AuditEvent, who: str, actor: Actor | None) -> Milestone:
    return Milestone(event.at, "received", "Case received", who=who, actor=actor)


def _restored(event: AuditEvent, who: str, actor: Actor | None) -> Milestone:
    return Milestone(event.at, "service_restored", RESTORED)


def _message(event: AuditEvent, who: str, actor: Actor | None) -> Milestone | None:
    if not event.public or (event.data or {}).get("asked"):
        return None  # internal; or the question of "request_info", told as that step
    text = "Wrote in the conversation" if actor is not None else f"{OUR_TEAM} wrote to you"
    return Milestone(event.at, "message", text, who=who, actor=actor)


def _attached(event: AuditEvent, who: str, actor: Actor | None) -> Milestone | None:
    if not event.public:
        return None
    return Milestone(event.at, "file", "File attached", who=who, detail=event.new, actor=actor)


Teller = Callable[[AuditEvent, str, Actor | None], Milestone | None]
#: Events told by their action; every other event of a case is a step of its workflow or none.
ACTIONS: dict[str, Teller] = {
    AuditAction.CREATED: _created,
    AuditAction.WORK_ITEM_PROGRESS: _progress,
    AuditAction.INCIDENT_RESOLVED: _restored,
    AuditAction.COMMENTED: _message,
    AuditAction.ATTACHED: _attached,
}


def milestone(event: AuditEvent) -> Milestone | None:
    """The milestone an event of a case is, or None for an internal step."""
    if event.subject_type != "case":
        return None
    who, actor = _named(event)
    teller = ACTIONS.get(event.action, _step)
    return teller(event, who, actor)


def milestones(events: Iterable[AuditEvent]) -> list[Milestone]:
    """The milestones of a case's events, oldest first; the same development milestone twice
    in a row (work going back and forth between review and progress) is told once."""
    told: list[Milestone] = []
    for event in events:
        found = milestone(event)
        if found is None:
            continue
        last = told[-1] if told else None
        if last is not None and found.code == "development" and found.text == last.text:
            continue
        told.append(found)
    return told
