"""Checks that the stored rows are exactly what the version log says they are.

Used by ``ledgerdesk check`` and after every test that touches a ledger: if any
code wrote a synced row without its version, the fold of the log differs from
the row and this finds it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from itertools import groupby

from ledgerdesk.store.migrations import synced_tables
from ledgerdesk.store.versions import VersionRow, is_creation, winners


@dataclass(frozen=True)
class Mismatch:
    table: str
    entity_id: str
    detail: str


def replay_mismatches(db, limit: int = 20) -> list[Mismatch]:
    """Rows whose values differ from the fold of their versions (at most ``limit``)."""
    conn = db.connection()
    found: list[Mismatch] = []
    for table in synced_tables(conn):
        cols = [c[1] for c in conn.execute(f'PRAGMA table_info("{table}")') if c[1] not in ("id", "vid")]
        rows = conn.execute(f'SELECT id, {", ".join(cols)} FROM "{table}" ORDER BY id')
        versions = conn.execute(
            "SELECT entity_id, site, seq, hlc, op, fields, parents FROM version WHERE tbl = ? ORDER BY entity_id",
            (table,))
        by_entity = groupby(versions, key=lambda r: r[0])
        pending = _next_shown(by_entity)
        for row in rows:
            entity_id, values = row[0], dict(zip(cols, row[1:]))
            while pending is not None and pending[0] < entity_id:
                found.append(Mismatch(table, pending[0], "version without a row"))
                pending = _next_shown(by_entity)
            if pending is None or pending[0] != entity_id:
                found.append(Mismatch(table, entity_id, "row without any version"))
            else:
                folded = winners(pending[1])
                # A column no version set (a creation from before the column existed) holds its default.
                expected = {**defaults_of(table), **folded}
                diff = {c: (values[c], expected.get(c)) for c in cols if c in expected and expected[c] != values[c]}
                missing = [c for c in cols if c not in expected and c != "deleted"]
                if diff or missing:
                    found.append(Mismatch(table, entity_id, json.dumps(
                        {"differs": diff, "never_set": missing}, ensure_ascii=False)))
                pending = _next_shown(by_entity)
            if len(found) >= limit:
                return found
        while pending is not None and len(found) < limit:
            found.append(Mismatch(table, pending[0], "version without a row"))
            pending = _next_shown(by_entity)
    return found


def defaults_of(table: str) -> dict[str, object]:
    """Column → default value (as stored) of a synced table, for columns that have one."""
    from ledgerdesk.store.models import MODEL_BY_TABLE
    from ledgerdesk.store.writes import TableInfo

    model = MODEL_BY_TABLE.get(table)
    if model is None:
        return {}
    info = TableInfo.of(model)
    return {f.column_name: info.default(f) for f in info.fields if f.default is not None or f.null}


def _next_shown(by_entity) -> tuple[str, list[VersionRow]] | None:
    """The next entity whose versions include a creation: only those must have a row (the rest are held)."""
    for entity_id, group in by_entity:
        versions = [VersionRow.from_db(*v[1:]) for v in group]
        if any(is_creation(v) for v in versions):
            return entity_id, versions
    return None
