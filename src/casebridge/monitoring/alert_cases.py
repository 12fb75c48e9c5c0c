"""What an alert group does to its case: open it (or follow the still-open case of the same
alert), record acknowledgements and resolves on it, and auto-resolve it when nobody worked on it.

Called inside the transaction that catches the group up (``worker.groups_sync``) or that
reports an anomaly (``services.anomaly_report``); every case change goes through the case services.
"""

from __future__ import annotations

from django.db import IntegrityError, transaction

from casebridge.accounts.models import Role, User
from casebridge.accounts.services import user_create
from casebridge.audit.actions import AuditAction
from casebridge.audit.services import audit_record
from casebridge.cases.models import Case, CaseState, Impact
from casebridge.cases.services import CaseInput, case_create, case_transition
from casebridge.cases.workflow import worked_on
from casebridge.core.actors import SYSTEM
from casebridge.monitoring import storms
from casebridge.monitoring.models import OPEN_ALERT_STATES, AlertGroup, AlertStatus

MONITORING_USERNAME = "monitoring"
CASE_OPEN_STATES = (CaseState.NEW, CaseState.INVESTIGATING, CaseState.WAITING_ON_REPORTER)
IMPACT_OF_SEVERITY = {
    "critical": Impact.CRITICAL,
    "page": Impact.CRITICAL,
    "error": Impact.HIGH,
    "major": Impact.HIGH,
    "high": Impact.HIGH,
    "warning": Impact.MEDIUM,
    "medium": Impact.MEDIUM,
    "info": Impact.LOW,
    "low": Impact.LOW,
}


def monitoring_account() -> User:
    """The account monitoring opens cases under: an inactive L1 agent no one signs in with."""
    user = User.objects.prefetch_related("role_grants").filter(username=MONITORING_USERNAME).first()
    if user is not None:
        return user
    try:
        with transaction.atomic():
            user_create(
                actor=None,
                username=MONITORING_USERNAME,
                email="monitoring@casebridge.invalid",
                roles=[Role.L1_AGENT],
                first_name="Monitoring",
                active=False,
            )
    except IntegrityError:  # created by another process meanwhile
        pass
    return User.objects.prefetch_related("role_grants").get(username=MONITORING_USERNAME)


def _description(group: AlertGroup) -> str:
    notes = [
        group.annotations.get("description") or "",
        group.annotations.get("summary") or "",
    ]
    lines = [text for text in dict.fromkeys(notes) if text]
    origin = (
        f"reported by {group.reporter.display_name}"
        if group.reporter
        else f"from {group.integration.name if group.integration else 'monitoring'}"
    )
    # No time stamps in the text: a line with one reads as a log line to the signature parser.
    lines += [
        "",
        f"Alert group {group.key} {origin}.",
        f"Started: {group.starts_at:%d %b %Y, %H:%M %Z}",
    ]
    if group.severity:
        lines.append(f"Severity: {group.severity}")
    if group.labels:
        lines.append("Labels:")
        lines += [f"  {name}={value}" for name, value in sorted(group.labels.items())]
    if group.source_url:
        lines.append(f"Source: {group.source_url}")
    lines.append(f"Fingerprint: {group.fingerprint}")
    return "\n".join(lines).strip()


def case_input_for(group: AlertGroup, reporter: User | None) -> CaseInput:
    prefix = "[Anomaly]" if group.kind == "anomaly" else "[Alert]"
    return CaseInput(
        title=f"{prefix} {group.title}"[:200],
        description=_description(group),
        service=group.service,
        component=group.component,
        environment=group.environment,
        impact=IMPACT_OF_SEVERITY.get(group.severity.lower(), Impact.MEDIUM),
        reporter=reporter,
    )


def _open_case_of_same_alert(group: AlertGroup) -> Case | None:
    """A case still open for an earlier group of the same key: the alerts of one rule on one
    service stay one case while it is open."""
    if group.integration_id is None:
        return None
    earlier = (
        AlertGroup.objects.filter(
            integration_id=group.integration_id, fingerprint=group.fingerprint
        )
        .exclude(pk=group.pk)
        .exclude(case=None)
        .order_by("-id")
        .values_list("case_id", flat=True)[:5]
    )
    ids = list(earlier)  # the last groups of this alert: the (integration, fingerprint) index
    if not ids:
        return None
    return Case.objects.filter(pk__in=ids, state__in=CASE_OPEN_STATES).order_by("-id").first()


def _last_case_of_same_alert(group: AlertGroup) -> Case | None:
    if group.integration_id is None:
        return None
    earlier = AlertGroup.objects.filter(
        integration_id=group.integration_id, fingerprint=group.fingerprint
    ).exclude(pk=group.pk)
    last = earlier.exclude(case=None).order_by("-id").values_list("case_id", flat=True).first()
    return Case.objects.filter(pk=last).first() if last else None


def case_for_group(
    group: AlertGroup, *, actor: User | None = None, joining: storms.Joining | None = None
) -> Case:
    """Open the group's case; or link it to the open case of the same group key (recorded
    there); or, flapping, to the last case of it, which it does not reopen; or, in a storm of its
    service, to the storm's case (``storms``)."""
    existing = _open_case_of_same_alert(group)
    if existing is not None:
        audit_record(
            actor=None,
            subject=existing,
            action=AuditAction.ALERT_FIRED_AGAIN,
            field="alert",
            old="resolved",
            new="firing",
            reason=f"{group.title} fired again ({group.key})",
        )
        return existing
    last = _last_case_of_same_alert(group) if group.flapping else None
    if last is not None:
        audit_record(
            actor=None,
            subject=last,
            action=AuditAction.ALERT_FLAPPING,
            field="alert",
            new="flapping",
            reason=f"{group.title} is flapping ({group.key}): it fired again and does not "
            f"reopen this case",
        )
        return last
    account = actor or monitoring_account()
    in_storm = storms.storm_case_for(group, actor=account, joining=joining)
    if in_storm is not None:
        return in_storm
    reporter = group.reporter or (group.integration.reporter if group.integration else None)
    return case_create(actor=account, data=case_input_for(group, reporter), channel="monitoring")


def _alone(case: Case, group: AlertGroup) -> bool:
    """The alert alone explains the case: still new, nobody worked on it (``worked_on``), no
    other open alert, no open incident declared from it."""
    if case.state != CaseState.NEW or worked_on(case):
        return False
    others = AlertGroup.objects.filter(case=case, status__in=OPEN_ALERT_STATES).exclude(pk=group.pk)
    if others.exists():
        return False
    # ``incidents`` sits above monitoring: its incidents are read through the case's relation.
    return not case.incidents.exclude(state="closed").exists()


def record_status(group: AlertGroup, case: Case) -> None:
    """Tell the case what happened to the alert since the last catch-up."""
    if group.status in (group.synced_status, AlertStatus.FIRING):
        return
    when = group.resolved_at if group.status == AlertStatus.RESOLVED else group.acknowledged_at
    stamp = f"{when:%Y-%m-%d %H:%M:%S %Z}" if when else "now"
    verb = "resolved" if group.status == AlertStatus.RESOLVED else "was acknowledged"
    audit_record(
        actor=None,
        subject=case,
        action=f"alert_{group.status}",
        field="alert",
        old=group.synced_status or "firing",
        new=group.status,
        reason=f"{group.title} {verb} at the source at {stamp} ({group.key})",
    )
    if group.status == AlertStatus.RESOLVED and _alone(case, group):
        note = f"The alert resolved at the source at {stamp} before anyone worked on the case."
        case_transition(actor=SYSTEM, case=case, action="auto_resolve", data={"note": note})
