"""Pull request events link the pull request on the work items it names (``BUG-7``, ``FR-3``,
``IMP-2``, ``AB#123`` in its title, description or branch), and move them on:

* an approving review (GitHub ``pull_request_review`` with ``approved``, an Azure Repos reviewer
  voting 10) by a Casebridge user records the peer review of an item in review (``approve_review``
  through the engine, so policy 5 still applies: an assignee's approval is refused and noted);
* a merge of the pull request submits an item still in progress for review, by its author, as its
  workflow says (``submit_review``); an item already further on is left where it is.

People are matched by e-mail, else by user name (a GitHub login equal to the Casebridge user
name).
"""

from __future__ import annotations

from collections.abc import Mapping

from django.db import transaction

from casebridge.accounts.models import User
from casebridge.audit.actions import AuditAction
from casebridge.audit.services import audit_record
from casebridge.core import clock
from casebridge.core.errors import DomainError
from casebridge.core.urls import safe_external_url
from casebridge.integrations.delivery.models import InboundEvent, PullRequestLink, SourceKind
from casebridge.integrations.delivery.outcomes import Ignored
from casebridge.integrations.delivery.references import references_in, work_items_for
from casebridge.workitems.models import WorkItem
from casebridge.workitems.services import work_item_transition


def _user(name: str) -> User | None:
    if not name:
        return None
    users = User.objects.prefetch_related("role_grants").filter(is_active=True)
    return users.filter(email__iexact=name).first() or users.filter(username__iexact=name).first()


def _get(data: object, *path: str) -> object:
    for part in path:
        data = data.get(part) if isinstance(data, Mapping) else None
    return data


def _obj(data: object, *path: str) -> Mapping[str, object]:
    """The JSON object at ``path`` (an empty one when there is none)."""
    found = _get(data, *path)
    return found if isinstance(found, Mapping) else {}


def _int(value: object) -> int:
    return int(value) if isinstance(value, int | float) else 0


def _list(value: object) -> list[object]:
    return list(value) if isinstance(value, list) else []


class Pull:
    def __init__(self, event: InboundEvent, data: Mapping[str, object]) -> None:
        self.approved_by = ""
        if event.source.kind == SourceKind.GITHUB:
            pull = _obj(data, "pull_request")
            self.repository = str(_get(data, "repository", "full_name") or "")
            self.number = _int(pull.get("number"))
            self.title = str(pull.get("title") or "")
            self.body = str(pull.get("body") or "")
            self.branch = str(_get(pull, "head", "ref") or "")
            self.url = str(pull.get("html_url") or "")
            self.author = str(_get(pull, "user", "login") or "")
            merged = bool(pull.get("merged")) or bool(pull.get("merged_at"))
            closed = pull.get("state") == "closed"
            self.state = "merged" if merged else "closed" if closed else "open"
            review = _obj(data, "review")
            if str(review.get("state") or "").lower() == "approved":
                self.approved_by = str(_get(review, "user", "login") or "")
        else:
            resource = _obj(data, "resource")
            self.repository = str(_get(resource, "repository", "name") or "")
            self.number = _int(resource.get("pullRequestId"))
            self.title = str(resource.get("title") or "")
            self.body = str(resource.get("description") or "")
            self.branch = str(resource.get("sourceRefName") or "")
            self.url = str(_get(resource, "_links", "web", "href") or resource.get("url") or "")
            self.author = str(_get(resource, "createdBy", "uniqueName") or "")
            status = str(resource.get("status") or "")
            merged = event.event_type == "git.pullrequest.merged" or status == "completed"
            self.state = "merged" if merged else "closed" if status == "abandoned" else "open"
            for reviewer in _list(resource.get("reviewers")):
                if isinstance(reviewer, Mapping) and reviewer.get("vote") == 10:
                    self.approved_by = str(reviewer.get("uniqueName") or "")
                    break
        self.url = safe_external_url(self.url) or ""

    @property
    def references(self) -> list[str]:
        return references_in(self.title, self.body, self.branch)


def _link(event: InboundEvent, item: WorkItem, pull: Pull) -> PullRequestLink:
    with transaction.atomic():
        link, created = PullRequestLink.objects.select_for_update().get_or_create(
            work_item=item,
            source=event.source,
            repository=pull.repository[:200],
            number=pull.number,
            defaults={"updated_at": clock.now()},
        )
        before = (link.state, link.approved_by)
        link.title = pull.title[:300]
        link.url = pull.url[:500]
        link.author = pull.author[:200]
        if link.state != "merged":
            link.state = pull.state
        link.approved_by = pull.approved_by[:200] or link.approved_by
        link.updated_at = clock.now()
        link.save()
        if created or before != (link.state, link.approved_by):
            audit_record(
                actor=None,
                subject=item,
                action=AuditAction.PULL_REQUEST_LINKED if created else "pull_request_updated",
                data={"pull_request": link.key, "state": link.state, "url": link.url},
            )
    return link


def _review(item: WorkItem, pull: Pull, reason: str) -> str:
    reviewer = _user(pull.approved_by)
    if reviewer is None:
        return f"{item.key}: the approval of {pull.approved_by} (no Casebridge user) not recorded"
    try:
        work_item_transition(
            actor=reviewer, item=item, action="approve_review", data={"reason": reason}
        )
    except DomainError as exc:
        return f"{item.key}: review not recorded: {exc}"
    return f"{item.key}: reviewed by {reviewer.username}"


def _move(item: WorkItem, pull: Pull) -> str:
    reason = f"Pull request {pull.repository}#{pull.number}"
    if pull.approved_by and item.status == "in_review":
        return _review(item, pull, reason)
    if pull.state == "merged" and item.status == "in_progress":
        author = _user(pull.author)
        if author is None:
            return f"{item.key}: merged by {pull.author} (no Casebridge user), left in progress"
        try:
            work_item_transition(
                actor=author, item=item, action="submit_review", data={"reason": reason}
            )
        except DomainError as exc:
            return f"{item.key}: not submitted for review: {exc}"
        return f"{item.key}: submitted for review"
    return f"{item.key}: linked"


def process(event: InboundEvent, data: Mapping[str, object]) -> str:

    if event.event_type.startswith("deployment"):
        raise Ignored("Not a pull request event.")
    pull = Pull(event, data)
    items = work_items_for(pull.references)
    if not items or not pull.number:
        raise Ignored("The pull request names no known work item.")
    notes = []
    for item in items:
        _link(event, item, pull)
        notes.append(_move(WorkItem.objects.get(pk=item.pk), pull))
    return "; ".join(notes)
