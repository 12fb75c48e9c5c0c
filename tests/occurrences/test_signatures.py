"""Log signatures: attachments and pasted excerpts become signatures and sightings, through the
background task, idempotently, with progress and bounded memory."""

from __future__ import annotations

import io
import random
import tracemalloc
from typing import Any

import pytest
from django.core.files.base import ContentFile
from tests import factories

from casebridge.cases.attachments import attachment_add
from casebridge.cases.services import case_transition, case_update
from casebridge.core import events
from casebridge.knowledge.services import KnownResolutionInput, known_resolution_create
from casebridge.occurrences.events import LogSourceQueued
from casebridge.occurrences.logparse import LogParser, parse_stream
from casebridge.occurrences.logparse.digest import LogDigest, digest_text, iter_lines, log_lines_of
from casebridge.occurrences.models import (
    Document,
    LogSource,
    ParseState,
    Signature,
    SignatureSighting,
    SourceSignature,
)
from casebridge.occurrences.services import (
    log_source_parse,
    log_sources_requeue_stalled,
    occurrences_refresh_stats,
)
from casebridge.occurrences.services import sources as occ_services
from casebridge.occurrences.signatures import signature_ids_for_case

pytestmark = pytest.mark.django_db

PKIX = "PKIX path building failed for host {host} after {ms} ms"
LOG = "\n".join(
    [
        f"2024-05-01 10:00:0{i},123 INFO [pool-1] c.e.Checkout: request {1000 + i} accepted"
        for i in range(6)
    ]
    + [
        f"2024-05-01 10:00:1{i},456 ERROR [pool-2] c.e.Gateway: "
        + PKIX.format(host=f"gw-{i}.example.net", ms=30000 + i)
        for i in range(4)
    ]
    + ["2024-05-01 10:00:20,001 WARN [pool-3] c.e.Pool: pool 7 is 95% full"]
)


def _attach(world: factories.World, case: Any, content: str, name: str = "app.log") -> Any:
    return attachment_add(
        actor=world["l2"], case=case, upload=ContentFile(content.encode()), filename=name
    )


def _parse_all() -> None:
    for source_id in LogSource.objects.filter(state=ParseState.QUEUED).values_list("pk", flat=True):
        log_source_parse(source_id=source_id)


def _pkix_id() -> str:
    return Signature.objects.get(template__startswith="PKIX").pk


def test_a_log_attachment_is_queued_then_parsed_into_signatures(world):
    case = factories.make_case(world, description="Checkout fails.")
    attachment = _attach(world, case, LOG)
    source = LogSource.objects.get(attachment=attachment)
    assert source.state == ParseState.QUEUED and source.bytes_total == attachment.size
    log_source_parse(source_id=source.pk)
    source.refresh_from_db()
    assert source.state == ParseState.DONE
    assert (source.lines, source.bytes_done, source.percent) == (11, attachment.size, 100)
    pkix = Signature.objects.get(template="PKIX path building failed for host <*> after <*>")
    assert (pkix.lines, pkix.level) == (4, "error")
    info = Signature.objects.get(template__startswith="request")
    assert info.level == "info"  # an everyday line, told from a line without a level
    sighting = SignatureSighting.objects.get(signature=pkix, case=case)
    assert (sighting.lines, sighting.notable, sighting.service_id) == (4, True, case.service_id)
    assert not SignatureSighting.objects.get(signature=info, case=case).notable
    pool = Signature.objects.get(template__startswith="pool")
    assert pool.level == "warning"
    # The case's profile now carries its notable signatures: log_signature is a ranking feature.
    doc = Document.objects.get(kind="case", object_id=case.pk)
    assert set(doc.profile["log_signatures"]) == {pkix.pk, pool.pk}
    assert signature_ids_for_case(case) == {pkix.pk, pool.pk}


def test_parsing_twice_does_not_double_counts(world):
    case = factories.make_case(world)
    source = LogSource.objects.get(attachment=_attach(world, case, LOG))
    log_source_parse(source_id=source.pk)
    log_source_parse(source_id=source.pk)  # a task run twice: left as it is
    log_source_parse(source_id=source.pk, force=True)  # re-processed: replaced, not added
    pkix = Signature.objects.get(pk=_pkix_id())
    assert pkix.lines == 4
    assert SignatureSighting.objects.get(signature=pkix, case=case).lines == 4
    assert SourceSignature.objects.filter(source=source, signature=pkix).count() == 1
    assert LogSource.objects.get(pk=source.pk).attempts == 2


def test_two_logs_of_one_case_add_up_and_other_cases_count_apart(world):
    first, second = factories.make_case(world), factories.make_case(world, org="b")
    _attach(world, first, LOG, "a.log")
    _attach(world, first, LOG, "b.log")
    _attach(world, second, LOG, "c.log")
    _parse_all()
    pkix = _pkix_id()
    assert Signature.objects.get(pk=pkix).lines == 12
    assert SignatureSighting.objects.get(signature_id=pkix, case=first).lines == 8
    assert SignatureSighting.objects.filter(signature_id=pkix).count() == 2


