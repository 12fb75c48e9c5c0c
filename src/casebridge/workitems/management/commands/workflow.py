"""casebridge workflow show NAME [--format text|mermaid]; casebridge workflow docs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from casebridge.cases.workflow import CASE_WORKFLOW
from casebridge.core.cli import Options
from casebridge.incidents.workflow import INCIDENT_WORKFLOW
from casebridge.workflows.engine import Workflow
from casebridge.workflows.render import as_mermaid, as_text, workflows_markdown
from casebridge.workitems.definitions import WORKFLOWS

#: Every workflow by name; their subjects differ (a case, a work item, an incident).
ALL: dict[str, Workflow[Any]] = {"case": CASE_WORKFLOW, **WORKFLOWS, "incident": INCIDENT_WORKFLOW}


class Command(BaseCommand):
    help = "Print a workflow definition, or regenerate docs/workflows.md."
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="verb", required=True)
        show = sub.add_parser("show", help="Print one workflow.")
        show.add_argument("name", choices=list(ALL))
        show.add_argument("--format", choices=["text", "mermaid"], default="text")
        docs = sub.add_parser("docs", help="Write docs/workflows.md from the definitions.")
        docs.add_argument(
            "--output", default=str(Path(settings.BASE_DIR) / "docs" / "workflows.md")
        )

    def handle(self, *args: object, **options: object) -> None:
        given = Options(options)
        if given.text("verb") == "show":
            workflow = ALL[given.text("name")]
            render = as_mermaid if given.text("format") == "mermaid" else as_text
            self.stdout.write(render(workflow))
            return
        output = given.text("output")
        Path(output).write_text(workflows_markdown(ALL), encoding="utf-8")
        self.stdout.write(f"wrote {output}")
