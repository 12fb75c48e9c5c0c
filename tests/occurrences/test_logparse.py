"""Tests of the streaming log-template parser and its evaluation (pure Python, no Django)."""

from __future__ import annotations

import hashlib
import random
from collections.abc import Callable
from pathlib import Path

import pytest

from casebridge.occurrences.evaluation import logs as logeval
from casebridge.occurrences.logparse import (
    LogParser,
    clustering,
    learn_header,
    parse_file,
    parse_stream,
    template_id,
)
from casebridge.occurrences.logparse.masking import mask_token

# -- masking ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("token", "masked"),
    [
        ("12345", "<*>"),
        ("-42", "<*>"),
        ("3.14159", "<*>"),
        ("10.0.0.1", "<*>"),
        ("10.0.0.1:8080", "<*>"),
        ("/10.0.0.1:8080", "<*>"),
        ("db-1.example.org:5432", "<*>"),
        ("0xdeadBEEF", "<*>"),
        ("3f2a9c7e8b1d4a60", "<*>"),
        ("550e8400-e29b-41d4-a716-446655440000", "<*>"),
        ("00:1a:2b:3c:4d:5e", "<*>"),
        ("/var/log/app/server.log", "<*>"),
        (r"C:\Temp\report.txt", "<*>"),
        ("(/tmp/x/y)", "(<*>)"),
        ("12:34:56.789", "<*>"),
        ("2024-01-02", "<*>"),
        ("Jul", "<*>"),
        ("64MB", "<*>"),
        ("HTTP/1.1", "<*>"),
        ("ftp://files.example.org:21/data", "ftp://<*>"),
        ("uid=0", "uid=<*>"),
        ("node-17", "node-<*>"),
        ("id_-8475", "id_<*>"),
        ("core.4242", "core.<*>"),
        ("utf8", "utf8"),
        ("http2_init()", "http2_init()"),
        ("ordinary", "ordinary"),
        ("Monitor", "Monitor"),
    ],
)
def test_mask_token(token: str, masked: str) -> None:
    assert mask_token(token) == masked


# -- header detection ---------------------------------------------------------------------

_MESSAGES = [
    "user {user} logged in from 10.0.{n}.{m}",
    "job {n} finished in {m} ms",
    "cache flushed",
    "connection to db-{m}.example.com:5432 lost, retrying in {m} s",
]


def _messages(count: int, seed: int = 7) -> list[str]:
    rng = random.Random(seed)
    users = ["alice", "bob", "carol", "dave", "erin", "frank"]
    return [
        rng.choice(_MESSAGES).format(user=rng.choice(users), n=rng.randint(1, 250), m=i % 9)
        for i in range(count)
    ]


_FORMATS: dict[str, Callable[[int, str], str]] = {
    "iso-thread-level-logger": lambda i, msg: (
        f"2024-01-02T10:00:{i % 60:02d}.123Z [worker-{i % 4}] {['WARN ', 'INFO ', 'ERROR'][i % 3]}"
        f" com.example.Service - {msg}"
    ),
    "syslog": lambda i, msg: (
        f"Mar {1 + i % 9} 10:00:{i % 60:02d} host{i % 3} prog[{100 + i}]: {msg}"
    ),
    "mobile": lambda i, msg: (
        f"03-17 16:13:{i % 60:02d}.811  {1700 + i % 3}  {2395 + i % 7} {'DIWE'[i % 4]} Tag: {msg}"
    ),
    "dashes": lambda i, msg: (
        f"2024-05-01 12:00:{i % 60:02d},123 - app.module - {['INFO', 'DEBUG'][i % 2]} - {msg}"
    ),
    "pipes": lambda i, msg: f"{1700000000 + i}|node{i % 5}|{msg}",
    "epoch-and-flag": lambda i, msg: (
        f"{9000 + i} unit-{i % 7} part.x {1100000000 + i} {i % 2} {msg}"
    ),
    "bracketed": lambda i, msg: f"[Sun Dec 04 04:47:{i % 60:02d} 2005] [notice] {msg}",
    "no-header": lambda i, msg: msg,
}


@pytest.mark.parametrize("name", sorted(_FORMATS))
def test_header_is_found_without_configuration(name: str) -> None:
    render = _FORMATS[name]
    messages = _messages(60)
    lines = [render(i, msg) for i, msg in enumerate(messages)]
    model = learn_header(lines[:50])
    assert [model.split(line) for line in lines] == messages


def test_header_leaves_a_message_on_single_shape_logs() -> None:
    lines = [
        f"127.0.0.{i % 9} - - [10/Oct/2000:13:55:{i % 60:02d} -0700]"
        f' "GET /a/{i}.gif HTTP/1.0" 200 {i}'
        for i in range(40)
    ]
    message = learn_header(lines).split(lines[3])
    assert message == '"GET /a/3.gif HTTP/1.0" 200 3'


