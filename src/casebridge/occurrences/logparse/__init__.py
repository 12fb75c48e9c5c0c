"""Streaming log-template parser (pure Python, standard library only).

Raw log lines go in; for each line the parser returns the *template* of its message, with
the variable parts (numbers, ids, hosts, paths, user names...) replaced by ``<*>``, and a
stable ``template_id``, so the same event with other values has one signature. Headers made of
fields are learnt (:mod:`.header`); structured lines (JSON, logfmt, RFC 5424 syslog, Python's
default format, tab-separated exports) and container envelopes (CRI, Docker json-file) are
recognised by their shape (:mod:`.formats`). Fixtures of the formats support teams paste every
day are in ``tests/occurrences/fixtures/logs``.

>>> parser = LogParser()
>>> parser.prime(["2024-01-02 10:00:00 INFO worker: job 17 done"])
>>> parser.add("2024-01-02 10:00:01 INFO worker: job 18 done").template
'job <*> done'
"""

from .header import HeaderModel, learn_header
from .parser import LogParser, ParsedLine, Template, parse_file, parse_stream
from .templates import template_id

__all__ = [
    "HeaderModel",
    "LogParser",
    "ParsedLine",
    "Template",
    "learn_header",
    "parse_file",
    "parse_stream",
    "template_id",
]
