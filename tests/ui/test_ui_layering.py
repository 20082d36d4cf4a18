"""ui/ talks to services only: no peewee, no store models (architecture.md, dependency direction)."""

import ast
from pathlib import Path

import ledgerdesk.ui

FORBIDDEN = ("peewee", "playhouse", "ledgerdesk.store")


def imported_modules(path: Path):
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module


def test_ui_never_imports_the_store_or_peewee():
    ui_dir = Path(ledgerdesk.ui.__file__).parent
    offenders = {
        f"{path.relative_to(ui_dir)}: {name}"
        for path in ui_dir.rglob("*.py")
        for name in imported_modules(path)
        if any(name == bad or name.startswith(bad + ".") for bad in FORBIDDEN)
    }
    assert not offenders