def test_line_that_does_not_fit_the_header_is_kept_whole() -> None:
    lines = [f"2024-01-02 10:00:{i:02d} INFO worker: step {i} done" for i in range(30)]
    model = learn_header(lines)
    assert model.split("    at com.example.Worker.run(Worker.java:42)") == (
        "at com.example.Worker.run(Worker.java:42)"
    )


def test_repeated_message_with_name_colon_is_not_taken_for_a_header() -> None:
    lines = [
        f"Receiving block {i} src: /10.0.0.{i % 9}:50010 dest: /10.0.0.1:50010" for i in range(50)
    ]
    assert learn_header(lines).split(lines[7]) == lines[7]


def test_second_format_in_the_stream_is_learnt() -> None:
    messages = _messages(400, seed=5)
    first, second = _FORMATS["bracketed"], _FORMATS["dashes"]
    lines = [first(i, msg) for i, msg in enumerate(messages[:200])]
    lines += [second(i, msg) for i, msg in enumerate(messages[200:])]
    parsed = [result.message for result in parse_stream(lines)]
    assert parsed[:200] == messages[:200]
    assert parsed[-100:] == messages[-100:]


# -- templates ----------------------------------------------------------------------------


def _parse(lines: list[str]) -> tuple[LogParser, list[str]]:
    parser = LogParser()
    ids = [parsed.template_id for parsed in parse_stream(lines, parser)]
    return parser, ids


def test_same_event_with_other_values_has_one_template_id() -> None:
    lines = [
        f"2024-01-02 10:00:{i % 60:02d} INFO net: sent {i * 37} bytes to 10.1.{i % 250}.{i % 7}:"
        f"{1000 + i} in {i % 13}.{i % 10} ms, request {0x5A000000 + i * 7919:x}"
        for i in range(200)
    ]
    parser, ids = _parse(lines)
    assert len(set(ids)) == 1
    template = parser.resolve(ids[0])
    assert template is not None
    assert template.text == "sent <*> bytes to <*> in <*>, request <*>"
    assert template.count == 200


def test_word_parameters_are_learnt_from_enough_distinct_values() -> None:
    users = ["alice", "bob", "carol", "dave", "erin", "frank"]
    lines = [
        f"Mar 3 10:00:{i % 60:02d} host authd[{100 + i}]: Accepted password for {users[i % 6]}"
        f" from 10.0.0.{i % 200} port {2000 + i} proto2"
        for i in range(60)
    ]
    parser, ids = _parse(lines)
    final = {parser.resolve(template_id) for template_id in ids}
    assert len(final) == 1
    only = final.pop()
    assert only is not None
    assert only.text == "Accepted password for <*> from <*> port <*> proto2"


def test_state_words_are_not_merged_into_parameters() -> None:
    states = ["NEW", "RUNNING", "DONE"]
    lines = [
        f"2024-01-02 10:00:{i % 60:02d} INFO task: task {i} moved from {states[i % 3]} to"
        f" {states[(i + 1) % 3]}"
        for i in range(90)
    ]
    parser, ids = _parse(lines)
    texts = {resolved.text for resolved in map(parser.resolve, ids) if resolved is not None}
    assert texts == {
        "task <*> moved from NEW to RUNNING",
        "task <*> moved from RUNNING to DONE",
        "task <*> moved from DONE to NEW",
    }


def test_different_events_have_different_template_ids() -> None:
    lines = [
        "INFO start: service started on port 8080",
        "INFO stop: service stopped after 12 s",
        "INFO start: service started on port 9090",
        "WARN disk: disk usage at 93 percent",
    ]
    parser = LogParser()
    parser.prime(lines)
    ids = [parser.add(line).template_id for line in lines]
    assert ids[0] == ids[2]
    assert len({ids[0], ids[1], ids[3]}) == 3


def test_template_id_is_a_stable_hash_of_the_text() -> None:
    text = "connection from <*> closed"
    expected = hashlib.sha1(text.encode(), usedforsecurity=False).hexdigest()[:16]
    assert template_id(text) == expected
    assert template_id(text) == template_id(str(text))


def test_add_without_prime_learns_the_header_on_the_way() -> None:
    parser = LogParser()
    results = [
        parser.add(f"2024-01-02 10:00:{i % 60:02d} INFO worker: job {i} done") for i in range(80)
    ]
    assert results[-1].message == "job 79 done"
    assert results[-1].template == "job <*> done"


# -- streaming and bounds -----------------------------------------------------------------


