"""The sprint planner: a pure function from the ranked backlog and two sprints to a proposal.

Rules (PRODUCT §5), applied in backlog order (rank 1 first):

1. Critical bugs are expedited into the *current* sprint, even over its capacity; each one is
   flagged, and a warning says when the current sprint goes over. Without a current sprint they
   cannot be expedited and are listed as blocked.
2. Items the RTE added by hand are taken next (their capacity is reserved before the rest);
   items the RTE removed are left out.
3. Everything else fills the next sprint in backlog order: an item is taken when its estimate
   fits what is left, otherwise it is left out and a smaller, lower-ranked item may still fit.
   Major bugs rank above minor bugs and WSJF items, so they come next. An item without an
   estimate is left out: it cannot be planned against a capacity.

The proposal is then compared with the team's recent velocity (``Pace``: the points done per
closed sprint): a plan that loads the sprint with more than the team has been delivering is
flagged with both numbers. A proposal that schedules nothing says why (``empty_reason``).

Greedy in rank order gives the properties the tests check: the next sprint's load never exceeds
its capacity except through flagged additions by the RTE; nothing is planned twice; a
higher-ranked item that fits is never left out while a lower-ranked one is taken; and the same
inputs give the same proposal.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass, field, replace
from enum import StrEnum

from casebridge.core.text import plural
from casebridge.sprints.ranking import Ranked


@dataclass(frozen=True)
class Slot:
    """A sprint as the planner sees it: capacity and the load already in it."""

    id: int
    name: str
    capacity: int | None
    load: int = 0
    unit: str = "pts"


@dataclass(frozen=True)
class Pace:
    """The team's recent velocity: points done in each of its last closed sprints."""

    done: tuple[int, ...] = ()

    @property
    def average(self) -> float | None:
        return round(sum(self.done) / len(self.done), 1) if self.done else None

    def describe(self, unit: str) -> str:
        n = len(self.done)
        figures = ", ".join(str(d) for d in self.done)
        return (
            f"{self.average} {unit} done per sprint on average over the last "
            f"{plural(n, 'closed sprint')} ({figures})"
        )


class Target(StrEnum):
    CURRENT = "current"
    NEXT = "next"


class Why(StrEnum):
    EXPEDITED = "expedited"
    ADDED = "added"
    FITS = "fits"
    REMOVED = "removed"
    NO_ESTIMATE = "no_estimate"
    TOO_BIG = "too_big"
    BLOCKED = "blocked"


@dataclass(frozen=True)
class Choice:
    """One backlog item's fate in the proposal, and why (the rank's reason + the planner's)."""

    ranked: Ranked
    taken: bool
    why: Why
    note: str
    target: Target | None = None
    expedited: bool = False
    over_capacity: bool = False

    @property
    def rank(self) -> int:
        return self.ranked.rank

    @property
    def key(self) -> str:
        return self.ranked.item.key

    @property
    def title(self) -> str:
        return self.ranked.item.title

    @property
    def category(self) -> str:
        return self.ranked.item.category

    @property
    def priority(self) -> str:
        return self.ranked.item.priority

    @property
    def estimate(self) -> int | None:
        return self.ranked.item.estimate

    @property
    def reason(self) -> str:
        return f"{self.ranked.reason}. {self.note}"


@dataclass(frozen=True)
class Proposal:
    sprint: Slot
    current: Slot | None
    chosen: tuple[Choice, ...]
    left_out: tuple[Choice, ...]
    warnings: tuple[str, ...] = ()
    added: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    pace: Pace = Pace()

    @property
    def blocked(self) -> list[Choice]:
        """Critical bugs that cannot be expedited: no sprint is running."""
        return [c for c in self.left_out if c.why is Why.BLOCKED]

    @property
    def over_velocity(self) -> bool:
        """The sprint would hold more than the team has been finishing per sprint."""
        average = self.pace.average
        return average is not None and self.load > average

    @property
    def empty_reason(self) -> str:
        """Why the proposal schedules nothing ("" when it schedules something)."""
        if self.chosen:
            return ""
        if not self.left_out:
            return (
                "Nothing is ready to plan: the backlog is empty (triaged bugs and approved "
                "feature requests and improvements appear there)."
            )
        counts: dict[Why, int] = {}
        for c in self.left_out:
            counts[c.why] = counts.get(c.why, 0) + 1
        left = max(0, (self.sprint.capacity or 0) - self.sprint.load)
        words = {
            Why.NO_ESTIMATE: ("item needs", "items need", " an estimate"),
            Why.TOO_BIG: (
                "item does",
                "items do",
                f" not fit in the {left} {self.sprint.unit} left",
            ),
            Why.REMOVED: ("item was", "items were", " removed by you"),
            Why.BLOCKED: ("critical bug is", "critical bugs are", " blocked: no sprint is running"),
        }
        said = [
            f"{n} {words[why][0] if n == 1 else words[why][1]}{words[why][2]}"
            for why, n in counts.items()
            if why in words
        ]
        return f"Nothing to schedule into {self.sprint.name}: {'; '.join(said)}."

    @property
    def load(self) -> int:
        """The next sprint's load: what was in it plus what the plan adds."""
        return self.sprint.load + sum(
            c.estimate or 0 for c in self.chosen if c.target is Target.NEXT
        )

    @property
    def current_load(self) -> int:
        if self.current is None:
            return 0
        return self.current.load + sum(
            c.estimate or 0 for c in self.chosen if c.target is Target.CURRENT
        )

    @property
    def keys(self) -> list[str]:
        return [c.key for c in self.chosen]

    @property
    def over_capacity(self) -> bool:
        return any(c.over_capacity for c in self.chosen)


