"""Every read of cases a request makes. Each one knows the viewer."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import cast, overload

from django.core.paginator import Page, Paginator
from django.db.models import Count, F, Q, QuerySet
from django.db.models.expressions import OrderBy

from casebridge.accounts.models import Role, as_user
from casebridge.audit.models import AuditEvent
from casebridge.audit.selectors import events_for
from casebridge.cases.models import (
    IMPACT_RANK,
    OPEN_STATES,
    Attachment,
    Case,
    CaseState,
    Comment,
)
from casebridge.core.actors import Actor
from casebridge.core.errors import NotFound, ValidationFailed
from casebridge.workitems.models import WorkItem

ROW_RELATIONS = (
    "service",
    "component",
    "owner",
    "reporter",
    "logged_by",
    "organisation",
    "work_item",
)
#: What the queue page and the API's list show of a row (no reporter, no logger): on PostgreSQL
#: three joins of the user table made planning the page's rows cost 4 ms for 0.4 of execution.
LIST_RELATIONS = ("service", "component", "owner", "organisation", "work_item")
QUEUE_SORTS: dict[str, tuple[str | OrderBy, ...]] = {
    "oldest": ("created_at", "id"),
    "newest": ("-created_at", "-id"),
    # the SLA clock due first (breached ones lead), cases without a running clock last
    "breach": (F("sla_due_at").asc(nulls_last=True), "created_at", "id"),
    "impact": (IMPACT_RANK.desc(), "created_at", "id"),
}


def _visible(viewer: Actor) -> Q:
    """Internal staff see every case; customers their organisation's; partners those they serve."""
    if not viewer.is_external:
        return Q()
    user = as_user(viewer)
    if user.has_role(Role.PARTNER):
        return Q(reporter=user) | Q(organisation__in=user.served_organisations.all())
    if user.organisation_id is None:
        return Q(reporter=user)
    return Q(organisation_id=user.organisation_id)


def _cases_for(viewer: Actor) -> QuerySet[Case]:
    if not getattr(viewer, "is_authenticated", False):
        return Case.objects.none()
    return Case.objects.filter(_visible(viewer))


@dataclass(frozen=True)
class CaseFilters:
    states: tuple[str, ...] = field(default_factory=tuple)
    service: str = ""
    source: str = ""
    owner: str = ""
    organisation: str = ""
    sort: str = "oldest"
    #: A key (CB-12) or words of the title or description.
    text: str = ""

    @classmethod
    def queue(cls, *, states: tuple[str, ...] | None = None, **kwargs: str) -> CaseFilters:
        """The L2 queue's default: open cases, oldest first."""
        return cls(states=tuple(OPEN_STATES) if states is None else states, **kwargs)


def case_list_for(viewer: Actor, filters: CaseFilters | None = None) -> QuerySet[Case]:
    f = filters or CaseFilters()
    cases = _cases_for(viewer).select_related(*ROW_RELATIONS)
    if f.states:
        cases = cases.filter(state__in=f.states)
    if f.service:
        cases = cases.filter(service__slug=f.service)
    if f.source:
        cases = cases.filter(source=f.source)
    if f.owner == "none":
        cases = cases.filter(owner__isnull=True)
    elif f.owner:
        cases = cases.filter(owner__username=f.owner)
    if f.organisation:
        cases = cases.filter(organisation__slug=f.organisation)
    text = f.text.strip()[:200]
    if text:
        words = Q()
        for word in text.split()[:10]:
            words &= Q(title__icontains=word) | Q(description__icontains=word)
        cases = cases.filter(Q(key__iexact=text) | words)
    return cases.order_by(*QUEUE_SORTS.get(f.sort, QUEUE_SORTS["oldest"]))


CSV_HEADER = (
    "key",
    "title",
    "state",
    "source",
    "service",
    "component",
    "impact",
    "organisation",
    "owner",
    "work_item",
    "created_at",
)
#: The model fields behind ``CSV_HEADER``'s columns, in the same order.
CSV_FIELDS = (
    "key",
    "title",
    "state",
    "source",
    "service__slug",
    "component__slug",
    "impact",
    "organisation__slug",
    "owner__username",
    "work_item__key",
    "created_at",
)


def case_csv_rows_for(viewer: Actor, filters: CaseFilters) -> Iterator[tuple[object, ...]]:
    """Every case of the list in ``CSV_HEADER``'s columns, read in chunks; a customer's or
    partner's export names no staff and no work item."""
    rows = case_list_for(viewer, filters).values_list(*CSV_FIELDS).iterator(chunk_size=2000)
    if not viewer.is_external:
        return rows
    return ((*row[:8], None, None, *row[10:]) for row in rows)


def case_page_for(
    viewer: Actor,
    filters: CaseFilters,
    *,
    page: str | int | None = 1,
    per_page: int = 50,
    relations: Sequence[str] = LIST_RELATIONS,
    state_counts: Mapping[str, int] | None = None,
) -> Page[Case]:
    """One page of the queue, in two steps so that large queues stay fast.

    First the page's ids, from the (state, created_at) index alone, then those rows with their
    ``relations`` (only those the page shows). Joining before sorting would join every matching
    case (tens of thousands at 100k cases) only to keep fifty. ``state_counts``: the viewer's
    ``state_counts_for``, read already (the queue's tabs); when only states filter the list, its
    total is their sum and is not counted again.
    """
    ids_of = _ids(viewer, filters)
    known = _count_from(filters, state_counts)
    paginator = Paginator(ids_of if known is None else _Counted(ids_of, known), per_page)
    ids = paginator.get_page(page)
    rows = _rows(list(ids.object_list), relations)
    return Page(rows, ids.number, cast("Paginator[Case]", paginator))