def test_parse_file_streams_a_generated_file(tmp_path: Path) -> None:
    path = tmp_path / "app.log"
    messages = _messages(3000, seed=3)
    render = _FORMATS["iso-thread-level-logger"]
    path.write_text("\n".join(render(i, msg) for i, msg in enumerate(messages)) + "\n")
    parser = LogParser()
    count = sum(1 for _ in parse_file(path, parser))
    templates = parser.templates()
    assert count == 3000
    assert sum(template.count for template in templates) == 3000
    assert {template.text for template in templates} == {
        "user <*> logged in from <*>",
        "job <*> finished in <*>",
        "cache flushed",
        "connection to <*> lost, retrying in <*>",
    }


def test_template_table_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(clustering, "MAX_CLUSTERS", 50)
    rng = random.Random(11)
    words = ["".join(rng.choices("abcdefghijklmnop", k=8)) for _ in range(400)]
    lines = [f"{words[i]} {words[(i * 7) % 400]} happened" for i in range(400)]
    parser = LogParser()
    for parsed in parse_stream(lines, parser):
        assert parsed.template
    assert len(parser.templates()) <= 50


def test_overlong_line_is_clustered_on_its_start() -> None:
    parser = LogParser()
    parser.prime(["2024-01-02 10:00:00 INFO app: start"])
    line = "2024-01-02 10:00:01 INFO app: dump " + " ".join(["word"] * 50_000)
    parsed = parser.add(line)
    assert parsed.message.endswith("word")
    assert parsed.template.startswith("dump word") and parsed.template.endswith(" <*>")
    assert len(parsed.template) < 1_000


# -- evaluation ---------------------------------------------------------------------------


def test_grouping_accuracy_counts_exactly_matching_groups() -> None:
    truth = ["A", "A", "B", "B", "C"]
    predicted = ["x", "x", "y", "z", "z"]
    # Group A is exact (2 lines); B is split and C shares its group with a B line.
    assert logeval.grouping_accuracy(predicted, truth) == pytest.approx(2 / 5)
    assert logeval.grouping_accuracy(["p", "p", "q", "q", "r"], truth) == 1.0


def test_parsing_accuracy_normalises_wildcards() -> None:
    truth = ["<*>:<*> open through <*>", "job 42 done in <*> ms", "took <*> ms", "a <*>-<*> b"]
    predicted = ["<*> open through <*>", "job <*> done in <*> ms", "took <*> <*> ms", "a <*> b"]
    # "<*>:<*>" collapses; digits count as values; adjacent wildcard runs collapse.
    assert logeval.parsing_accuracy(predicted, truth) == 1.0
    assert logeval.parsing_accuracy(["user admin logged in"], ["user <*> logged in"]) == 0.0


@pytest.mark.parametrize(
    ("template", "normalised"),
    [
        ("a  b ", "a b"),
        ("size 42 bytes", "size <*> bytes"),
        ("id_<*> done", "<*> done"),
        ("from <*>.<*>.<*> to x", "from <*> to x"),
        ('say "<*>" now', "say <*> now"),
        ("value=true", "value=true"),
    ],
)
def test_normalise_template(template: str, normalised: str) -> None:
    assert logeval.normalise_template(template) == normalised


def test_evaluate_logs_discovers_systems_and_reports(tmp_path: Path) -> None:
    for system, render in (("alpha", _FORMATS["syslog"]), ("beta", _FORMATS["pipes"])):
        folder = tmp_path / system
        folder.mkdir()
        messages = _messages(40, seed=len(system))
        lines = [render(i, msg) for i, msg in enumerate(messages)]
        (folder / f"{system}_2k.log").write_text("\n".join(lines) + "\n")
        rows = ["LineId,Content,EventId,EventTemplate"]
        for i, msg in enumerate(messages, start=1):
            kind = _MESSAGES.index(next(m for m in _MESSAGES if m.split()[0] == msg.split()[0]))
            rows.append(f'{i},"{msg}",E{kind},T{kind}')
        (folder / f"{system}_2k.log_structured_corrected.csv").write_text("\n".join(rows) + "\n")
    result = logeval.evaluate_logs(tmp_path, repeats=1)
    assert sorted(result["systems"]) == ["alpha", "beta"]
    for runs in (*result["systems"].values(), result["average"]):
        assert set(runs) == {"ours_raw", "ours_content", "drain3_content"}
        for scores in runs.values():
            assert set(scores) == {"ga", "pa", "lines_per_s"}
    assert result["systems"]["alpha"]["ours_raw"]["ga"] == 1.0
    report = logeval.format_logs_report(result)
    assert "alpha" in report and "average" in report
