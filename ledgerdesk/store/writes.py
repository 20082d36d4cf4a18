"""The versioned write path: the only way rows of synced tables change.

Every insert, update and delete made through :class:`VersionedWriter` writes
the row *and* appends an immutable version (site, seq, HLC, author, table,
entity, the fields it set, the versions it replaced) in the same transaction.
Guard triggers installed by the migration runner refuse any write to a synced
table whose ``vid`` does not name a fresh version of that row, so code that
goes around this module fails loudly (:class:`UnversionedWriteError`).

Values are stored in versions exactly as they are stored in the columns
(peewee's ``db_value``): ISO text for dates, 0/1 for booleans.

Obtain a writer with ``ledger.writing(author)``; it lives for one transaction.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from contextlib import contextmanager
from dataclasses import dataclass, field
from operator import itemgetter
from typing import Any, Iterable, Iterator, Mapping, Sequence

from peewee import IntegrityError

from ledgerdesk.core.errors import NotFoundError, UnversionedWriteError
from ledgerdesk.core.hlc import HybridClock
from ledgerdesk.core.ids import uuid7
from ledgerdesk.store.models import SyncedModel
from ledgerdesk.store import conflicts
from ledgerdesk.store.versions import VersionRow, frontier

_SKIP = ("id", "vid")


# One encoder for every version: building one per call (json.dumps with options)
# costs a third of the encoding time in bulk inserts.
_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), check_circular=False).encode


@dataclass(frozen=True)
class Change:
    """What one mutation did; services return these so views can refresh."""

    table: str
    entity_id: str
    op: str  # "insert" | "update" | "delete"
    fields: tuple[str, ...] = ()


@dataclass
class ChangeSet:
    """All changes made in one transaction."""

    changes: list[Change] = field(default_factory=list)
    bulk: dict[str, int] = field(default_factory=dict)  # table -> rows inserted by insert_many

    def tables(self) -> set[str]:
        return {c.table for c in self.changes} | set(self.bulk)

    def __bool__(self) -> bool:
        return bool(self.changes or self.bulk)


def _column_value(f, value: Any) -> Any:
    """The value exactly as SQLite stores it, so versions replay to the row.

    Booleans become 0/1; dates and date-times become the ISO text sqlite3
    stores for them (``2026-11-20``, ``2026-11-20 09:30:00``), which also
    keeps them JSON-encodable in the version log.
    """
    value = f.db_value(value)
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, dt.datetime):
        return value.isoformat(" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


class TableInfo:
    """Column metadata of one synced model, computed once."""

    _cache: dict[type, "TableInfo"] = {}

    def __init__(self, model: type[SyncedModel]):
        meta = model._meta
        self.model = model
        self.table = meta.table_name
        self.fields = [f for f in meta.sorted_fields if f.column_name not in _SKIP]
        self.columns = [f.column_name for f in self.fields]
        self.by_name = {}
        for f in self.fields:
            self.by_name[f.name] = f
            self.by_name[f.column_name] = f

    @classmethod
    def of(cls, model: type[SyncedModel]) -> "TableInfo":
        info = cls._cache.get(model)
        if info is None:
            info = cls._cache[model] = cls(model)
        return info

    def default(self, f) -> Any:
        value = f.default() if callable(f.default) else f.default
        return _column_value(f, value)

    def to_columns(self, values: Mapping[str, Any]) -> dict[str, Any]:
        out = {}
        for name, value in values.items():
            f = self.by_name.get(name)
            if f is None:
                raise KeyError(f"{self.table} has no field {name!r}")
            out[f.column_name] = _column_value(f, value)
        return out


class VersionedWriter:
    """Writes rows of synced tables together with their versions, in one transaction."""

    def __init__(self, ledger, author: str):
        self.ledger = ledger
        self.db = ledger.db
        self.author = author
        self.site = ledger.site_id
        self.hlc = HybridClock(ledger.clock, int(ledger.get_meta("hlc", "0")))
        self.seq = self.db.execute_sql(
            "SELECT coalesce(max(seq), 0) FROM version WHERE site = ?", (self.site,)).fetchone()[0]
        self.next_vid = self.db.execute_sql("SELECT coalesce(max(id), 0) FROM version").fetchone()[0] + 1
        self.changes = ChangeSet()

    # -- single rows -----------------------------------------------------------

    def insert(self, model: type[SyncedModel], values: Mapping[str, Any], *, id: str | None = None) -> str:
        """Create a row; unspecified fields take their defaults. Returns its id."""
        info = TableInfo.of(model)
        entity_id = id or uuid7(self.ledger.clock.now_ms())
        given = info.to_columns(values)
        row = {f.column_name: given[f.column_name] if f.column_name in given else info.default(f)
               for f in info.fields}
        vid = self._append(info.table, entity_id, "put", row, [])
        cols = ["id", "vid", *row]
        self._execute(f'INSERT INTO "{info.table}" ({", ".join(cols)}) VALUES ({", ".join("?" * len(cols))})',
                      (entity_id, vid, *row.values()))
        self.changes.changes.append(Change(info.table, entity_id, "insert", tuple(row)))
        return entity_id

    def update(self, model: type[SyncedModel], entity_id: str, values: Mapping[str, Any]) -> Change | None:
        """Set fields of a row; fields whose value does not change are left out. None if nothing changed."""
        info = TableInfo.of(model)
        wanted = info.to_columns(values)
        current = self._current(info, entity_id, wanted)
        changed = {c: v for c, v in wanted.items() if current[c] != v}
        if not changed:
            return None
        return self._write_version(info, entity_id, changed)

    def settle(self, model: type[SyncedModel], entity_id: str, values: Mapping[str, Any]) -> Change:
        """Write ``values`` as a new version even where they equal what shows: resolving a conflict.

        The version replaces every candidate of the fields it sets (a tombstone:
        every head of the row), so the conflict closes here and, once the
        version travels, on every replica. ``values`` may include ``deleted``.
        """
        info = TableInfo.of(model)
        wanted = info.to_columns(values)
        if self.db.execute_sql(f'SELECT 1 FROM "{info.table}" WHERE id = ?', (entity_id,)).fetchone() is None:
            raise NotFoundError(f"记录不存在（{info.table} {entity_id}）")
        return self._write_version(info, entity_id, wanted)

    def _write_version(self, info: TableInfo, entity_id: str, changed: dict[str, Any]) -> Change:
        op = "del" if changed.get("deleted") == 1 else "put"
        history = self._history(entity_id)
        parents = frontier(history, changed if op == "put" else dict.fromkeys(f for v in history for f in v.fields))
        vid = self._append(info.table, entity_id, op, changed, parents)
        sets = ", ".join(f"{c} = ?" for c in changed)
        self._execute(f'UPDATE "{info.table}" SET vid = ?, {sets} WHERE id = ?', (vid, *changed.values(), entity_id))
        if conflicts.has_conflict(self.db, entity_id):
            mine = VersionRow(f"{self.site}:{self.seq}", self.hlc.last, self.site, op, changed, tuple(parents))
            conflicts.refresh(self.db, {entity_id: (info.table, [*history, mine])})
        change = Change(info.table, entity_id, "delete" if op == "del" else "update", tuple(changed))
        self.changes.changes.append(change)
        return change

    def delete(self, model: type[SyncedModel], entity_id: str) -> Change | None:
        """Tombstone a row: it stays in the table with deleted = 1 and a 'del' version."""
        return self.update(model, entity_id, {"deleted": True})

    # -- bulk ----------------------------------------------------------------------

    def insert_many(self, model: type[SyncedModel], columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
        """Create many rows fast (demo ledgers, imports); each still gets its own version.

        ``columns`` are column names; ``rows`` give values already in column
        form (ISO text dates, 0/1 booleans). An ``id`` column is optional; ids
        are generated where absent. Missing columns take their defaults.
        """
        info = TableInfo.of(model)
        unknown = [c for c in columns if c != "id" and c not in info.columns]
        if unknown:
            raise KeyError(f"{info.table} has no columns {unknown}")
        has_id = "id" in columns
        # Each row becomes its values in table order by one C-level itemgetter over the row
        # with the missing columns' defaults appended (a per-value Python expression cost a
        # tenth of a 50,000-person roster import).
        missing: list = []
        positions: list[int] = []
        for column, model_field in zip(info.columns, info.fields):
            if column in columns:
                positions.append(columns.index(column))
            else:
                positions.append(len(columns) + len(missing))
                missing.append(info.default(model_field))
        extra = tuple(missing)
        pick = itemgetter(*positions) if len(positions) > 1 else (lambda row: (row[positions[0]],))
        id_idx = columns.index("id") if has_id else -1
        col_names = info.columns
        table, site, author, now_ms = info.table, self.site, self.author, self.ledger.clock.now_ms
        version_rows, data_rows = [], []
        tick = self.hlc.tick
        for r in rows:
            values = pick((*r, *extra))
            entity_id = r[id_idx] if has_id else uuid7(now_ms())
            self.seq += 1
            vid = self.next_vid
            self.next_vid += 1
            version_rows.append((vid, site, self.seq, tick(), author, table, entity_id, "put",
                                 _dumps(dict(zip(col_names, values))), "[]"))
            data_rows.append((entity_id, vid, *values))
        conn = self.db.connection()
        try:
            conn.executemany("INSERT INTO version (id, site, seq, hlc, author, tbl, entity_id, op, fields, parents) "
                             "VALUES (?,?,?,?,?,?,?,?,?,?)", version_rows)
            conn.executemany(f'INSERT INTO "{table}" (id, vid, {", ".join(col_names)}) '
                             f'VALUES ({", ".join("?" * (len(col_names) + 2))})', data_rows)
        except sqlite3.IntegrityError as exc:
            raise self._translate(exc) from exc
        self.changes.bulk[table] = self.changes.bulk.get(table, 0) + len(data_rows)
        return len(data_rows)

    @contextmanager
    def guards_parked(self, *models: type[SyncedModel]) -> Iterator[None]:
        """For a bulk load through :meth:`insert_many`: skip the per-row insert guard of ``models``.

        The guard triggers (store/migrations.py) cost a version lookup per
        inserted row; rows written by :meth:`insert_many` come with their
        versions anyway. The triggers are dropped and recreated, from their
        own SQL, inside this writer's transaction: no other connection can
        write meanwhile (this one holds the write lock), and a rollback
        restores them. Update and delete guards stay in force.
        """
        names = [f"{m._meta.table_name}_guard_insert" for m in models]
        found = self.db.execute_sql(
            f"SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND name IN ({', '.join('?' * len(names))})",
            names).fetchall()
        for name, _ in found:
            self.db.execute_sql(f'DROP TRIGGER "{name}"')
        try:
            yield
        finally:
            for _, sql in found:
                self.db.execute_sql(sql)

    @contextmanager
    def indexes_parked(self, *models: type[SyncedModel]) -> Iterator[None]:
        """For a bulk load into a ledger that is small beside it: build the secondary indexes of
        ``models`` (and of the version log) once at the end instead of row by row.

        Rebuilding costs a pass over the whole table, so callers use it only when
        the new rows outnumber the old (a first roster import). Same transaction
        rules as :meth:`guards_parked`; unique indexes stay.
        """
        tables = [m._meta.table_name for m in models] + ["version"]
        found = self.db.execute_sql(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
            f"AND sql NOT LIKE 'CREATE UNIQUE%' AND tbl_name IN ({', '.join('?' * len(tables))})", tables).fetchall()
        for name, _ in found:
            self.db.execute_sql(f'DROP INDEX "{name}"')
        try:
            yield
        finally:
            for _, sql in found:
                self.db.execute_sql(sql)

    # -- internals -------------------------------------------------------------

    def _current(self, info: TableInfo, entity_id: str, wanted: Mapping[str, Any]) -> dict:
        cols = list(wanted)
        sql = f'SELECT {", ".join(["deleted", *cols])} FROM "{info.table}" WHERE id = ?'
        row = self.db.execute_sql(sql, (entity_id,)).fetchone()
        if row is None:
            raise NotFoundError(f"记录不存在（{info.table} {entity_id}）")
        if row[0] and wanted.get("deleted") != 0:
            raise NotFoundError(f"记录已删除（{info.table} {entity_id}）")
        return dict(zip(cols, row[1:]))

    def _history(self, entity_id: str) -> list[VersionRow]:
        return [VersionRow.from_db(*r) for r in self.db.execute_sql(
            "SELECT site, seq, hlc, op, fields, parents FROM version WHERE entity_id = ? ORDER BY id",
            (entity_id,))]

    def _append(self, table: str, entity_id: str, op: str, fields: dict, parents: list[str]) -> int:
        self.seq += 1
        vid = self.next_vid
        self.next_vid += 1
        self._execute(
            "INSERT INTO version (id, site, seq, hlc, author, tbl, entity_id, op, fields, parents) "
            "VALUES (?,?,?,?,?,?,?,?,?,?)",
            (vid, self.site, self.seq, self.hlc.tick(), self.author, table, entity_id, op,
             _dumps(fields), _dumps(parents)))
        return vid

    def _execute(self, sql: str, params: Sequence[Any]) -> None:
        try:
            self.db.execute_sql(sql, params)
        except (IntegrityError, sqlite3.IntegrityError) as exc:
            raise self._translate(exc) from exc

    @staticmethod
    def _translate(exc: Exception) -> Exception:
        if "unversioned" in str(exc):
            return UnversionedWriteError(f"写入未经版本记录，已拒绝：{exc}")
        return exc

    def finish(self) -> None:
        """Persist the clock so later transactions keep counting up (called before commit)."""
        self.ledger.set_meta("hlc", str(self.hlc.last))
