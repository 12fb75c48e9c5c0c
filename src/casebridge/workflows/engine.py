"""The generic workflow engine.

A workflow is data: states (each in a fixed *group*) and transitions (an action name, the source
states, the target, the roles allowed, the data required and the checks/policies).
``apply_transition`` is the one function that changes a status: it locks the subject, evaluates
every rule, and either
raises ``TransitionRefused`` with *every* reason at once or applies the change, writes the audit
events and the outbox row in the same transaction.

Buttons in the UI and ``allowed_actions`` in the API come from ``options_for``, never a hand list.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from django.db import models, transaction

from casebridge.audit.services import audit_transition
from casebridge.core import events
from casebridge.core.actors import SYSTEM_ROLE, Actor
from casebridge.core.errors import Reason, TransitionRefused
from casebridge.core.prepared import row_for_update, row_save
from casebridge.integrations.outbox import outbox_message, outbox_write


class StateGroup(models.TextChoices):
    OPEN = "open", "Open"
    ACTIVE = "active", "Active"
    DONE = "done", "Done"
    REJECTED = "rejected", "Rejected"


class Subject(Protocol):
    audit_type: str

    @property
    def pk(self) -> object: ...

    @property
    def key(self) -> str: ...

    def save(self) -> None: ...


@dataclass(frozen=True)
class Context[S]:
    """What a rule sees: who acts, on what subject ``S`` (a case, a work item, an incident),
    with which input. ``preview`` means "no input yet"."""

    actor: Actor
    subject: S
    data: Mapping[str, Any]
    preview: bool = False


type Check[S] = Callable[[Context[S]], Iterable[Reason]]
type Effect[S] = Callable[[Context[S]], Mapping[str, tuple[object, object]]]


@dataclass(frozen=True)
class State:
    name: str
    label: str
    group: StateGroup


@dataclass(frozen=True)
class Requirement:
    """An input field the transition needs, with the message shown when it is missing."""

    field: str
    message: str


type Route[S] = Callable[[Context[S]], str]


@dataclass(frozen=True)
class Transition[S]:
    """One action. ``target`` None means the status stays (the action records data only);
    ``route`` picks the target at run time among ``routes`` (e.g. "approved once both approve");
    ``requires`` and ``accepts`` name the input it needs and the input it may also take.
    An action Casebridge itself performs has the ``system`` role and says in ``automatic``
    when it happens ("when its work item is validated and closed"): nobody is told it "needs
    the role" of the system."""

    action: str
    label: str
    sources: frozenset[str]
    target: str | None
    roles: frozenset[str]
    requires: tuple[Requirement, ...] = ()
    checks: tuple[Check[S], ...] = ()
    effect: Effect[S] | None = None
    style: str = "secondary"
    public: bool = False
    description: str = ""
    route: Route[S] | None = None
    routes: frozenset[str] = frozenset()
    #: Optional input the action also takes besides ``requires`` (a mentor with an assignment,
    #: WSJF inputs with an approval): pages build the action's form from both.
    accepts: tuple[str, ...] = ()
    #: When Casebridge performs the action by itself (for a transition with the system role).
    automatic: str = ""

    @property
    def people(self) -> frozenset[str]:
        """The roles of the people who may take the action (the system is no person)."""
        return self.roles - {SYSTEM_ROLE}

    def targets(self) -> frozenset[str]:
        """Every state this action can lead to, for diagrams and checks."""
        fixed = {self.target} if self.target else set()
        return frozenset(fixed | set(self.routes))

    def target_for(self, ctx: Context[S], current: str) -> str:
        if self.route is not None:
            return self.route(ctx)
        return self.target or current


@dataclass(frozen=True)
class Option[S]:
    """A transition as seen by one viewer now: allowed, or the reasons it is not."""

    transition: Transition[S]
    reasons: tuple[Reason, ...]

    @property
    def allowed(self) -> bool:
        return not self.reasons


def is_blank(value: object) -> bool:
    return value is None or (isinstance(value, str | list | tuple | dict) and not value)


