"""The dependency direction of architecture.md, checked by walking every import.

core ← store ← services ← (sync, interchange, reports) ← ui, cli.
PySide6 only in ui/; peewee never in ui/ (nor in core/).
"""

import ast
from pathlib import Path

import ledgerdesk

PACKAGE = Path(ledgerdesk.__file__).parent

# package -> packages of ours it may import
ALLOWED = {
    "core": {"core"},
    "store": {"core", "store"},
    "services": {"core", "store", "services"},
    "sync": {"core", "store", "services", "sync"},
    "interchange": {"core", "store", "services", "interchange"},
    "reports": {"core", "store", "services", "reports"},
    "ui": {"core", "services", "sync", "interchange", "reports", "ui"},
}


def imports_of(path: Path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module


def layer_of(path: Path) -> str | None:
    rel = path.relative_to(PACKAGE).parts
    return rel[0] if len(rel) > 1 else None


def python_files():
    return [p for p in PACKAGE.rglob("*.py") if "resources" not in p.parts]


def test_layers_import_only_downwards():
    bad = []
    for path in python_files():
        layer = layer_of(path)
        if layer not in ALLOWED:
            continue
        for name in imports_of(path):
            parts = name.split(".")
            if parts[0] == "ledgerdesk" and len(parts) > 1 and parts[1] in ALLOWED:
                if parts[1] not in ALLOWED[layer]:
                    bad.append(f"{path.relative_to(PACKAGE)} imports {name}")
    assert not bad, bad


def test_qt_only_in_ui_and_peewee_never_in_ui_or_core():
    bad = []
    for path in python_files():
        layer = layer_of(path)
        for name in imports_of(path):
            root = name.split(".")[0]
            if root in ("PySide6", "shiboken6") and layer != "ui":
                bad.append(f"{path.relative_to(PACKAGE)} imports {name}")
            if root == "peewee" and layer in ("ui", "core"):
                bad.append(f"{path.relative_to(PACKAGE)} imports {name}")
            if layer == "ui" and name.startswith("ledgerdesk.store"):
                bad.append(f"{path.relative_to(PACKAGE)} imports {name}")
    assert not bad, bad


def test_the_walker_sees_real_imports():
    """Guard against a walker that silently finds nothing."""
    names = set(imports_of(PACKAGE / "store" / "database.py"))
    assert "peewee" in names and "ledgerdesk.store" in names
