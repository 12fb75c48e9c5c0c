"""The development side of the demo: sprints, and each work item carried as far as its age allows.

Each work item gets a plan (its next actions, each some hours after the previous) when it is
created; the plan runs after all cases exist, moving time to each step, so that linked cases
follow with real timestamps. A case escalated after its bug was already fixed gets a new bug.
"""

from __future__ import annotations

import random
import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from casebridge.accounts.models import Team, User
from casebridge.sprints.models import Sprint
from casebridge.sprints.services import (
    backlog_estimate,
    increment_create,
    sprint_close,
    sprint_create,
    team_capacity_set,
)
from casebridge.workitems.models import WorkItem
from casebridge.workitems.services import work_item_transition

SPRINT_DAYS = 14
SPRINT_CAPACITY = 30  # story points
PLANNING_HOUR = 9  # the RTE plans a sprint on its first morning, after closing the last one
ESTIMATES = (1, 2, 3, 5, 8)
TEAM_OF_SERVICE = {"payments": "checkout-squad", "identity": "checkout-squad"}
SQUADS = {
    "checkout-squad": {"senior": ["sofia", "leo"], "associate": ["ana"], "junior": ["jun"]},
    "platform-squad": {"senior": ["viktor"], "associate": ["sam"], "junior": []},
}


@dataclass
class Step:
    hours: tuple[int, int]
    actor: str
    action: str
    data: Mapping[str, object] = field(default_factory=dict)


@dataclass
class Plan:
    key: str
    start: datetime
    steps: list[tuple[datetime, Step]]

    @property
    def done_at(self) -> datetime:
        return self.steps[-1][0] if self.steps else self.start


def create_sprints(start: date, end: date) -> None:
    """Two-week sprints of every development team, in one program increment."""
    count = (end - start).days // SPRINT_DAYS + 1
    increment = increment_create(
        actor=None,
        name="PI 1",
        start=start,
        end=start + timedelta(days=count * SPRINT_DAYS - 1),
        objectives="Stabilise checkout; faster L2 resolution.",
    )
    for team in Team.objects.filter(kind="development"):
        team_capacity_set(actor=None, team=team, unit="points", default_capacity=SPRINT_CAPACITY)
        for number in range(1, count + 1):
            day = start + timedelta(days=(number - 1) * SPRINT_DAYS)
            sprint_create(
                actor=None,
                team=team,
                name=f"Sprint {number}",
                start=day,
                end=day + timedelta(days=SPRINT_DAYS - 1),
                increment=increment,
            )


def _team_for(item: WorkItem) -> str:
    return TEAM_OF_SERVICE.get(item.service.slug if item.service else "", "platform-squad")


def _when(item: WorkItem, *, critical: bool = False) -> str:
    """Critical bugs go into the running sprint at once; of the rest, one in four is added to
    the running sprint and the others wait for the next sprint's planning (its first morning),
    so closed sprints have committed work and velocity and predictability mean something."""
    if critical or zlib.crc32(item.key.encode()) % 4 == 0:
        return "current"
    return "planning"


def _planning_after(item: WorkItem, at: datetime) -> datetime | None:
    """The next planning meeting of the item's team: 09:00 on its next sprint's first day."""
    team = _team_for(item)
    meeting = time(PLANNING_HOUR)
    starts = Sprint.objects.filter(team__slug=team, start__gte=at.date()).order_by("start")
    for day in starts.values_list("start", flat=True):
        moment = datetime.combine(day, meeting, tzinfo=at.tzinfo)
        if moment >= at:
            return moment
    return None


def _bug_steps(rng: random.Random, item: WorkItem, impact: str) -> list[Step]:
    priority = {"critical": "critical", "high": "major"}.get(impact, "minor")
    squad = SQUADS[_team_for(item)]
    critical = priority == "critical" or (item.component is not None and item.component.critical)
    if critical:
        assignees, mentor = [rng.choice(squad["senior"])], None
    elif squad["junior"] and rng.random() < 0.3:
        assignees, mentor = [squad["junior"][0]], squad["senior"][0]
    else:
        assignees, mentor = [rng.choice(squad["associate"])], None
    lead = assignees[0]
    pool = ["sofia", "viktor", "leo"] if critical else squad["senior"] + squad["associate"]
    reviewer = next(u for u in pool if u not in (lead, mentor))
    fast = 0.3 if priority == "critical" else 1.0

    def h(lo: int, hi: int) -> tuple[int, int]:
        return int(lo * fast) + 1, int(hi * fast) + 2

    steps = [
        Step(
            h(2, 24),
            "rita",
            "triage",
            {"priority": priority, "impact": "Customers affected: see cases"},
        ),
        Step(
            h(1, 48), "rita", "schedule", {"sprint": _when(item, critical=priority == "critical")}
        ),
        Step(h(1, 12), "rita", "assign", {"assignees": assignees, "mentor": mentor}),
        Step(h(0, 8), lead, "start"),
        Step(h(24, 96), lead, "submit_review"),
        Step(h(2, 24), reviewer, "approve_review"),
        Step(
            h(4, 48),
            "quinn",
            "test_pass",
            {"evidence": "Regression suite green; reproduced the case's steps, fixed."},
        ),
        Step(h(12, 72), "dev_ops", "release", {"version": "next"}),
        Step(h(1, 24), "dev_ops", "deploy", {"environment": "production"}),
    ]
    if rng.random() < 0.15:
        steps += [
            Step(
                h(2, 24), "dana", "fail_validation", {"reason": "Still fails for wallet payments."}
            ),
            Step(h(2, 24), lead, "start"),
            Step(h(12, 48), lead, "submit_review"),
            Step(h(2, 12), reviewer, "approve_review"),
            Step(
                h(2, 24),
                "quinn",
                "test_pass",
                {"evidence": "Added the wallet case to the suite; green."},
            ),
            Step(h(12, 48), "dev_ops", "release", {"version": "next"}),
            Step(h(1, 12), "dev_ops", "deploy", {"environment": "production"}),
        ]
    return [*steps, Step(h(2, 48), rng.choice(["dana", "omar", "yuki"]), "validate")]


