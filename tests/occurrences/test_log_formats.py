"""Header detection on the formats support teams paste every day (pure Python, no Django).

Each fixture of ``fixtures/logs`` was written by hand from its format's documentation (see
``SOURCES.md``); its ``.expected`` file gives, line by line, the template the parser must find
(the message without the header, its variable parts masked) and the level of that template.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from casebridge.occurrences.logparse import LogParser, parse_stream
from casebridge.occurrences.logparse.digest import LogDigest, digest_text

FIXTURES = Path(__file__).parent / "fixtures" / "logs"
NAMES = sorted(path.stem for path in FIXTURES.glob("*.log"))
FORMATS = (
    "syslog_rfc3164",
    "syslog_rfc5424",
    "journald_short",
    "journald_short_iso",
    "windows_event_viewer",
    "windows_get_winevent",
    "windows_cbs",
    "log4j2_default",
    "logback_default",
    "python_logging_default",
    "go_log",
    "zap_json",
    "logrus_json",
    "logrus_text",
    "kubernetes_cri",
    "docker_json",
    "nginx_access",
    "nginx_error",
    "apache_access",
    "apache_error",
)


def _fixture(name: str) -> tuple[list[str], list[tuple[str, str] | None]]:
    lines = (FIXTURES / f"{name}.log").read_text(encoding="utf-8").splitlines()
    expected: list[tuple[str, str] | None] = []
    for row in (FIXTURES / f"{name}.expected").read_text(encoding="utf-8").splitlines():
        level, _, template = row.partition("\t")
        expected.append(None if row == "-" else (level, template))
    assert len(lines) == len(expected), f"{name}: one expected row per log line"
    return lines, expected


def _templates(lines: list[str]) -> list[str]:
    parser = LogParser()
    parsed = list(parse_stream(lines, parser))
    resolved = [parser.resolve(p.template_id) for p in parsed]
    return [t.text if t is not None else p.template for t, p in zip(resolved, parsed, strict=True)]


def test_every_format_asked_for_has_a_fixture_and_a_source() -> None:
    sources = (FIXTURES / "SOURCES.md").read_text(encoding="utf-8")
    assert set(FORMATS) <= set(NAMES)
    for name in NAMES:
        assert f"`{name}.log`" in sources, name


@pytest.mark.parametrize("name", NAMES)
def test_the_message_is_found_and_its_variables_masked(name: str) -> None:
    lines, expected = _fixture(name)
    for line, want, got in zip(lines, expected, _templates(lines), strict=True):
        if want is not None:
            assert got == want[1], line


@pytest.mark.parametrize("name", NAMES)
def test_each_event_has_the_level_of_its_line(name: str) -> None:
    lines, expected = _fixture(name)
    levels = {found.template: found.level or "none" for found in LogDigest().feed(lines).finish()}
    for line, want in zip(lines, expected, strict=True):
        if want is not None:
            assert levels.get(want[1]) == want[0], line


@pytest.mark.parametrize("name", NAMES)
def test_pasted_into_a_description_the_same_signatures_come_out(name: str) -> None:
    """Lines pasted into a case are recognised as log lines and parsed as an attachment is."""
    lines, expected = _fixture(name)
    pasted = {found.template for found in digest_text("\n".join(lines))}
    assert {want[1] for want in expected if want is not None} <= pasted