@dataclass
class _State:
    capacity: int
    used: int
    current_used: int
    chosen: list[Choice] = field(default_factory=list)
    left_out: list[Choice] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def _size(n: int | None, unit: str) -> str:
    return f"{n} {unit}" if n is not None else "not estimated"


def _expedite(r: Ranked, st: _State, sprint: Slot, current: Slot | None) -> None:
    if current is None:
        st.left_out.append(
            Choice(
                ranked=r,
                taken=False,
                why=Why.BLOCKED,
                note=(
                    "Critical bugs go into the running sprint, and none is running: "
                    f"start {sprint.name} now (or create a sprint that starts today) "
                    "to expedite it"
                ),
            )
        )
        st.warnings.append(
            f"{r.item.key} is a critical bug and no sprint is running: start {sprint.name} "
            "now to expedite it"
        )
        return
    size = r.item.estimate or 0
    same = current.id == sprint.id
    if same:
        st.used += size
        total, cap = st.used, st.capacity
    else:
        st.current_used += size
        total, cap = st.current_used, current.capacity or 0
    over = total > cap
    text = f"Expedited into the current sprint {current.name}"
    if over:
        text += f", over capacity ({total} of {cap} {current.unit})"
        st.warnings.append(
            f"{r.item.key} (critical) takes {current.name} over capacity: "
            f"{total} of {cap} {current.unit}"
        )
    if r.item.estimate is None:
        text += "; not estimated yet"
        st.warnings.append(f"{r.item.key} (critical) has no estimate")
    st.chosen.append(
        Choice(
            ranked=r,
            taken=True,
            why=Why.EXPEDITED,
            note=text,
            target=Target.NEXT if same else Target.CURRENT,
            expedited=True,
            over_capacity=over,
        )
    )


def _add(r: Ranked, st: _State, sprint: Slot) -> None:
    size = r.item.estimate or 0
    st.used += size
    over = st.used > st.capacity
    text = "Added by you"
    if over:
        text += f", over capacity ({st.used} of {st.capacity} {sprint.unit})"
        st.warnings.append(
            f"Adding {r.item.key} takes {sprint.name} over capacity: "
            f"{st.used} of {st.capacity} {sprint.unit}"
        )
    if r.item.estimate is None:
        text += "; not estimated yet"
    st.chosen.append(
        Choice(
            ranked=r,
            taken=True,
            why=Why.ADDED,
            note=text,
            target=Target.NEXT,
            over_capacity=over,
        )
    )


def _fill(r: Ranked, st: _State, sprint: Slot) -> None:
    size = r.item.estimate
    left = st.capacity - st.used
    if size is None:
        st.left_out.append(
            Choice(
                ranked=r,
                taken=False,
                why=Why.NO_ESTIMATE,
                note="Needs an estimate before it can be planned",
            )
        )
    elif size <= left:
        st.used += size
        st.chosen.append(
            Choice(
                ranked=r,
                taken=True,
                why=Why.FITS,
                note=f"Fits: {_size(size, sprint.unit)} of {left} left",
                target=Target.NEXT,
            )
        )
    else:
        st.left_out.append(
            Choice(
                ranked=r,
                taken=False,
                why=Why.TOO_BIG,
                note=f"Does not fit: {_size(size, sprint.unit)}, {max(left, 0)} left",
            )
        )


def propose(
    backlog: Iterable[Ranked],
    *,
    sprint: Slot,
    current: Slot | None,
    add: Collection[str] = (),
    remove: Collection[str] = (),
    pace: Pace = Pace(),
) -> Proposal:
    """Propose the contents of ``sprint`` (and the expedites into ``current``), flagged when
    it loads ``sprint`` beyond the team's recent velocity (``pace``)."""
    ranked: dict[str, Ranked] = {}
    for r in sorted(backlog, key=lambda r: (r.rank, r.key)):
        ranked.setdefault(r.key, r)  # nothing is planned twice
    order = list(ranked.values())
    st = _State(capacity=sprint.capacity or 0, used=sprint.load, current_used=0)
    if current is not None and current.id != sprint.id:
        st.current_used = current.load
    if sprint.capacity is None:
        st.warnings.append(f"{sprint.name} has no capacity: set one to plan it")
    elif sprint.load > st.capacity:
        st.warnings.append(
            f"{sprint.name} is already over capacity with the work in it: "
            f"{sprint.load} of {st.capacity} {sprint.unit}"
        )
    removed = set(remove)
    added = set(add) - removed
    rest: list[Ranked] = []
    for r in order:
        if r.key in removed:
            st.left_out.append(
                Choice(ranked=r, taken=False, why=Why.REMOVED, note="Removed by you")
            )
        elif r.item.category == "bug" and r.item.priority == "critical":
            _expedite(r, st, sprint, current)
        elif r.key in added:
            _add(r, st, sprint)
        else:
            rest.append(r)
    for r in rest:
        _fill(r, st, sprint)
    proposal = Proposal(
        sprint=sprint,
        current=current,
        chosen=tuple(sorted(st.chosen, key=lambda c: c.rank)),
        left_out=tuple(sorted(st.left_out, key=lambda c: c.rank)),
        warnings=tuple(st.warnings),
        added=tuple(sorted(k for k in added if k in ranked)),
        removed=tuple(sorted(k for k in removed if k in ranked)),
        pace=pace,
    )
    if proposal.over_velocity:
        warning = (
            f"{sprint.name} would hold {proposal.load} {sprint.unit}, more than the team's "
            f"recent velocity: {pace.describe(sprint.unit)}"
        )
        proposal = replace(proposal, warnings=(*proposal.warnings, warning))
    return proposal
