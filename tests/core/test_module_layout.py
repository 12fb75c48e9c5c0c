"""Every module of an app is a standard one or is listed, with what it holds, in architecture.md."""

from __future__ import annotations

import re
from pathlib import Path

import casebridge

SRC = Path(casebridge.__file__).parent
DOC = SRC.parent.parent / "docs" / "architecture.md"
STANDARD = {
    "models", "services", "selectors", "schemas", "api", "views", "forms", "urls", "admin",
    "apps", "tasks", "workflow", "policies", "events", "subscribers",
    "management", "templatetags", "templates", "static", "migrations",
}  # fmt: skip


def listed() -> dict[str, set[str]]:
    """The "other modules" column of the table in "Modules inside an app", by app."""
    text = DOC.read_text(encoding="utf-8").split("### Modules inside an app", 1)[1]
    rows = re.findall(r"^\| `([\w.]+)` \| ([^|]+) \|", text, re.MULTILINE)
    return {app: set(re.findall(r"`(\w+)`", modules)) for app, modules in rows}


def present(package: Path) -> set[str]:
    names = set()
    for child in package.iterdir():
        if child.name.startswith(("_", ".")):
            continue
        if child.suffix == ".py" or (child.is_dir() and (child / "__init__.py").exists()):
            names.add(child.stem)
        elif child.is_dir() and child.name in STANDARD:
            names.add(child.name)
    return names


def test_every_other_module_is_listed_and_every_listed_one_exists() -> None:
    table = listed()
    apps = {p.name for p in SRC.iterdir() if (p / "__init__.py").exists()}
    apps |= {
        f"integrations.{p.name}"
        for p in (SRC / "integrations").iterdir()
        if (p / "__init__.py").exists() and p.name not in STANDARD
    }
    unlisted, missing = {}, {}
    for app in sorted(apps):
        found = present(SRC.joinpath(*app.split(".")))
        extra = found - STANDARD - table.get(app, set())
        if extra:
            unlisted[app] = sorted(extra)
        gone = table.get(app, set()) - found
        if gone:
            missing[app] = sorted(gone)
    assert not unlisted, f"List these in docs/architecture.md, 'Modules inside an app': {unlisted}"
    assert not missing, f"docs/architecture.md lists modules that do not exist: {missing}"
