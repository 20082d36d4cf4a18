"""Numbered SQL migrations in db/migrations, tracked in PRAGMA user_version.

Each step is all-or-nothing: its statements, the new user_version and the
refreshed guard triggers commit in one transaction (the calibre
schema_upgrades / sqlite-utils pattern). A database whose user_version is
newer than the newest file here was written by a newer LedgerDesk and is
refused before anything touches it.
"""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from ledgerdesk.core.errors import MigrationError
from ledgerdesk.core.paths import migrations_dir

_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")

# 'LDK1' — marks a SQLite file as a LedgerDesk ledger.
APPLICATION_ID = 0x4C444B31


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    path: Path

    def statements(self) -> list[str]:
        return split_statements(self.path.read_text(encoding="utf-8"))


def ledger_facts(conn) -> tuple[int, int, int]:
    """``(application_id, user_version, tables)`` of an open database: what tells a ledger, and its age."""
    app_id = conn.execute("PRAGMA application_id").fetchone()[0]
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    tables = conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
    return app_id, version, tables


def available(directory: Path | None = None) -> list[Migration]:
    """Every migration file, in order; numbers must run 1, 2, 3 … without gaps."""
    directory = directory or migrations_dir()
    found = []
    for path in sorted(directory.glob("*.sql")):
        m = _NAME.match(path.name)
        if m:
            found.append(Migration(int(m.group(1)), m.group(2), path))
    for expected, mig in enumerate(found, start=1):
        if mig.version != expected:
            raise RuntimeError(f"migration numbering gap at {mig.path.name}")
    return found


def latest_version(directory: Path | None = None) -> int:
    migs = available(directory)
    return migs[-1].version if migs else 0


def split_statements(script: str) -> list[str]:
    """Split a SQL script into complete statements (triggers' BEGIN … END kept whole)."""
    statements, buf = [], []
    for line in script.splitlines(keepends=True):
        buf.append(line)
        candidate = "".join(buf)
        if sqlite3.complete_statement(candidate):
            stmt = candidate.strip()
            if _strip_comments(stmt):
                statements.append(stmt)
            buf = []
    rest = _strip_comments("".join(buf))
    if rest:
        raise ValueError(f"incomplete SQL statement at end of script: {rest[:60]!r}")
    return statements


def _strip_comments(sql: str) -> str:
    return "\n".join(l for l in sql.splitlines() if not l.strip().startswith("--")).strip()


def synced_tables(conn: sqlite3.Connection) -> list[str]:
    """Tables that are materialised from the version log: those with a `vid` column."""
    names = [r[0] for r in conn.execute(
        "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%' ORDER BY name")]
    return [n for n in names if any(c[1] == "vid" for c in conn.execute(f'PRAGMA table_info("{n}")'))]


def synced_table_sql(table: str) -> list[str]:
    """What every synced table gets: guard triggers and an index of its tombstones.

    The triggers refuse writes that do not come with a new version: a row may
    only be inserted, or updated, when its `vid` names a version row of that
    same entity, and an update must move `vid` forward. Rows are never
    physically deleted: a delete is a tombstone version. The partial index of
    tombstones keeps "live rows" counts index-only (total minus tombstones).
    """
    bad_vid = "NOT EXISTS (SELECT 1 FROM version WHERE id = NEW.vid AND entity_id = NEW.id)"
    return [
        f'CREATE TRIGGER IF NOT EXISTS "{table}_guard_insert" BEFORE INSERT ON "{table}" '
        f"WHEN {bad_vid} BEGIN SELECT RAISE(ABORT, 'unversioned write to {table}'); END",
        f'CREATE TRIGGER IF NOT EXISTS "{table}_guard_update" BEFORE UPDATE ON "{table}" '
        f"WHEN NEW.vid IS NULL OR OLD.vid IS NULL OR NEW.vid <= OLD.vid OR NEW.id IS NOT OLD.id OR {bad_vid} "
        f"BEGIN SELECT RAISE(ABORT, 'unversioned write to {table}'); END",
        f'CREATE TRIGGER IF NOT EXISTS "{table}_guard_delete" BEFORE DELETE ON "{table}" '
        f"BEGIN SELECT RAISE(ABORT, 'unversioned delete from {table}'); END",
        f'CREATE INDEX IF NOT EXISTS "{table}_tombstones" ON "{table}" (id) WHERE deleted = 1',
    ]


def migrate(conn: sqlite3.Connection, directory: Path | None = None, *, backup_hook=None) -> list[int]:
    """Bring the database up to the newest migration; returns the versions applied.

    ``conn`` must be in autocommit mode (isolation_level None). ``backup_hook``,
    if given, is called once before the first step is applied.
    """
    current = conn.execute("PRAGMA user_version").fetchone()[0]
    pending = [m for m in available(directory) if m.version > current]
    if pending and backup_hook is not None and current > 0:
        backup_hook(current)
    applied = []
    for mig in pending:
        try:
            conn.execute("BEGIN IMMEDIATE")
            for stmt in mig.statements():
                conn.execute(stmt)
            for table in synced_tables(conn):
                for stmt in synced_table_sql(table):
                    conn.execute(stmt)
            conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
            conn.execute(f"PRAGMA user_version = {mig.version}")
            conn.execute("COMMIT")
        except sqlite3.Error as exc:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise MigrationError(
                f"数据库升级到第 {mig.version} 版失败，已保持原样：{exc}") from exc
        applied.append(mig.version)
    return applied
