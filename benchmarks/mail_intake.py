"""Benchmark: e-mail in, from an IMAP mailbox to cases and comments.

    .venv/bin/python benchmarks/mail_intake.py [--messages 1000] [--database-url URL] [--json]

A real Dovecot on loopback (the test suite's ``tests/servers/imap.py``; Debian's
``dovecot-imapd``) holds ``--messages`` messages, APPENDed before the clock starts:

* 70% new messages from 200 known customers (each a new case),
* 25% replies to one of those (``In-Reply-To`` the customer's earlier message: a comment),
* 3% automatic replies (``Auto-Submitted``: nothing),
* 2% the same message delivered a second time (the same Message-ID: nothing more).

Measured: what the worker does, in one process: poll the mailbox (fetch, store, flag) and
process the stored messages, until every message is stored and processed. Checked: every
message stored once, none failed or pending, exactly one case per new message and one comment
per reply (none lost, none duplicated). Target: 1,000 messages in at most 60 s.

The floor, in the same run and on the same database: the same cases and comments made directly
through ``case_create`` and ``comment_add`` (no mail): what e-mail in adds is the ratio.
PostgreSQL: ``--database-url postgres://postgres@127.0.0.1:5432/casebridge_bench`` (a database
whose name contains ``bench``; it is dropped and created again).
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from email.message import EmailMessage
from typing import Any

from _common import ROOT, emit, machine, setup_django

sys.path.insert(0, str(ROOT))

CUSTOMERS = 200
TARGET_SECONDS = 60.0


def seed() -> dict[str, Any]:
    from casebridge.accounts.services import organisation_create, user_create
    from casebridge.catalog.models import Service

    org = organisation_create(actor=None, name="Acme Retail", slug="acme")
    Service.objects.create(name="Payments", slug="payments")
    customers = [
        user_create(
            actor=None,
            username=f"cust{n}",
            email=f"cust{n}@acme.example",
            roles=["reporter"],
            organisation=org,
        )
        for n in range(CUSTOMERS)
    ]
    return {"org": org, "customers": customers}


def _message(n: int, sender: str, subject: str, body: str, **headers: str) -> bytes:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = "support@casebridge.localhost"
    message["Subject"] = subject
    message["Message-ID"] = f"<bench-{n}@acme.example>"
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    message.set_content(body)
    return message.as_bytes()


def plan(count: int, rng: random.Random) -> tuple[list[bytes], dict[str, int]]:
    """The messages in mailbox order, and what they must become."""
    raws: list[bytes] = []
    new: list[tuple[int, str]] = []  # (message number, sender) of new-case messages
    expected = {"cases": 0, "comments": 0, "ignored": 0, "redeliveries": 0, "stored": 0}
    for n in range(count):
        roll = rng.random()
        if new and roll < 0.02:
            raws.append(raws[rng.randrange(len(raws))])  # the same message again
            expected["redeliveries"] += 1
            continue
        expected["stored"] += 1
        if new and roll < 0.05:
            sender = f"cust{rng.randrange(CUSTOMERS)}@acme.example"
            raws.append(
                _message(n, sender, "Out of office", "I am away.", Auto_Submitted="auto-replied")
            )
            expected["ignored"] += 1
        elif new and roll < 0.30:
            first, sender = new[rng.randrange(len(new))]
            body = f"More detail {n}: it fails again.\n\nOn Mon, Support wrote:\n> Thanks\n"
            ref = f"<bench-{first}@acme.example>"
            raws.append(_message(n, sender, "Re: problem", body, In_Reply_To=ref, References=ref))
            expected["comments"] += 1
        else:
            sender = f"cust{rng.randrange(CUSTOMERS)}@acme.example"
            subject = f"Checkout fails for order {n}"
            raws.append(_message(n, sender, subject, f"Order {n} fails with a 502 at checkout."))
            new.append((n, sender))
            expected["cases"] += 1
    return raws, expected


def append_all(server: Any, raws: list[bytes]) -> None:
    import imaplib

    with server.connect() as imap:
        for raw in raws:
            typ, data = imap.append("INBOX", None, imaplib.Time2Internaldate(time.time()), raw)
            assert typ == "OK", data


def run_intake(mailbox: Any) -> dict[str, float]:
    from casebridge.integrations.mailin.imap import mailbox_poll
    from casebridge.integrations.mailin.intake import mail_process_due
    from casebridge.integrations.mailin.models import Mailbox

    poll = process = 0.0
    started = time.perf_counter()
    while True:
        t0 = time.perf_counter()
        stored = mailbox_poll(Mailbox.objects.get(pk=mailbox.pk)).fetched
        t1 = time.perf_counter()
        done = mail_process_due(limit=200)
        t2 = time.perf_counter()
        poll, process = poll + t1 - t0, process + t2 - t1
        if not stored and not done:
            break
    return {
        "seconds": round(time.perf_counter() - started, 3),
        "poll_seconds": round(poll, 3),
        "process_seconds": round(process, 3),
    }


def check(expected: dict[str, int]) -> dict[str, Any]:
    from django.db.models import Count

    from casebridge.cases.models import Case, Comment, Source
    from casebridge.integrations.mailin.models import InboundMail, MailState, Outcome

    states = dict(InboundMail.objects.values_list("state").annotate(n=Count("id")))
    got = {
        "stored": InboundMail.objects.count(),
        "cases": Case.objects.filter(source=Source.EMAIL).count(),
        "comments": Comment.objects.filter(case__source=Source.EMAIL).count(),
        "ignored": InboundMail.objects.filter(outcome=Outcome.AUTO_REPLY).count(),
        "pending": states.get(MailState.PENDING, 0),
        "failed": states.get(MailState.FAILED, 0),
        "duplicate_titles": Case.objects.filter(source=Source.EMAIL)
        .values("title")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
        .count(),
    }
    ok = all(got[k] == expected[k] for k in ("stored", "cases", "comments", "ignored"))
    ok = ok and got["pending"] == got["failed"] == got["duplicate_titles"] == 0
    return {"got": got, "complete": ok}


def floor(expected: dict[str, int], customers: list[Any]) -> float:
    """The same cases and comments through the services directly."""
    from casebridge.cases.models import Case
    from casebridge.cases.services import CaseInput, case_create, comment_add
    from casebridge.catalog.models import Service

    service = Service.objects.get(slug="payments")
    started = time.perf_counter()
    made: list[Case] = []
    for n in range(expected["cases"]):
        who = customers[n % len(customers)]
        data = CaseInput(
            title=f"Floor: checkout fails for order {n}",
            description=f"Order {n} fails with a 502 at checkout.",
            service=service,
            environment="production",
        )
        made.append(case_create(actor=who, data=data, channel="api"))
    for n in range(expected["comments"]):
        case = made[n % len(made)]
        comment_add(actor=case.reporter, case=case, body=f"More detail {n}: it fails again.")
    return round(time.perf_counter() - started, 3)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=1000)
    parser.add_argument("--database-url", default="")
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    setup_django(args.database_url or None)

    from tests.servers._support import private_dir
    from tests.servers.imap import DIR_PREFIX, ImapServer

    from casebridge.accounts.models import User
    from casebridge.integrations.mailin.services import mailbox_add

    seed()
    raws, expected = plan(args.messages, random.Random(args.seed))
    with private_dir(DIR_PREFIX) as folder, ImapServer(folder) as server:
        append_all(server, raws)
        mailbox = mailbox_add(
            actor=None,
            name="bench",
            imap_url=f"imap://{server.user}@{server.host}:{server.port}/INBOX",
            password=server.password,
            service="payments",
        )
        timing = run_intake(mailbox)
    verdict = check(expected)
    customers = list(
        User.objects.filter(username__startswith="cust").prefetch_related("role_grants")
    )
    floor_seconds = floor(expected, customers)
    result = {
        "benchmark": "mail_intake",
        "machine": machine(),
        "database": "postgresql" if args.database_url else "sqlite",
        "messages": args.messages,
        "expected": expected,
        **timing,
        "messages_per_second": round(args.messages / timing["seconds"], 1),
        "floor_seconds": floor_seconds,
        "ratio_to_floor": round(timing["seconds"] / floor_seconds, 2) if floor_seconds else None,
        "target_seconds": TARGET_SECONDS * args.messages / 1000,
        "load_average_1m": round(os.getloadavg()[0], 2),
        **verdict,
    }
    result["pass"] = verdict["complete"] and timing["seconds"] <= result["target_seconds"]
    emit(result, args.json, render)


def render(r: dict[str, Any]) -> str:
    return (
        f"{r['messages']} messages ({r['database']}): {r['seconds']} s "
        f"(poll {r['poll_seconds']} s, process {r['process_seconds']} s), "
        f"{r['messages_per_second']}/s; floor {r['floor_seconds']} s (x{r['ratio_to_floor']}); "
        f"target {r['target_seconds']:g} s; complete {r['complete']} {r['got']}; "
        f"load {r['load_average_1m']}; {'PASS' if r['pass'] else 'FAIL'}"
    )


if __name__ == "__main__":
    main()
