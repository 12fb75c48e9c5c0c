"""Load the demo: everything goes through the services, with time moved so history looks real."""

from __future__ import annotations

import io
import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import time_machine
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from casebridge.accounts.models import Organisation, User
from casebridge.accounts.services import organisation_create, team_create, user_create
from casebridge.cases.attachments import attachment_add
from casebridge.cases.models import Case, CaseState
from casebridge.cases.services import CaseInput, case_create, case_transition, comment_add
from casebridge.catalog.models import Component, Service
from casebridge.demo import development, logs
from casebridge.demo.scenarios import SCENARIOS, Scenario
from casebridge.demo.world import DEMO_PASSWORD, KNOWN_FIXES, ORGANISATIONS, PEOPLE, SERVICES, TEAMS
from casebridge.integrations.models import OutboxMessage
from casebridge.knowledge.models import KnownResolution
from casebridge.knowledge.services import KnownResolutionInput, known_resolution_create
from casebridge.sla.calendars import calendar_create
from casebridge.sla.policies import policy_create
from casebridge.sla.services import sla_catch_up, sla_tick

HISTORY_DAYS = 45


@dataclass
class Demo:
    rng: random.Random
    traveller: time_machine.Traveller
    users: dict[str, User] = field(default_factory=dict)
    orgs: dict[str, Organisation] = field(default_factory=dict)
    services: dict[str, Service] = field(default_factory=dict)
    fixes: dict[str, KnownResolution] = field(default_factory=dict)
    work_items: dict[str, str] = field(default_factory=dict)
    plans: dict[str, development.Plan] = field(default_factory=dict)
    by_scenario: dict[str, list[Case]] = field(default_factory=dict)

    def at(self, moment: datetime) -> None:
        self.traveller.move_to(moment)

    def user(self, username: str) -> User:
        return User.objects.prefetch_related("role_grants").get(pk=self.users[username].pk)

    def l2(self) -> User:
        return self.user(self.rng.choice(["dana", "omar", "yuki"]))


def _catalogue(demo: Demo) -> None:
    for slug, (description, components) in SERVICES.items():
        name = slug.replace("-", " ").title()
        service = Service.objects.create(name=name, slug=slug, description=description)
        for component, critical in components:
            Component.objects.create(
                service=service, name=component, slug=slugify(component), critical=critical
            )
        demo.services[slug] = service


def _people(demo: Demo) -> None:
    for slug, name in ORGANISATIONS.items():
        demo.orgs[slug] = organisation_create(actor=None, name=name, slug=slug)
    for username, (full_name, roles, level, org) in PEOPLE.items():
        first, _, last = full_name.partition(" ")
        demo.users[username] = user_create(
            actor=None,
            username=username,
            email=f"{username}@demo.casebridge.test",
            roles=roles,
            level=level,
            organisation=demo.orgs.get(org),
            first_name=first,
            last_name=last,
        )
        # The demo's one public password is too weak for the validators by design (demo only).
        demo.users[username].set_password(DEMO_PASSWORD)
        demo.users[username].save(update_fields=["password"])
    demo.users["glory"].served_organisations.set([demo.orgs["acme"], demo.orgs["cobalt"]])
    for name, (kind, members) in TEAMS.items():
        team_create(actor=None, name=name, kind=kind, members=[demo.users[m] for m in members])


def _knowledge(demo: Demo) -> None:
    author = demo.user("dana")
    for key, (title, kind, services, symptoms, steps) in KNOWN_FIXES.items():
        data = KnownResolutionInput(
            title=title,
            symptoms=symptoms,
            steps=steps,
            fix_kind=kind,
            services=[demo.services[s] for s in services],
        )
        demo.fixes[key] = known_resolution_create(actor=author, data=data)


def _intake(demo: Demo, scenario: Scenario, at: datetime) -> Case:
    """Open the case as a customer, a partner or an L1 agent, as real intake is mixed."""
    rng = demo.rng
    org = rng.choice(list(ORGANISATIONS))
    customers = [u for u, p in PEOPLE.items() if p[1] == ["reporter"] and p[3] == org]
    channel, actor_name, reporter = "web", rng.choice(customers), None
    roll = rng.random()
    if roll < 0.35:
        actor_name, reporter = rng.choice(["liam", "lena"]), demo.users[rng.choice(customers)]
        channel = "cli" if rng.random() < 0.2 else "web"
    elif roll < 0.45 and org in ("acme", "cobalt"):
        actor_name = "glory"
    elif roll < 0.52:
        actor_name, channel = "liam", "api"
    service = demo.services[scenario.service]
    data = CaseInput(
        title=rng.choice(scenario.titles),
        description=logs.fill(scenario.description, rng, at),
        service=service,
        component=service.components.get(slug=scenario.component),
        environment="production" if rng.random() < 0.85 else "staging",
        impact=scenario.impact,
        version=rng.choice(["4.2.0", "4.2.1", "4.3.0"]),
        organisation=demo.orgs[org],
        reporter=reporter,
    )
    return case_create(actor=demo.user(actor_name), data=data, channel=channel)


