"""The ``sync_conflict`` table: open conflicts, derived from the version log.

A conflict is a fact about the versions of one entity (store/versions.py
``conflicts_of``); this table only indexes which entities have one, so the
待核实 list is a query, not a scan of the log. It is refreshed for every
entity whose versions change: by sync imports (sync/merge.py) and by local
writes to an entity that had a conflict (store/writes.py), since a local
edit of a conflicted field replaces all its candidates and so closes it.
"""

from __future__ import annotations

from typing import Iterable, Mapping

from ledgerdesk.store.versions import VersionRow, conflicts_of


def has_conflict(db, entity_id: str) -> bool:
    return db.execute_sql("SELECT 1 FROM sync_conflict WHERE entity_id = ? LIMIT 1", (entity_id,)).fetchone() is not None


def refresh(db, histories: Mapping[str, tuple[str, list[VersionRow]]]) -> int:
    """Recompute the conflicts of ``{entity_id: (table, versions)}``; returns how many are open among them."""
    return store(db, list(histories), [(entity_id, table, field, kind)
                                       for entity_id, (table, versions) in histories.items()
                                       for field, kind in conflicts_of(versions)])


def store(db, entity_ids: list[str], found: list[tuple[str, str, str, str]]) -> int:
    """Replace the conflict rows of ``entity_ids`` by ``found`` (entity_id, table, field, kind); returns len(found)."""
    conn = db.connection()
    for start in range(0, len(entity_ids), 500):
        part = entity_ids[start:start + 500]
        conn.execute(f"DELETE FROM sync_conflict WHERE entity_id IN ({', '.join('?' * len(part))})", part)
    conn.executemany("INSERT INTO sync_conflict (entity_id, tbl, field, kind) VALUES (?,?,?,?)", found)
    return len(found)


def open_count(db) -> int:
    return db.execute_sql("SELECT count(*) FROM sync_conflict").fetchone()[0]


def entities(db) -> Iterable[tuple[str, str, str, str]]:
    """(entity_id, table, field, kind) of every open conflict."""
    return db.execute_sql("SELECT entity_id, tbl, field, kind FROM sync_conflict ORDER BY tbl, entity_id, field")
