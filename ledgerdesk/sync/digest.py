"""A fingerprint of the visible data: equal on replicas that have converged.

The SHA-256 of every live row of every synced table, in table and id order,
without the local columns (``vid`` is a local version number). Replicas that
hold the same set of versions show the same rows, so they print the same
digest whatever order their files arrived in (sync.md).
"""

from __future__ import annotations

import hashlib

from ledgerdesk.store.migrations import synced_tables


def ledger_digest(session) -> str:
    """Hex SHA-256 of the visible data of the ledger of ``session``."""
    db = session.ledger.db
    h = hashlib.sha256()
    with session.reading():
        conn = db.connection()
        for table in synced_tables(conn):
            cols = [c[1] for c in conn.execute(f'PRAGMA table_info("{table}")') if c[1] not in ("vid", "deleted")]
            h.update(f"\x1e{table}\x1f{','.join(cols)}\x1d".encode())
            cursor = conn.execute(f'SELECT {", ".join(cols)} FROM "{table}" WHERE deleted = 0 ORDER BY id')
            while batch := cursor.fetchmany(5000):
                h.update(repr(batch).encode("utf-8"))
    return h.hexdigest()
