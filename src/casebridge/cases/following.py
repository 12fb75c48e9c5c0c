"""Cases follow the work item they are linked to: progress on their timeline, and the outcome."""

from __future__ import annotations

from typing import Any

from casebridge.audit.services import audit_record
from casebridge.cases.models import Case, CaseState, Watcher
from casebridge.core.actors import SYSTEM
from casebridge.integrations.notifications import notify


def cases_relink(*, actor: Any, source: Any, target: Any) -> list[str]:
    """Move every case of ``source`` to ``target`` (a duplicate, or a re-categorised item)."""
    moved = []
    for case in Case.objects.select_for_update().filter(work_item=source).order_by("id"):
        case.work_item = target
        case.save(update_fields=["work_item", "updated_at"])
        audit_record(
            actor=actor,
            subject=case,
            action="relinked",
            field="work_item",
            old=source.key,
            new=target.key,
            public=True,
        )
        moved.append(case.key)
    return moved


def _audience(case: Case) -> list[Any]:
    watchers = [w.user for w in Watcher.objects.filter(case=case).select_related("user")]
    return [case.reporter, case.owner, *watchers]


def cases_follow(
    *, actor: Any, item: Any, action: str, old: str, new: str, label: str, outcome: str, reason: str
) -> None:
    """Record the item's new status on each linked case, notify, and carry the outcome over.

    ``outcome`` is "fixed", "returned" (back to L2), "resumed" (escalated again) or "".
    """
    from casebridge.cases.services import case_transition

    for case in Case.objects.filter(work_item=item).select_related("reporter", "owner"):
        # Public: the customer sees the progress. The reason is development's internal word
        # (an RTE's question, a reviewer's remark): staff read it on the work item's own event.
        audit_record(
            actor=actor,
            subject=case,
            action="work_item_progress",
            field="work_item_status",
            old=old,
            new=new,
            data={"work_item": item.key, "action": action},
            public=True,
        )
        message = f"{case.key}: {item.key} is now {label.lower()}"
        detail = f" ({reason})" if reason and outcome == "returned" else ""
        for external in (False, True):
            notify(
                users=[u for u in _audience(case) if u is not None and u.is_external is external],
                subject_key=case.key,
                message=message if external else message + detail,
                url=f"/cases/{case.key}/",
            )
        if outcome == "fixed" and case.state == CaseState.ESCALATED:
            version = item.release_version or "unknown version"
            note = f"Fixed by {item.key} in {version}"
            case_transition(
                actor=SYSTEM,
                case=case,
                action="fix",
                data={"note": note, "version": item.release_version},
            )
        elif outcome == "returned" and case.state == CaseState.ESCALATED:
            case_transition(
                actor=SYSTEM, case=case, action="return_to_l2", data={"reason": reason or label}
            )
        elif outcome == "resumed" and case.state == CaseState.INVESTIGATING:
            case_transition(actor=SYSTEM, case=case, action="resume_escalation", data={})
