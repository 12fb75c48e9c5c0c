"""List endpoints cost as many queries for 2 rows as for 10: no N+1 (ARCHITECTURE rule 5)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.core.files.base import ContentFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from casebridge.accounts.models import Team
from casebridge.accounts.services import team_create, user_create
from casebridge.cases.attachments import attachment_add
from casebridge.cases.services import case_transition, comment_add
from casebridge.knowledge.services import KnownResolutionInput, known_resolution_create
from casebridge.sprints.services import sprint_create
from casebridge.workitems.services import work_item_create
from tests import factories

CLIENT = Client()
LISTS = [
    "/cases",
    "/cases?state=open&sort=newest",
    "/cases/{key}/comments",
    "/cases/{key}/attachments",
    "/cases/{key}/timeline",
    "/work-items",
    "/known-resolutions",
    "/users",
    "/teams",
    "/sprints",
    "/services",
    "/tokens",
]


def grow(world: factories.World, case_key: str, n: int, start: int) -> None:
    """Add ``n`` of every listed thing, each with the relations a list shows."""
    from casebridge.cases.models import Case

    l2 = world["l2"]
    case = Case.objects.get(key=case_key)
    bug = work_item_create(actor=l2, category="bug", title=f"Known bug {start}", docs={})
    for i in range(start, start + n):
        other = factories.make_case(world, by="cust_a" if i % 2 else "l1")
        other = case_transition(actor=l2, case=other, action="take")
        case_transition(actor=l2, case=other, action="escalate", data={"work_item": bug.key})
        comment_add(actor=world["cust_a"] if i % 2 else l2, case=case, body=f"Note {i}")
        attachment_add(
            actor=l2, case=case, upload=ContentFile(f"ERROR {i}\n".encode()), filename=f"{i}.log"
        )
        work_item_create(actor=l2, category="feature", title=f"Feature {i}", docs={})
        known_resolution_create(
            actor=l2,
            data=KnownResolutionInput(
                title=f"Fix number {i}",
                symptoms="502",
                steps="Restart",
                fix_kind="other",
                services=list(world.services.values()),
            ),
        )
        user_create(
            actor=None,
            username=f"dev{i + 10}",
            email=f"dev{i + 10}@example.com",
            roles=["developer", "qa"],
            level="L2",
        )
        team = team_create(actor=None, name=f"Team {i}", members=[world["dev2"], world["dev3"]])
        sprint_create(
            actor=None,
            team=Team.objects.get(pk=team.pk),
            name=f"Sprint {i}",
            start=date(2025, 1, 6) + timedelta(days=14 * i),
            end=date(2025, 1, 17) + timedelta(days=14 * i),
        )
        factories.make_service(f"Service {i}", [("Api", False), ("Worker", True)])


def queries(path: str) -> int:
    headers = {"HTTP_AUTHORIZATION": f"Bearer {TOKEN['l2']}"}
    with CaptureQueriesContext(connection) as captured:
        response = CLIENT.get(f"/api/v1{path}", **headers)
    assert response.status_code == 200, (path, response.content[:300])
    return len(captured)


TOKEN: dict[str, str] = {}


@pytest.mark.django_db
def test_list_endpoints_do_not_grow_with_their_rows(world: factories.World) -> None:
    TOKEN.update(world.tokens)
    case = factories.make_case(world, by="cust_a")
    grow(world, case.key, 2, start=0)
    paths = [p.format(key=case.key) for p in LISTS]
    queries(paths[0])  # the token's first use records it; later requests do not write
    small = {path: queries(path) for path in paths}
    grow(world, case.key, 8, start=2)
    large = {path: queries(path) for path in paths}
    assert {p: n for p, n in large.items() if n != small[p]} == {}, small
