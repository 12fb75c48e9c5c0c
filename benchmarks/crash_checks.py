"""The invariants ``crash_drill.py`` checks from the database after the run settles.

* state: every case and work item is in the state its last transition's audit event gives
  (``new`` without one), and each transition starts where the previous one ended;
* audit <-> outbox: every transition audit event has exactly one ``<subject>.transitioned``
  outbox row (the change's own, ``destination`` empty) whose ``audit_event`` is that change's last
  event and whose key, action, from and to are the event's; every ``created`` event of a case or
  work item has its ``<subject>.created`` row; no outbox row names an audit event that is not there;
* acknowledged: every change a client got an answer for is in the audit log with the state the
  answer gave; every acknowledged case exists, once (titles are unique per request);
* keys unique: cases, work items, idempotency keys, outbox idempotency keys;
* tasks: none ``RUNNING`` once the last worker stopped cleanly, none ``READY`` left;
* the engine: SQLite ``PRAGMA integrity_check`` and ``foreign_key_check``; PostgreSQL
  ``bt_index_check`` (amcheck) of every B-tree index of the schema and the foreign keys checked.
"""

from __future__ import annotations

import bisect
import itertools
import time
from collections import Counter, defaultdict
from typing import Any

INITIAL = {"case": "new", "work_item": "new"}


def settle_tasks(worker: Any, seconds: float) -> dict[str, int]:
    """Let a live worker (restarted if the drill's last kill left none) finish every task."""
    from django.db import connections
    from django.tasks import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    if worker.popen is None or worker.popen.poll() is not None:
        worker.start()
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        pending = DBTaskResult.objects.filter(
            status__in=[TaskResultStatus.READY, TaskResultStatus.RUNNING]
        ).count()
        if not pending:
            break
        time.sleep(1)
    connections.close_all()
    return {"waited": round(seconds - max(0.0, deadline - time.monotonic()))}


def _integrity() -> list[str]:
    from django.db import connection, transaction

    problems: list[str] = []
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("PRAGMA integrity_check")
            rows = [r[0] for r in cursor.fetchall()]
            if rows != ["ok"]:
                problems += [f"integrity_check: {r}" for r in rows[:5]]
            cursor.execute("PRAGMA foreign_key_check")
            problems += [f"foreign_key_check: {r}" for r in cursor.fetchall()[:5]]
            return problems
        cursor.execute("CREATE EXTENSION IF NOT EXISTS amcheck")
        cursor.execute(
            "SELECT c.oid::regclass::text FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid"
            " JOIN pg_am a ON a.oid = c.relam JOIN pg_namespace n ON n.oid = c.relnamespace"
            " WHERE a.amname = 'btree' AND n.nspname = 'public'"
        )
        for (index,) in cursor.fetchall():
            try:
                with transaction.atomic():
                    cursor.execute("SELECT bt_index_check(%s::regclass, true)", [index])
            except Exception as error:  # noqa: BLE001 - a corrupt index is a finding, not a crash
                problems.append(f"bt_index_check {index}: {error}")
    try:
        with transaction.atomic():
            connection.check_constraints()
    except Exception as error:  # noqa: BLE001 - a broken foreign key is a finding
        problems.append(f"foreign keys: {error}")
    return problems


def _duplicates(model: Any, *fields: str) -> int:
    from django.db.models import Count

    return model.objects.values(*fields).annotate(n=Count("pk")).filter(n__gt=1).count()


