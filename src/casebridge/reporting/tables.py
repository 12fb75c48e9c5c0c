"""What every table of the support report shares: the filters, the table itself (each number with
the link to what is behind it), and the case sets a number counts, written once so that the
count (``support``) and the list behind it (``drill``) cannot drift apart."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from statistics import median

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from casebridge.accounts.models import EXTERNAL_ROLES, Role, UserRole
from casebridge.audit.models import AuditEvent
from casebridge.cases.models import Case
from casebridge.core import clock
from casebridge.core.actors import Actor
from casebridge.core.errors import PermissionDenied, ValidationFailed
from casebridge.sla.history import RESPONSE_ACTIONS

PERIODS = ("day", "week", "month")
MAX_DAYS = 366
#: Who reads the support report: the L2 lead and engineers, the RTE, the PM, administrators.
REPORT_ROLES = (Role.L2_ENGINEER, Role.RTE, Role.PRODUCT_MANAGER, Role.ADMIN)

#: One cell of a table: a label, a count, a rate or hours; None where there is nothing to say.
Cell = str | int | float | None


@dataclass(frozen=True)
class Filters:
    start: datetime
    end: datetime
    period: str = "week"
    service: str = ""
    organisation: str = ""
    team: str = ""

    def query(self) -> dict[str, str]:
        """The filters as query parameters (for links and exports)."""
        out = {"start": self.start.isoformat(), "end": self.end.isoformat(), "period": self.period}
        for name in ("service", "organisation", "team"):
            if getattr(self, name):
                out[name] = getattr(self, name)
        return out


@dataclass
class Table:
    name: str
    title: str
    columns: list[str]
    rows: list[list[Cell]] = field(default_factory=list)
    #: per row, per column: the metric whose list is behind the number ("" for none)
    links: list[list[str]] = field(default_factory=list)

    def add(self, row: list[Cell], links: dict[int, str] | None = None) -> None:
        self.rows.append(row)
        found = links or {}
        self.links.append([found.get(i, "") for i in range(len(row))])


def report_allowed(viewer: Actor | None) -> Actor:
    """``viewer``, if it may read the support report."""
    if viewer is None or not viewer.is_authenticated or viewer.is_external:
        raise PermissionDenied("Reports are for support staff")
    if not viewer.has_role(*REPORT_ROLES):
        raise PermissionDenied("The support report is for the L2 lead, the RTE, the PM and admins")
    return viewer


def filters_for(
    *,
    start: datetime | None,
    end: datetime | None,
    period: str = "week",
    service: str = "",
    organisation: str = "",
    team: str = "",
) -> Filters:
    end = end or clock.now()
    start = start or end - timedelta(days=28)
    errors: dict[str, str] = {}
    if start >= end:
        errors["start"] = "The start must come before the end."
    elif end - start > timedelta(days=MAX_DAYS):
        errors["start"] = f"Ask for at most {MAX_DAYS} days at a time."
    if period not in PERIODS:
        errors["period"] = f"Use one of {', '.join(PERIODS)}."
    if errors:
        raise ValidationFailed("The report could not be made", fields=errors)
    return Filters(start, end, period, service, organisation, team)


def pct(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def hours(delta: timedelta) -> float:
    return delta.total_seconds() / 3600


def quantile(values: list[float], q: float) -> float | None:
    """Nearest-rank quantile (p90 = the value 90% of the cases stay within)."""
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[max(0, math.ceil(q * len(ordered)) - 1)], 2)


def middle(values: list[float]) -> float | None:
    return round(median(values), 2) if values else None


# --- the case sets ------------------------------------------------------------------------------


def cases(f: Filters) -> QuerySet[Case]:
    found = Case.objects.all()
    if f.service:
        found = found.filter(service__slug=f.service)
    if f.organisation:
        found = found.filter(organisation__slug=f.organisation)
    if f.team:
        found = found.filter(work_item__team__slug=f.team)
    return found


def opened(f: Filters) -> QuerySet[Case]:
    return cases(f).filter(created_at__gte=f.start, created_at__lt=f.end)


def resolved(f: Filters) -> QuerySet[Case]:
    return cases(f).filter(resolved_at__gte=f.start, resolved_at__lt=f.end)


def escalated_in(f: Filters) -> Q:
    return Q(
        Exists(
            AuditEvent.objects.filter(
                subject_type="case",
                subject_key=OuterRef("key"),
                action="escalate",
                field="state",
                at__gte=f.start,
                at__lt=f.end,
            )
        )
    )


def returned_for_info() -> Q:
    return Q(
        Exists(
            AuditEvent.objects.filter(
                subject_type="case",
                subject_key=OuterRef("key"),
                action="work_item_progress",
                data__action="needs_info",
            )
        )
    )


def staff_reply() -> Q:
    """An audit event that is a public reply by staff (it stops "first response")."""
    staff = UserRole.objects.filter(user=OuterRef("actor")).exclude(role__in=EXTERNAL_ROLES)
    return Q(public=True, action__in=RESPONSE_ACTIONS, actor__isnull=False) & Q(Exists(staff))


def replied() -> Q:
    """Cases with a public reply by staff."""
    return Q(
        Exists(
            AuditEvent.objects.filter(subject_type="case", subject_key=OuterRef("key")).filter(
                staff_reply()
            )
        )
    )


def entered(state: str) -> Q:
    """Cases that entered ``state`` after their creation."""
    return Q(
        Exists(
            AuditEvent.objects.filter(
                subject_type="case", subject_key=OuterRef("key"), field="state", new=state
            )
        )
    )


def bucket(f: Filters, day: date) -> tuple[datetime, datetime]:
    """The period (day, week or month, in the server's zone) that starts on ``day``, within the
    report's window."""
    if f.period == "day":
        after = day + timedelta(days=1)
    elif f.period == "week":
        after = day + timedelta(days=7)
    else:
        after = (day.replace(day=28) + timedelta(days=4)).replace(day=1)
    zone = timezone.get_current_timezone()
    lo = timezone.make_aware(datetime.combine(day, time()), zone)
    hi = timezone.make_aware(datetime.combine(after, time()), zone)
    return max(lo, f.start), min(hi, f.end)
