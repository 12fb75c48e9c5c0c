"""casebridge search QUERY [--json] [--limit N] --as USER: the global search from the shell."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError, CommandParser

from casebridge.core.cli import Options, actor_from, add_actor_argument, print_json
from casebridge.web.api import search_out

MAX_QUERY = 200


class Command(BaseCommand):
    help = (
        "Search as a user sees it: a key (CB-12, BUG-7, KR-3, INC-2) shows that object, words "
        "list the cases, work items and known fixes the user may see, best first."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("query", nargs="+", help="a key or words")
        parser.add_argument("--limit", type=int, default=20, help="at most this many (1-60)")
        parser.add_argument("--json", action="store_true", help="print the API's answer as JSON")
        add_actor_argument(parser)

    def handle(self, *args: object, **raw: object) -> None:
        options = Options(raw)
        words = options["query"]
        text = " ".join(str(w) for w in words).strip() if isinstance(words, list) else ""
        if not text:
            raise CommandError("QUERY: say what to search for.", returncode=2)
        if len(text) > MAX_QUERY:
            raise CommandError(f"QUERY: at most {MAX_QUERY} characters.", returncode=2)
        limit = options.number("limit")
        if not 1 <= limit <= 60:
            raise CommandError("--limit: between 1 and 60.", returncode=2)
        actor = actor_from(options)
        result = search_out(actor, text, limit)
        if options.flag("json"):
            print_json(result.dict())
            return
        if result.match is not None:
            m = result.match
            self.stdout.write(f"{m.key}  {m.kind}  {m.detail}  {m.title}\n{m.url}")
            return
        if not result.items:
            self.stdout.write(f"nothing found for '{text}'")
        for hit in result.items:
            self.stdout.write(f"{hit.key:<9} {hit.kind:<11} {hit.detail:<20} {hit.title}")
