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

Greedy in rank order gives the properties the tests check: the next sprint's load never exceeds
its capacity except through flagged additions by the RTE; nothing is planned twice; a
higher-ranked item that fits is never left out while a lower-ranked one is taken; and the same
inputs give the same proposal.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from enum import StrEnum

from casebridge.sprints.ranking import Ranked


@dataclass(frozen=True)
class Slot:
    """A sprint as the planner sees it: capacity and the load already in it."""

    id: int
    name: str
    capacity: int | None
    load: int = 0
    unit: str = "pts"


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
                    "Critical bugs go into the current sprint, and there is none: "
                    "start one to expedite it"
                ),
            )
        )
        st.warnings.append(f"{r.item.key} is a critical bug and no sprint is running")
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
) -> Proposal:
    """Propose the contents of ``sprint`` (and the expedites into ``current``)."""
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
    return Proposal(
        sprint=sprint,
        current=current,
        chosen=tuple(sorted(st.chosen, key=lambda c: c.rank)),
        left_out=tuple(sorted(st.left_out, key=lambda c: c.rank)),
        warnings=tuple(st.warnings),
        added=tuple(sorted(k for k in added if k in ranked)),
        removed=tuple(sorted(k for k in removed if k in ranked)),
    )
