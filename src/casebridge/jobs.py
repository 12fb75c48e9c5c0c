"""Periodic jobs the worker runs, with how often. Each is idempotent and safe to run twice."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings

from casebridge.cases.services import close_quiet_resolved_cases
from casebridge.core.idempotency import forget_expired as idempotency_keys_forget
from casebridge.core.tasks import tasks_reclaim
from casebridge.integrations.azure_devops.reconcile import reconcile_all
from casebridge.integrations.delivery.processing import events_prune, process_pending
from casebridge.integrations.mailin.imap import mailboxes_poll
from casebridge.integrations.mailin.intake import mail_process_due
from casebridge.integrations.mailin.store import mail_prune
from casebridge.integrations.notifications import digests_send
from casebridge.integrations.outbox import outbox_prune
from casebridge.monitoring.storms import storms_end
from casebridge.monitoring.worker import (
    payloads_prune,
    rate_windows_prune,
    worker_fold,
    worker_sync,
)
from casebridge.occurrences.recurring import near_duplicates_refresh, recurring_detect
from casebridge.occurrences.services import log_sources_requeue_stalled, occurrences_refresh_stats
from casebridge.reporting.rollup import rollup_tick
from casebridge.sla.services import sla_tick


@dataclass(frozen=True)
class Job:
    name: str
    every_seconds: int
    run: Callable[[], int]


def periodic_jobs() -> list[Job]:
    return [
        # every pass: stored alert payloads into groups, then the groups' cases
        Job("fold monitoring payloads into alert groups", 0, worker_fold),
        Job("open and update the cases of alert groups", 0, worker_sync),
        Job("end alert storms quiet for their period", 30, storms_end),
        Job("forget old intake rate windows", 600, rate_windows_prune),
        Job("forget expired idempotency keys", 600, idempotency_keys_forget),
        Job("run again the tasks of workers that are gone", 15, tasks_reclaim),
        # growth: what the retention (CASEBRIDGE_RETENTION_DAYS) lets go, in batches
        Job("remove processed monitoring payloads past the retention", 3600, payloads_prune),
        Job("remove processed deliveries past the retention", 3600, events_prune),
        Job("drop the bytes of processed e-mail past the retention", 3600, mail_prune),
        Job("remove delivered outbox messages past the retention", 3600, outbox_prune),
        # e-mail in: new mail of the IMAP mailboxes into the store, stored mail into cases
        Job("poll the IMAP mailboxes", settings.MAIL_POLL_SECONDS, mailboxes_poll),
        Job("turn stored e-mail into cases and comments", 0, mail_process_due),
        Job("count terms of new cases", 5, occurrences_refresh_stats),
        Job("find near-duplicates of new cases", 30, near_duplicates_refresh),
        Job("detect recurring clusters", 300, recurring_detect),
        Job("requeue stalled log parses", 600, log_sources_requeue_stalled),
        Job("close quiet resolved cases", 300, close_quiet_resolved_cases),
        Job("send the daily notification digests", 900, digests_send),
        # the development side: stored hooks, deployments and pull requests, then Azure DevOps
        Job("process service hooks, deployments and pull requests", 0, process_pending),
        Job("reconcile Azure DevOps (changes since the watermark)", 120, reconcile_all),
        Job("keep SLA clocks current; act on warnings and breaches", 15, sla_tick),
        Job("keep the support report's daily rollup current", 15, rollup_tick),
    ]