@dataclass(frozen=True)
class Workflow[S]:
    name: str
    label: str
    states: tuple[State, ...]
    transitions: tuple[Transition[S], ...]
    initial: str
    status_field: str = "status"
    role_labels: Mapping[str, str] = field(default_factory=dict)
    #: Called after every successful transition, in the same transaction, with
    #: (context, action, old status, new status), for the subject's own app (the incident's
    #: timeline). Other apps react to the ``transitioned`` event instead.
    after: tuple[Callable[[Context[S], str, str, str], None], ...] = ()
    #: The event every successful transition publishes, built from (context, action, old
    #: status, new status) after the change is written: ``WorkItemTransitioned``, ...
    transitioned: Callable[[Context[S], str, str, str], events.Event] | None = None

    def __post_init__(self) -> None:
        names = {s.name for s in self.states}
        assert self.initial in names, f"{self.name}: unknown initial state {self.initial}"
        actions = [t.action for t in self.transitions]
        assert len(actions) == len(set(actions)), f"{self.name}: duplicate action"
        for t in self.transitions:
            unknown = (t.sources | t.targets()) - names
            assert not unknown, f"{self.name}.{t.action}: unknown states {unknown}"
            assert (t.route is None) == (not t.routes), f"{self.name}.{t.action}: route/routes"
            automatic = SYSTEM_ROLE in t.roles
            assert automatic == bool(t.automatic), f"{self.name}.{t.action}: say when automatic"

    def state(self, name: str) -> State:
        for state in self.states:
            if state.name == name:
                return state
        raise KeyError(name)

    def transition(self, action: str) -> Transition[S] | None:
        return next((t for t in self.transitions if t.action == action), None)

    def group_of(self, status: str) -> StateGroup:
        return self.state(status).group

    def states_in(self, *groups: StateGroup) -> list[str]:
        return [s.name for s in self.states if s.group in groups]

    def evaluate(self, transition: Transition[S], ctx: Context[S]) -> list[Reason]:
        """Every reason the transition cannot happen now; empty when it can."""
        reasons: list[Reason] = []
        status = getattr(ctx.subject, self.status_field)
        if status not in transition.sources:
            reasons.append(
                Reason(
                    "state",
                    f"{transition.label} is not possible from '{self.state(status).label}'",
                    "action",
                )
            )
        if not ctx.actor.has_role(*transition.roles):
            reasons.append(self.role_reason(transition))
        if not ctx.preview:
            reasons.extend(
                Reason("required", req.message, req.field)
                for req in transition.requires
                if is_blank(ctx.data.get(req.field))
            )
        for check in transition.checks:
            reasons.extend(check(ctx))
        return distinct(reasons)

    def who(self, transition: Transition[S]) -> str:
        """Who takes the action, in words: "RTE", or "automatically, when ..." or both."""
        people = ", ".join(sorted(self.role_labels.get(r, r) for r in transition.people))
        automatic = f"automatically, {transition.automatic}" if transition.automatic else ""
        return "; ".join(part for part in (people, automatic) if part)

    def role_reason(self, transition: Transition[S]) -> Reason:
        """Why the actor may not take the action: the roles that may, or when it happens by
        itself. An action only the system performs is never said to need a role."""
        label = transition.label
        if not transition.people:
            return Reason("role", f"{label} happens automatically, {transition.automatic}")
        labels = ", ".join(sorted(self.role_labels.get(r, r) for r in transition.people))
        message = f"{label} needs the role: {labels}"
        if transition.automatic:
            message += f" (it also happens automatically, {transition.automatic})"
        return Reason("role", message)

    def options_for(self, actor: Actor, subject: S) -> list[Option[S]]:
        """The transitions leaving the subject's state, each with its reasons for this viewer."""
        status = getattr(subject, self.status_field)
        ctx = Context(actor=actor, subject=subject, data={}, preview=True)
        return [
            Option(t, tuple(self.evaluate(t, ctx))) for t in self.transitions if status in t.sources
        ]

    def allowed_actions(self, actor: Actor, subject: S) -> list[str]:
        """The actions this actor may take now. Unlike ``options_for`` it stops at the first
        reason, and runs a transition's checks (which may query) only when state and role pass."""
        status = getattr(subject, self.status_field)
        ctx = Context(actor=actor, subject=subject, data={}, preview=True)
        return [
            t.action
            for t in self.transitions
            if status in t.sources
            and actor.has_role(*t.roles)
            and all(next(iter(check(ctx)), None) is None for check in t.checks)
        ]


