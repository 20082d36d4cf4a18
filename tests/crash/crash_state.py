"""What "the state of a ledger file" is for the crash harness: a fingerprint of everything in it.

Used by the child programs (``workers.py``, to record reference states) and by
the parent (``harness.py``, to read a file after a SIGKILL), so both compute it
the same way, on a plain ``sqlite3`` connection, standard library only.

The fingerprint covers the schema version, the schema itself (tables, indexes,
triggers: a bulk import drops and recreates guard triggers and indexes inside
its transaction, so a half-done one would show here), and the full content of
every table — synced rows, the version log, the local caches (problem_state,
the search index and its FTS5 shadow tables, sync bookkeeping) — in a canonical
order. Left out: SQLite's own tables and the meta keys that depend on where and
by which process a file was opened (the site id is re-settled when a copied
file is opened at a new path), see :data:`VOLATILE_META`.
"""

from __future__ import annotations

import hashlib
import sqlite3

# Meta keys that legitimately differ between two copies holding the same data.
VOLATILE_META = frozenset({"site_id", "site_anchor", "site_history"})


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _tables(conn: sqlite3.Connection) -> list[str]:
    return [r[0] for r in conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
        "AND sql NOT LIKE 'CREATE VIRTUAL TABLE%' ORDER BY name")]


def table_hashes(conn: sqlite3.Connection) -> dict[str, str]:
    """SHA-256 of each table's rows as a sorted multiset (order of insertion does not matter)."""
    out = {}
    for table in _tables(conn):
        cols = [c[1] for c in conn.execute(f"PRAGMA table_info({_quote(table)})")]
        where = ""
        params: tuple = ()
        if table == "meta":
            where = f" WHERE key NOT IN ({', '.join('?' * len(VOLATILE_META))})"
            params = tuple(sorted(VOLATILE_META))
        order = ", ".join(str(i) for i in range(1, len(cols) + 1))
        h = hashlib.sha256()
        cursor = conn.execute(f"SELECT * FROM {_quote(table)}{where} ORDER BY {order}", params)
        n = 0
        while batch := cursor.fetchmany(2000):
            n += len(batch)
            h.update(repr(batch).encode("utf-8"))
        out[table] = f"{n}:{h.hexdigest()[:16]}"
    return out


def schema_hash(conn: sqlite3.Connection) -> str:
    rows = conn.execute(
        "SELECT type, name, tbl_name, coalesce(sql, '') FROM sqlite_master "
        "WHERE name NOT LIKE 'sqlite_%' ORDER BY type, name").fetchall()
    return hashlib.sha256(repr(rows).encode("utf-8")).hexdigest()[:16]


def fingerprint(conn: sqlite3.Connection) -> dict:
    """The state of the database behind ``conn`` (autocommit connection, no open transaction).

    Returns ``{"key": <one string naming the whole state>, "user_version", "versions", "schema", "tables"}``.
    Reads in one snapshot.
    """
    conn.execute("BEGIN")  # deferred: one consistent snapshot for all the reads
    try:
        user_version = conn.execute("PRAGMA user_version").fetchone()[0]
        versions = conn.execute("SELECT count(*) FROM version").fetchone()[0] if _has(conn, "version") else 0
        schema = schema_hash(conn)
        tables = table_hashes(conn)
    finally:
        conn.execute("ROLLBACK")
    whole = hashlib.sha256(repr((user_version, schema, sorted(tables.items()))).encode()).hexdigest()[:20]
    return {"key": f"v{user_version}/n{versions}/{whole}", "user_version": user_version, "versions": versions,
            "schema": schema, "tables": tables}


def _has(conn: sqlite3.Connection, table: str) -> bool:
    return conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)).fetchone() is not None


def file_fingerprint(path) -> dict:
    """Open ``path`` with plain sqlite3 (WAL recovery happens here) and fingerprint it."""
    conn = sqlite3.connect(str(path), isolation_level=None)
    try:
        return fingerprint(conn)
    finally:
        conn.close()


def integrity(conn: sqlite3.Connection) -> list[str]:
    """PRAGMA integrity_check's lines (["ok"] when sound)."""
    return [r[0] for r in conn.execute("PRAGMA integrity_check").fetchall()]


def differing_tables(a: dict, b: dict) -> list[str]:
    """Tables whose content differs between two fingerprints (for messages)."""
    names = set(a["tables"]) | set(b["tables"])
    return sorted(n for n in names if a["tables"].get(n) != b["tables"].get(n))