def _feature_steps(rng: random.Random, item: WorkItem) -> list[Step]:
    wsjf = {
        "business_value": rng.choice([3, 5, 8, 13]),
        "time_criticality": rng.choice([1, 3, 5, 8]),
        "risk_reduction": rng.choice([1, 2, 3, 5]),
        "job_size": rng.choice([3, 5, 8, 13]),
    }
    steps = [Step((24, 72), "paul", "start_review"), Step((4, 48), "paul", "approve", wsjf)]
    if rng.random() < 0.4:
        return [
            *steps,
            Step(
                (24, 96),
                "rita",
                "defer",
                {"reason": "After the year-end freeze", "revisit_on": "+60d"},
            ),
        ]
    senior = rng.choice(SQUADS[_team_for(item)]["senior"])
    reviewer = SQUADS[_team_for(item)]["associate"][0]
    return [
        *steps,
        Step((24, 96), "rita", "approve"),
        Step((24, 120), "rita", "schedule", {"sprint": _when(item)}),
        Step((1, 24), "rita", "assign", {"assignees": [senior]}),
        Step((1, 24), senior, "start"),
        Step((72, 200), senior, "submit_review"),
        Step((2, 24), reviewer, "approve_review"),
        Step((4, 48), "quinn", "test_pass", {"evidence": "Exploratory and automated tests pass."}),
        Step((12, 72), "dev_ops", "release", {"version": "next"}),
        Step((1, 24), "dev_ops", "deploy", {"environment": "production"}),
        Step((24, 96), "paul", "accept"),
    ]


def _improvement_steps(rng: random.Random, item: WorkItem) -> list[Step]:
    return [
        Step((24, 96), "rita", "approve", {"team": "devops"}),
        Step((2, 48), "dev_ops", "assign", {"assignees": ["dev_ops"]}),
        Step((1, 24), "dev_ops", "start"),
        Step((24, 120), "dev_ops", "submit_review"),
        Step((2, 24), "viktor", "approve_review"),
        Step((2, 48), "dana", "verify"),
    ]


def plan_for(rng: random.Random, item: WorkItem, impact: str, start: datetime) -> Plan:
    if item.category == "bug":
        steps = _bug_steps(rng, item, impact)
    elif item.category == "feature":
        steps = _feature_steps(rng, item)
    else:
        steps = _improvement_steps(rng, item)
    timed, t = [], start
    for step in steps:
        t += timedelta(hours=rng.randint(*step.hours), minutes=rng.randrange(60))
        if step.data.get("sprint") == "planning":
            t = _planning_after(item, t) or t  # waits in the backlog; what follows, too
        timed.append((t, step))
    return Plan(item.key, start, timed)


_versions = iter(f"4.{minor}.{patch}" for minor in range(3, 9) for patch in range(10))


def _resolve(data: Mapping[str, object], item: WorkItem, at: datetime) -> dict[str, object]:
    resolved = dict(data)
    if resolved.get("sprint") in ("current", "planning"):
        team = Team.objects.get(slug=_team_for(item))
        sprint = Sprint.objects.filter(team=team, start__lte=at.date(), end__gte=at.date()).first()
        resolved["sprint"] = sprint.pk if sprint else None
    if resolved.get("version") == "next":
        resolved["version"] = next(_versions)
    revisit = str(resolved.get("revisit_on", ""))
    if revisit.startswith("+"):
        resolved["revisit_on"] = (at + timedelta(days=int(revisit[1:-1]))).date().isoformat()
    return {k: v for k, v in resolved.items() if v is not None}


def _closings(now: datetime) -> list[tuple[datetime, str, int, Step]]:
    """The RTE closes each ended sprint on the next sprint's first morning (unfinished work
    carries over), so a sprint is always running when a critical bug is scheduled."""
    tz, closings = now.tzinfo, []
    for pk, end in Sprint.objects.filter(end__lt=now.date()).values_list("pk", "end"):
        at = datetime.combine(end + timedelta(days=1), time(8), tzinfo=tz)
        if at <= now:
            closings.append((at, "~sprint", pk, Step((0, 0), "rita", "close")))
    return closings


def _estimate(item: WorkItem, actor: User) -> None:
    """A deterministic estimate, given when the item is scheduled."""
    if item.estimate is None:
        size = ESTIMATES[zlib.crc32(item.key.encode()) % len(ESTIMATES)]
        backlog_estimate(actor=actor, item=item, estimate=size)


def run_plans(plans: list[Plan], now: datetime, move_to: Callable[[datetime], object]) -> None:
    """Carry out every step whose time has come, in time order across all items, and close
    the sprints that ended."""
    steps = sorted(
        [
            (at, plan.key, n, step)
            for plan in plans
            for n, (at, step) in enumerate(plan.steps)
            if at <= now
        ]
        + _closings(now)
    )
    for at, key, n, step in steps:
        move_to(at)
        actor = User.objects.prefetch_related("role_grants").get(username=step.actor)
        if key == "~sprint":
            sprint_close(actor=actor, sprint=Sprint.objects.get(pk=n))
            continue
        item = WorkItem.objects.get(key=key)
        if step.action == "schedule":
            _estimate(item, actor)
            item = WorkItem.objects.get(key=key)
        work_item_transition(
            actor=actor, item=item, action=step.action, data=_resolve(step.data, item, at)
        )