def case_slice_for(
    viewer: Actor, filters: CaseFilters, *, offset: int, limit: int
) -> tuple[list[Case], int]:
    """Rows ``offset`` to ``offset + limit`` of the list, and the total, as ``case_page_for``."""
    ids = _ids(viewer, filters)
    return _rows(list(ids[offset : offset + limit]), LIST_RELATIONS), ids.count()


def _count_from(filters: CaseFilters, state_counts: Mapping[str, int] | None) -> int | None:
    """The list's total from the counts by state, when no other filter narrows it."""
    narrowed = (filters.service, filters.source, filters.owner, filters.organisation)
    if state_counts is None or any(narrowed) or filters.text.strip():
        return None
    return sum(state_counts.get(state, 0) for state in filters.states or state_counts)


class _Counted:
    """The page's ids with their total known: the paginator slices them, never counts them."""

    def __init__(self, ids: QuerySet[Case, int], total: int) -> None:
        self.ids, self.total = ids, total

    def count(self) -> int:
        return self.total

    def __len__(self) -> int:
        return self.total

    def __iter__(self) -> Iterator[int]:
        return iter(self.ids)

    @overload
    def __getitem__(self, index: int) -> int: ...
    @overload
    def __getitem__(self, index: slice) -> QuerySet[Case, int]: ...
    def __getitem__(self, index: int | slice) -> int | QuerySet[Case, int]:
        return self.ids[index]


def _ids(viewer: Actor, filters: CaseFilters) -> QuerySet[Case, int]:
    return case_list_for(viewer, filters).select_related(None).values_list("id", flat=True)


def _rows(ids: list[int], relations: Sequence[str]) -> list[Case]:
    by_id = Case.objects.select_related(*relations).in_bulk(ids)
    return [by_id[pk] for pk in ids if pk in by_id]


def case_get_for(viewer: Actor, key: str) -> Case:
    """The case, if the viewer may see it; otherwise NotFound, never "forbidden"."""
    case = (
        _cases_for(viewer)
        .select_related(*ROW_RELATIONS, "known_resolution", "duplicate_of")
        .filter(key=key.strip().upper())
        .first()
    )
    if case is None:
        raise NotFound(f"No case {key}")
    return case


def case_visible_to(viewer: Actor, case: Case) -> bool:
    """Whether the viewer may see the case (one cheap query; no row is loaded)."""
    return _cases_for(viewer).filter(pk=case.pk).exists()


def comments_for(viewer: Actor, case: Case) -> QuerySet[Comment]:
    comments = Comment.objects.filter(case=case).select_related("author")
    if viewer.is_external:  # the authors' roles say who may be named to a customer
        return comments.filter(internal=False).prefetch_related("author__role_grants")
    return comments


def attachments_for(viewer: Actor, case: Case) -> QuerySet[Attachment]:
    files = Attachment.objects.filter(case=case).select_related("uploaded_by")
    if viewer.is_external:
        return files.filter(internal=False).prefetch_related("uploaded_by__role_grants")
    return files


def attachment_get_for(viewer: Actor, case: Case, attachment_id: int) -> Attachment:
    attachment = attachments_for(viewer, case).filter(pk=attachment_id).first()
    if attachment is None:
        raise NotFound(f"No attachment {attachment_id} on {case.key}")
    return attachment


def timeline_for(viewer: Actor, case: Case) -> QuerySet[AuditEvent]:
    """The case's events, and those of the work item it follows; customers see public ones."""
    subjects = [("case", case.key)]
    if case.work_item_id is not None and case.work_item is not None:
        subjects.append(("work_item", case.work_item.key))
    events = events_for(subjects, public_only=viewer.is_external)
    return events.prefetch_related("actor__role_grants")  # who may be named to a customer


def state_counts_for(viewer: Actor) -> dict[str, int]:
    # COUNT(*), not COUNT(id): PostgreSQL may then count from an index alone
    rows = _cases_for(viewer).values("state").annotate(n=Count("*"))
    counts = {state.value: 0 for state in CaseState}
    counts.update({row["state"]: row["n"] for row in rows})
    return counts


def parse_states(value: str) -> tuple[str, ...]:
    """``open``, ``all`` (or nothing) or a comma-separated list of states; unknown names are a
    field error."""
    if not value or value == "all":
        return ()
    if value == "open":
        return tuple(OPEN_STATES)
    states = tuple(s.strip() for s in value.split(",") if s.strip())
    unknown = [s for s in states if s not in CaseState.values]
    if unknown:
        raise ValidationFailed(
            "Unknown state",
            fields={
                "state": (
                    f"Unknown {', '.join(unknown)}; use open, all or {', '.join(CaseState.values)}."
                )
            },
        )
    return states


def case_list_for_work_item(viewer: Actor, work_item: WorkItem) -> QuerySet[Case]:
    """The cases that follow a work item, as far as the viewer may see them, oldest first."""
    return case_list_for(viewer).filter(work_item=work_item)


def recent_cases_logged_by(viewer: Actor, *, limit: int = 10) -> list[Case]:
    """The cases the viewer logged (an L1 agent's calls), newest first."""
    cases = _cases_for(viewer).filter(logged_by_id=viewer.pk).select_related("organisation")
    return list(cases.order_by("-created_at", "-pk")[:limit])