def check_database(
    acks: list[tuple[str, str, str, str]], created: list[tuple[str, str]], settled: dict[str, int]
) -> dict[str, Any]:
    from django.tasks import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    from casebridge.audit.models import AuditEvent
    from casebridge.cases.models import Case
    from casebridge.core.models import IdempotencyKey
    from casebridge.integrations.models import OutboxMessage
    from casebridge.workitems.models import WorkItem

    problems: list[str] = []
    lost: list[str] = []
    states = {("case", k): s for k, s in Case.objects.values_list("key", "state")}
    states |= {("work_item", k): s for k, s in WorkItem.objects.values_list("key", "status")}
    events = list(
        AuditEvent.objects.filter(subject_type__in=INITIAL)
        .order_by("id")
        .values_list("id", "subject_type", "subject_key", "action", "old", "new", "data")
    )
    transitions: dict[tuple[str, str], list[tuple[int, str, str, str]]] = defaultdict(list)
    created_events: Counter[tuple[str, str]] = Counter()
    for pk, subject, key, action, old, new, data in events:
        if isinstance(data, dict) and data.get("transition"):
            transitions[(subject, key)].append((pk, action, old, new))
        elif action == "created":
            created_events[(subject, key)] += 1
    # state equals the last transition; each transition starts where the previous ended
    for subject, state in states.items():
        chain = transitions.get(subject, [])
        expected = chain[-1][3] if chain else INITIAL[subject[0]]
        if state != expected:
            problems.append(f"{subject}: state {state}, last audit event says {expected}")
        for before, after in itertools.pairwise(chain):
            if after[2] != before[3]:
                problems.append(f"{subject}: {after[0]} from {after[2]}, not {before[3]}")
    # audit <-> outbox
    outbox = list(
        OutboxMessage.objects.filter(destination="").values_list("topic", "key", "payload")
    )
    event_ids = [e[0] for e in events]
    linked: Counter[int] = Counter()
    created_rows: Counter[tuple[str, str]] = Counter()
    for topic, key, payload in outbox:
        subject, _, kind = topic.partition(".")
        if subject not in INITIAL:
            continue
        if kind == "created":
            created_rows[(subject, key)] += 1
            continue
        if kind != "transitioned":
            continue
        cause = payload.get("audit_event")
        chain = transitions.get((subject, key), [])
        at = bisect.bisect_right([t[0] for t in chain], cause or -1) - 1
        if cause is None or at < 0 or event_ids[bisect.bisect_left(event_ids, cause)] != cause:
            problems.append(f"outbox {topic} {key}: audit_event {cause} not found")
            continue
        pk, action, old, new = chain[at]
        if (payload.get("action"), payload.get("from"), payload.get("to")) != (action, old, new):
            problems.append(f"outbox {topic} {key}: says {payload}, audit event {pk} says {action}")
        linked[pk] += 1
    for subject, chain in transitions.items():
        for pk, action, _, _ in chain:
            if linked[pk] != 1:
                problems.append(f"{subject}: audit event {pk} ({action}) has {linked[pk]} rows")
    for subject, count in created_events.items():
        if created_rows[subject] != count:
            problems.append(f"{subject}: created {count}x, {created_rows[subject]} outbox rows")
    # every acknowledged change present, once
    done = {
        (subject[0], subject[1], action, new)
        for subject, chain in transitions.items()
        for _, action, _, new in chain
    }
    applied = Counter(
        (subject[0], subject[1], action)
        for subject, chain in transitions.items()
        for _, action, _, _ in chain
    )
    for subject, key, action, state in acks:
        if action == "created":
            if ("case", key) not in states:
                lost.append(f"case {key}")
        elif (subject, key, action, state) not in done:
            lost.append(f"{subject} {key} {action} -> {state}")
    problems += [f"{k} applied {n}x" for k, n in applied.items() if n > 1]
    titles = Counter(Case.objects.values_list("title", flat=True))
    problems += [f"case {t!r} opened {n}x" for t, n in titles.items() if n > 1]
    if len(titles) != len(created):
        problems.append(f"{sum(titles.values())} cases, {len(created)} acknowledged")
    # keys unique
    duplicates = {
        "case keys": _duplicates(Case, "key"),
        "work item keys": _duplicates(WorkItem, "key"),
        "idempotency keys": _duplicates(IdempotencyKey, "scope", "key"),
        "outbox keys": _duplicates(OutboxMessage, "idempotency_key"),
    }
    problems += [f"duplicate {what}: {n}" for what, n in duplicates.items() if n]
    # tasks
    tasks = list(DBTaskResult.objects.values_list("status", "worker_ids"))
    running = sum(1 for status, _ in tasks if status == TaskResultStatus.RUNNING)
    ready = sum(1 for status, _ in tasks if status == TaskResultStatus.READY)
    if running or ready:
        problems.append(f"tasks left: {running} running without a worker, {ready} ready")
    integrity = _integrity()
    problems += integrity
    return {
        "subjects": len(states),
        "audit_events": len(events),
        "outbox_rows": len(outbox),
        "tasks": len(tasks),
        "tasks_failed": sum(1 for status, _ in tasks if status == TaskResultStatus.FAILED),
        "tasks_reclaimed": sum(1 for _, workers in tasks if len(workers or []) > 1),
        "settle_seconds": settled["waited"],
        "integrity": "ok" if not integrity else "FAILED",
        "lost": len(lost),
        "inconsistent": len(problems),
        "problems": (lost + problems)[:20],
    }