def _attach_log(demo: Demo, case: Case, scenario: Scenario, at: datetime, by: User) -> None:
    content = logs.make_log(demo.rng, scenario.log_lines, at, lines=demo.rng.randrange(80, 400))
    name = demo.rng.choice(["app.log", "server.log", f"{scenario.component}.log"])
    attachment_add(actor=by, case=case, upload=io.BytesIO(content), filename=name)


def _work(demo: Demo, case: Case, scenario: Scenario, t: datetime, age_days: float) -> None:
    """Take the case as far as its age allows: investigate, ask, resolve, escalate, close."""
    rng = demo.rng
    if age_days < 2.5 and rng.random() < 0.6:
        return  # still new
    engineer = demo.l2()
    t += timedelta(minutes=rng.randrange(5, 240))
    demo.at(t)
    case = case_transition(actor=engineer, case=case, action="take")
    if rng.random() < 0.5:
        comment_add(actor=engineer, case=case, body=_internal_note(scenario), internal=True)
    if scenario.log_lines and rng.random() < 0.6:
        _attach_log(demo, case, scenario, t, engineer)
    if rng.random() < 0.2:
        t += timedelta(minutes=rng.randrange(10, 90))
        demo.at(t)
        case = case_transition(
            actor=engineer,
            case=case,
            action="request_info",
            data={"question": "Could you tell us the exact time it happened and one affected ID?"},
        )
        if age_days < 4:
            return  # waiting on the reporter
        t += timedelta(hours=rng.randrange(1, 20))
        demo.at(t)
        voice = _voice(demo, case)
        comment_add(actor=voice, case=case, body="It happened around 09:40, order 4711812.")
        case = Case.objects.get(pk=case.pk)
        if case.state == CaseState.WAITING_ON_REPORTER:
            case = case_transition(actor=engineer, case=case, action="answer")
    if age_days < 3 and rng.random() < 0.6:
        return  # investigating
    t += timedelta(hours=rng.randrange(1, 30))
    demo.at(t)
    case = _conclude(demo, case, scenario, engineer)
    _after(demo, case, scenario, t, age_days)


def _voice(demo: Demo, case: Case) -> User:
    """Who speaks for the customer: the reporter, or the L2 engineer when staff reported it."""
    reporter = demo.user(case.reporter.username)
    return reporter if reporter.is_external else demo.l2()


def _internal_note(scenario: Scenario) -> str:
    if scenario.known_fix:
        return f"Looks like the known issue '{KNOWN_FIXES[scenario.known_fix][0]}'. Checking logs."
    if scenario.bug:
        return "No known fix matches. Reproducing in staging."
    return "Checking the customer's configuration first."


def _conclude(demo: Demo, case: Case, scenario: Scenario, engineer: User) -> Case:
    earlier = demo.by_scenario.setdefault(scenario.key, [])
    rng = demo.rng
    others = [c for c in earlier if c.pk != case.pk]
    if others and rng.random() < 0.15:
        original = rng.choice(others)
        result = case_transition(
            actor=engineer,
            case=case,
            action="resolve",
            data={"resolution": "duplicate", "duplicate_of": original.key},
        )
    elif scenario.known_fix:
        fix = demo.fixes[scenario.known_fix]
        action = fix.steps.splitlines()[-1].lstrip("0123456789. ")
        result = case_transition(
            actor=engineer,
            case=case,
            action="resolve",
            data={"resolution": "known_fix", "known_resolution": fix.key, "action_taken": action},
        )
    elif scenario.bug:
        result = _escalate(demo, case, scenario, engineer)
    else:
        result = case_transition(
            actor=engineer,
            case=case,
            action="resolve",
            data={
                "resolution": "no_fault",
                "note": "A filter was set on the dashboard; explained.",
            },
        )
    earlier.append(result)
    return result