def distinct(reasons: Iterable[Reason]) -> list[Reason]:
    """Every reason once. Two "required" reasons for the same field say the same thing (the
    transition's requirement and a check both name a missing input): the clearer one, the
    longer message, is kept in the place of the first. Identical reasons are kept once."""
    kept: list[Reason] = []
    for reason in reasons:
        twin = next((i for i, k in enumerate(kept) if _same(k, reason)), None)
        if twin is None:
            kept.append(reason)
        elif len(reason.message) > len(kept[twin].message):
            kept[twin] = reason
    return kept


def _same(a: Reason, b: Reason) -> bool:
    if a == b:
        return True
    return a.code == b.code == "required" and a.field is not None and a.field == b.field


def _unknown_action[S](workflow: Workflow[S], action: str) -> TransitionRefused:
    known = ", ".join(t.action for t in workflow.transitions)
    return TransitionRefused(
        action, [Reason("unknown_action", f"Unknown action '{action}'. Known: {known}", "action")]
    )


def apply_transition[S: Subject](
    *,
    workflow: Workflow[S],
    subject: S,
    actor: Actor,
    action: str,
    data: Mapping[str, object],
    reason: str = "",
    extra_reasons: Sequence[Reason] = (),
) -> S:
    """Apply ``action`` to ``subject`` or raise ``TransitionRefused`` listing every reason.

    Runs in one transaction: the subject row is locked and re-read, rules are evaluated on the
    fresh row, the effect and the status change are saved, the audit events and the outbox
    row are written, and the workflow's ``transitioned`` event is published before the commit.
    """
    transition = workflow.transition(action)
    if transition is None:
        raise _unknown_action(workflow, action)
    with transaction.atomic():
        model = type(subject)
        locked: S = row_for_update(model, subject.pk)  # type: ignore[type-var]
        ctx = Context(actor=actor, subject=locked, data=data)
        named = {r.field for r in extra_reasons if r.field}
        evaluated = workflow.evaluate(transition, ctx)
        reasons = distinct(
            [
                *extra_reasons,
                *(r for r in evaluated if not (r.code == "required" and r.field in named)),
            ]
        )
        if reasons:
            raise TransitionRefused(action, reasons)
        previous = getattr(locked, workflow.status_field)
        changes = dict(transition.effect(ctx)) if transition.effect else {}
        target = transition.target_for(ctx, previous)
        setattr(locked, workflow.status_field, target)
        row_save(locked)  # type: ignore[arg-type]
        # The status event and the effect's changes in one statement.
        audit_transition(
            actor=actor,
            subject=locked,
            action=action,
            field=workflow.status_field,
            old=previous,
            new=target,
            reason=reason,
            public=transition.public,
            changes=changes,
        )
        payload = {
            "key": locked.key,
            "action": action,
            "from": previous,
            "to": target,
            "actor": getattr(actor, "username", None),
        }
        # Built now (its cause: the transition's last audit event), written with the domain
        # event's outbox rows: one statement for all of them.
        message = outbox_message(
            topic=f"{locked.audit_type}.transitioned", key=locked.key, payload=payload
        )
        if workflow.transitioned is not None:
            events.publish(workflow.transitioned(ctx, action, previous, target), outbox=[message])
        else:
            outbox_write([message])
        for follow in workflow.after:
            follow(ctx, action, previous, target)
    return locked