def test_the_task_is_enqueued_after_commit_and_runs_on_the_immediate_backend(
    world, settings, django_capture_on_commit_callbacks
):
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
    case = factories.make_case(world)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        attachment = _attach(world, case, LOG)
    source = LogSource.objects.get(attachment=attachment)
    assert source.state == ParseState.QUEUED  # nothing ran inside the transaction
    for callback in callbacks:
        callback()
    assert LogSource.objects.get(pk=source.pk).state == ParseState.DONE
    assert SignatureSighting.objects.filter(case=case).exists()


def test_files_that_are_not_logs_are_not_parsed(world):
    case = factories.make_case(world)
    _attach(world, case, "\x89PNG not really", "shot.png")
    assert not LogSource.objects.exists()


def test_progress_is_saved_while_the_file_is_read(world, monkeypatch):
    monkeypatch.setattr(occ_services, "PROGRESS_EVERY_SECONDS", 0)
    monkeypatch.setattr("casebridge.occurrences.logparse.digest.CHUNK_BYTES", 4096)
    seen: list[int] = []
    update = occ_services._progress

    def spying(source_id: int) -> Any:
        advance = update(source_id)

        def wrapped(count: int) -> None:
            advance(count)
            seen.append(LogSource.objects.get(pk=source_id).bytes_done)

        return wrapped

    monkeypatch.setattr(occ_services, "_progress", spying)
    case = factories.make_case(world)
    content = (LOG + "\n") * 200
    source = LogSource.objects.get(attachment=_attach(world, case, content))
    monkeypatch.setattr(
        "casebridge.occurrences.services.sources.iter_lines",
        lambda stream, progress: iter_lines(stream, progress, chunk_bytes=4096),
    )
    log_source_parse(source_id=source.pk)
    assert len(seen) > 5
    assert seen == sorted(seen) and 0 < seen[0] < seen[-1] <= len(content)
    assert LogSource.objects.get(pk=source.pk).percent == 100


def test_a_broken_file_fails_visibly_and_a_lost_task_is_enqueued_again(world):
    case = factories.make_case(world)
    attachment = _attach(world, case, LOG)
    attachment.file.delete(save=False)
    source = LogSource.objects.get(attachment=attachment)
    log_source_parse(source_id=source.pk)
    source.refresh_from_db()
    assert source.state == ParseState.FAILED and source.error
    LogSource.objects.filter(pk=source.pk).update(state=ParseState.QUEUED)
    with events.recorded() as published:
        assert log_sources_requeue_stalled() == 0  # queued a moment ago: not lost
    assert published == []
    import time_machine

    with time_machine.travel("2099-01-01T00:00Z"), events.recorded() as published:
        assert log_sources_requeue_stalled() == 1
    # the parse task is enqueued by the subscriber of LogSourceQueued, when the change commits
    assert [(type(e), e.source_id) for e in published] == [(LogSourceQueued, source.pk)]


def _regular_log(lines: int) -> bytes:
    from benchmarks.log_memory import _event

    rng = random.Random(7)
    levels = ("INFO", "INFO", "WARN", "ERROR")
    return "".join(
        f"2024-03-01 12:{i // 60 % 60:02d}:{i % 60:02d},{i % 1000:03d} {levels[i % 4]}"
        f" [pool-{i % 8}-thread-{i % 32}] com.example.Component: {_event(rng)}\n"
        for i in range(lines)
    ).encode()


def _peak_of_parse(world: factories.World, content: bytes) -> tuple[int, LogSource]:
    case = factories.make_case(world)
    attachment = attachment_add(
        actor=world["l2"], case=case, upload=ContentFile(content), filename="big.log"
    )
    source = LogSource.objects.get(attachment=attachment)
    tracemalloc.start()
    log_source_parse(source_id=source.pk)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    source.refresh_from_db()
    return peak, source


def test_a_multi_megabyte_log_parses_in_bounded_memory(world):
    """The product path (stream from storage, digest, record) does not grow with the file: a
    quick version of benchmarks/attachment_parse_memory.py (which measures 100 MB)."""
    small, small_source = _peak_of_parse(world, _regular_log(10_000))
    big_log = _regular_log(160_000)
    size = len(big_log)
    assert size > 16_000_000
    big, big_source = _peak_of_parse(world, big_log)
    del big_log
    assert big_source.state == ParseState.DONE and big_source.lines == 160_000
    assert small_source.lines == 10_000
    # Caches fill up to their caps, then stay: 16x the lines, far less than 16x the memory.
    assert big < size / 2, f"peak {big / 1e6:.1f} MB for a {size / 1e6:.1f} MB file"
    assert big < 4 * small, f"16x the lines: {small / 1e6:.1f} -> {big / 1e6:.1f} MB"
    assert 0 < SourceSignature.objects.filter(source=big_source).count() <= 200


