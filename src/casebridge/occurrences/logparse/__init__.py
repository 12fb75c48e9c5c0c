"""Streaming log-template parser (pure Python, standard library only).

Raw log lines go in; for each line the parser returns the *template* of its message, with
the variable parts (numbers, ids, hosts, paths, user names...) replaced by ``<*>``, and a
stable ``template_id``, so the same event with other values has one signature.

>>> parser = LogParser()
>>> parser.prime(["2024-01-02 10:00:00 INFO worker: job 17 done"])
>>> parser.add("2024-01-02 10:00:01 INFO worker: job 18 done").template
'job <*> done'
"""

from .clustering import template_id
from .header import HeaderModel, learn_header
from .parser import LogParser, ParsedLine, Template, parse_file, parse_stream

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
