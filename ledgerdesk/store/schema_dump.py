"""Writes db/schema.sql: the current schema, for review (`python -m ledgerdesk.store.schema_dump`)."""

from __future__ import annotations

import sqlite3

from ledgerdesk.core.paths import migrations_dir
from ledgerdesk.store.migrations import latest_version, migrate


def dump_schema() -> str:
    """The schema an empty ledger has after every migration, as SQL text."""
    conn = sqlite3.connect(":memory:", isolation_level=None)
    migrate(conn)
    rows = conn.execute(
        "SELECT type, name, sql FROM sqlite_master WHERE sql IS NOT NULL "
        "ORDER BY CASE type WHEN 'table' THEN 0 WHEN 'index' THEN 1 ELSE 2 END, tbl_name, name").fetchall()
    conn.close()
    header = (f"-- LedgerDesk schema version {latest_version()} (generated from db/migrations; do not edit).\n"
              "-- Regenerate: python -m ledgerdesk.store.schema_dump\n\n")
    return header + "".join(f"{sql};\n\n" for _, _, sql in rows)


if __name__ == "__main__":
    (migrations_dir().parent / "schema.sql").write_text(dump_schema(), encoding="utf-8")