def test_iter_lines_cuts_overlong_lines_and_keeps_the_rest():
    data = b"short\r\n" + b"x" * 100 + b"\nafter\nlast"
    stream = io.BytesIO(data)
    got = list(iter_lines(stream, chunk_bytes=16, max_line=40))
    assert got == ["short", "x" * 40, "after", "last"]


def test_digest_keeps_notable_templates_first_and_caps_them():
    events = [
        "job {} started",
        "job {} finished in {} ms",
        "cache hit ratio {}%",
        "user u{} logged in",
    ]
    digest = LogDigest().feed(
        [
            f"2024-01-01 10:00:{i % 60:02d} INFO [main] App: " + events[i % 4].format(i, i * 7)
            for i in range(300)
        ]
        + ["2024-01-01 10:01:00 ERROR [main] App: disk /dev/sda1 is full"]
    )
    found = digest.finish(limit=2)
    assert found[0].template == "disk <*> is full"
    assert found[0].notable and found[0].level == "error"
    assert len(found) == 2 and not found[1].notable and digest.templates > 2


def test_pasted_text_keeps_only_log_lines():
    text = "Customers cannot pay.\n2024-05-01 10:00:01 ERROR PKIX path building failed\nThanks"
    assert log_lines_of(text) == ["2024-05-01 10:00:01 ERROR PKIX path building failed"]
    assert [f.template for f in digest_text(text)] == ["PKIX path building failed"]
    assert digest_text("Nothing technical here.") == []


def test_one_pasted_line_keeps_its_message_whatever_the_header():
    """A header learnt from one line must not swallow the message (a logparse fix)."""
    for line in (
        "ERROR PKIX path building failed for host gw-3.example.net after 30000 ms",
        "May  1 10:00:01 h1 app[1]: PKIX path building failed for host gw-3.example.net after 3 ms",
        "PKIX path building failed for host gw-7.example.net after 1200 ms",
    ):
        parsed = list(parse_stream([line], LogParser()))
        assert parsed[0].template == "PKIX path building failed for host <*> after <*>", line


def test_log_lines_in_the_description_are_signatures_and_edits_replace_them(world):
    line = "2024-05-01 10:00:01 ERROR " + PKIX.format(host="gw-1", ms=5)
    case = factories.make_case(world, description=f"Card payments fail.\n{line}")
    pkix = _pkix_id()
    assert SignatureSighting.objects.get(case=case, signature_id=pkix).notable
    assert Signature.objects.get(pk=pkix).lines == 1
    case_update(actor=world["l2"], case=case, changes={"description": "No log any more."})
    assert not SignatureSighting.objects.filter(case=case).exists()
    assert Signature.objects.get(pk=pkix).lines == 0  # its history stays, its count follows


def test_the_log_excerpt_of_an_escalation_is_a_source(world):
    case = factories.make_case(world, description="Checkout fails, see the log.")
    case_transition(actor=world["l2"], case=case, action="take")
    excerpt = "2024-05-01 10:00:01 ERROR " + PKIX.format(host="gw-1", ms=5)
    case = case_transition(
        actor=world["l2"],
        case=case,
        action="escalate",
        data={
            "category": "bug",
            "docs": {
                "steps_to_reproduce": "Pay by card",
                "expected_result": "Paid",
                "actual_result": "502",
                "log_excerpt": excerpt,
            },
        },
    )
    source = LogSource.objects.get(case=case, kind="escalation")
    assert source.ref == f"escalation:{case.work_item.key}"
    assert SignatureSighting.objects.filter(case=case, signature_id=_pkix_id()).exists()


def test_a_known_fix_carries_signatures_from_typed_lines_and_is_indexed_with_them(world):
    fix = known_resolution_create(
        actor=world["l2"],
        data=KnownResolutionInput(
            title="Reload the gateway trust store",
            symptoms="Card payments fail",
            steps="1. Reload",
            fix_kind="configuration_change",
            log_lines="ERROR PKIX path building failed for host gw-9.example.net after 10 ms",
        ),
    )
    pkix = _pkix_id()
    assert list(fix.signatures.values_list("pk", flat=True)) == [pkix]
    doc = Document.objects.get(kind="known_resolution", object_id=fix.pk)
    assert doc.profile["log_signatures"] == [pkix]


def test_a_case_sharing_only_a_log_signature_is_a_previous_occurrence(world):
    """No shared words: full text alone would not find it; the same error in the logs does."""
    from casebridge.occurrences.selectors import similar_for_case

    earlier = factories.make_case(world, title="Nightly export stopped", description="No file.")
    later = factories.make_case(
        world, title="Wallet top-up impossible", description="Users complain since noon."
    )
    for case in (earlier, later):
        _attach(world, case, LOG)
    _parse_all()
    occurrences_refresh_stats()
    found = similar_for_case(world["l2"], later)
    hit = next(h for h in found.cases if h.key == earlier.key)
    assert _pkix_id() in hit.reasons.shared_log_signatures
