"""A case comment is posted to Azure DevOps once, even when the delivery dies between Azure DevOps
answering the POST and Casebridge recording the comment's id: the retry finds the posted comment
by its marker instead of posting it again."""

from __future__ import annotations

from datetime import timedelta

import pytest

from casebridge.cases.services import comment_add
from casebridge.core import clock
from casebridge.integrations.azure_devops import comments
from casebridge.integrations.azure_devops.models import Connection, SyncedComment, WorkItemLink
from casebridge.integrations.azure_devops.reconcile import reconcile
from casebridge.integrations.models import OutboxMessage
from casebridge.integrations.relay import outbox_deliver_due
from casebridge.workitems.models import WorkItem
from tests import factories
from tests.fakes.azure_devops import FakeAzureDevOps
from tests.integrations.test_azure_devops_sync import escalate

pytestmark = pytest.mark.django_db


def _linked(world: factories.World) -> WorkItemLink:
    case = escalate(world)
    outbox_deliver_due()
    return WorkItemLink.objects.get(work_item=WorkItem.objects.get(pk=case.work_item_id))


def _due_again() -> None:
    OutboxMessage.objects.filter(state="pending").update(
        available_at=clock.now() - timedelta(seconds=1)
    )


def _crash_after_the_post(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    crashed: list[int] = []
    real = comments._posted

    def dies_once(link: WorkItemLink, pending: SyncedComment, ado_comment_id: int) -> None:
        if not crashed:
            crashed.append(ado_comment_id)
            raise ConnectionResetError("the relay died before recording the comment id")
        real(link, pending, ado_comment_id)

    monkeypatch.setattr(comments, "_posted", dies_once)
    return crashed


def test_a_delivery_dying_after_the_post_does_not_post_the_comment_twice(
    world: factories.World,
    ado: FakeAzureDevOps,
    connection: tuple[Connection, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    link = _linked(world)
    crashed = _crash_after_the_post(monkeypatch)
    case = link.work_item.cases.get()
    comment = comment_add(actor=world["l2"], case=case, body="Fails on Visa only")
    outbox_deliver_due()
    assert crashed and len(ado.store.item(link.ado_id).comments) == 1
    assert OutboxMessage.objects.filter(state="pending").exists()  # to be retried
    _due_again()
    outbox_deliver_due()
    posted = ado.store.item(link.ado_id).comments
    assert len(posted) == 1
    assert f"cb:{comment.pk})" in posted[0]["text"]
    synced = SyncedComment.objects.get(case_comment=comment)
    assert synced.ado_comment_id == crashed[0] == posted[0]["id"]
    # The reconcile job reading it back copies nothing (it is ours) and posts nothing.
    reconcile(Connection.objects.get())
    outbox_deliver_due()
    assert len(ado.store.item(link.ado_id).comments) == 1
    assert case.comments.count() == 1


def test_a_retry_after_a_post_that_never_arrived_posts_it_once(
    world: factories.World,
    ado: FakeAzureDevOps,
    connection: tuple[Connection, str],
) -> None:
    link = _linked(world)
    case = link.work_item.cases.get()
    ado.faults.fail_next(1, status=503)  # a POST is not retried by the client: it may be made
    comment_add(actor=world["l2"], case=case, body="Fails on Visa only")
    outbox_deliver_due()
    assert ado.store.item(link.ado_id).comments == []
    _due_again()
    outbox_deliver_due()
    assert len(ado.store.item(link.ado_id).comments) == 1


def test_the_hook_of_the_posted_comment_completes_the_pending_record(
    world: factories.World,
    ado: FakeAzureDevOps,
    connection: tuple[Connection, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    link = _linked(world)
    crashed = _crash_after_the_post(monkeypatch)
    case = link.work_item.cases.get()
    comment = comment_add(actor=world["l2"], case=case, body="Fails on Visa only")
    outbox_deliver_due()
    reconcile(Connection.objects.get())  # reads the comment back before the retry
    assert SyncedComment.objects.get(case_comment=comment).ado_comment_id == crashed[0]
    _due_again()
    outbox_deliver_due()
    assert len(ado.store.item(link.ado_id).comments) == 1
    assert SyncedComment.objects.filter(link=link).count() == 1