def _escalate(demo: Demo, case: Case, scenario: Scenario, engineer: User) -> Case:
    existing = demo.work_items.get(scenario.bug)
    if existing and demo.plans[existing].done_at <= timezone.now():
        existing = None  # the earlier fix is out: this is a new occurrence, a new item
    if existing:
        data: dict[str, object] = {"work_item": existing}
    else:
        docs = dict(scenario.docs)
        if scenario.category == "bug":
            docs.setdefault("version", case.version)
            if scenario.log_lines:
                docs["log_excerpt"] = logs.make_log(
                    demo.rng, scenario.log_lines, timezone.now(), 6
                ).decode()
        data = {"category": scenario.category, "docs": docs}
    result = case_transition(actor=engineer, case=case, action="escalate", data=data)
    item = result.work_item
    assert item is not None
    if item.key not in demo.plans:
        demo.work_items[scenario.bug] = item.key
        demo.plans[item.key] = development.plan_for(demo.rng, item, case.impact, timezone.now())
    return result


def _after(demo: Demo, case: Case, scenario: Scenario, t: datetime, age_days: float) -> None:
    """Resolved cases get confirmed, closed after the quiet period, or sometimes reopened."""
    if case.state != CaseState.RESOLVED:
        return
    rng = demo.rng
    if rng.random() < 0.08:
        t += timedelta(hours=rng.randrange(2, 48))
        demo.at(t)
        case = case_transition(
            actor=_voice(demo, case),
            case=case,
            action="reopen",
            data={"reason": "It happened again this morning."},
        )
        if age_days > 5:  # old reopenings were dealt with since
            demo.at(t + timedelta(hours=rng.randrange(1, 24)))
            again = _conclude(demo, case, scenario, demo.l2())
            _after(demo, again, scenario, t, age_days=0)
    elif age_days > 8 or rng.random() < 0.3:
        demo.at(t + timedelta(hours=rng.randrange(2, 72)))
        case_transition(actor=_voice(demo, case), case=case, action="close", data={})


def _service_levels() -> None:
    """A business-hours calendar, a 24x7 one, and policies, so that the queue shows clocks."""
    office = calendar_create(
        actor=None,
        name="Support office (Berlin)",
        slug="office",
        timezone="Europe/Berlin",
        hours={d: [["08:00", "18:00"]] for d in ("mon", "tue", "wed", "thu", "fri")},
        holiday_country="DE",
        holiday_subdivision="BE",
    )
    always = calendar_create(actor=None, name="24x7", slug="always", always_open=True)
    lead = User.objects.filter(role_grants__role="l2_engineer").order_by("username").first()
    policy_create(actor=None, name="Critical, around the clock", slug="critical",
                  calendar=always, impacts=["critical"], first_response_minutes=60,
                  triage_minutes=4 * 60, resolution_minutes=24 * 60, customer_visible=True,
                  lead=lead, escalation_action="notify_lead" if lead else "")  # fmt: skip
    policy_create(actor=None, name="High impact", slug="high", calendar=office,
                  impacts=["high"], first_response_minutes=4 * 60, triage_minutes=8 * 60,
                  resolution_minutes=3 * 10 * 60, customer_visible=True)  # fmt: skip
    policy_create(actor=None, name="Standard", slug="standard", calendar=office,
                  first_response_minutes=10 * 60, resolution_minutes=10 * 10 * 60)  # fmt: skip
    while sla_catch_up():
        pass
    sla_tick()


def load_demo(*, cases: int = 200, seed: int = 7) -> dict[str, int]:
    """Build the demo data set; returns counts. Run on an empty database."""
    now = timezone.now()
    start = now - timedelta(days=HISTORY_DAYS)
    with time_machine.travel(start, tick=False) as traveller, transaction.atomic():
        demo = Demo(rng=random.Random(seed), traveller=traveller)
        _catalogue(demo)
        _people(demo)
        _knowledge(demo)
        development.create_sprints(
            start.date() - timedelta(days=14), now.date() + timedelta(days=28)
        )
        weights = [s.weight for s in SCENARIOS]
        for i in range(cases):
            # Cases arrive over the whole history, a little more often lately.
            opened = start + timedelta(days=HISTORY_DAYS * ((i + 1) / cases) ** 0.8)
            opened -= timedelta(minutes=demo.rng.randrange(0, 600))
            demo.at(opened)
            scenario = demo.rng.choices(SCENARIOS, weights)[0]
            case = _intake(demo, scenario, opened)
            if scenario.log_lines and demo.rng.random() < 0.35:
                _attach_log(demo, case, scenario, opened, case.reporter)
            _work(demo, case, scenario, opened, (now - opened).total_seconds() / 86400)
        development.run_plans(list(demo.plans.values()), now, demo.at)
    _service_levels()
    # The demo's months of history are the past: their e-mails, notifications' reactions and
    # webhook posts are not replayed (to the console, in `make run`) at the first start.
    OutboxMessage.objects.all().delete()
    return {state: Case.objects.filter(state=state).count() for state in CaseState.values}
