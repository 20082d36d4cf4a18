"""The 待核实 list: conflicting edits kept for a person to decide (sync.md).

A conflict shows both (or all) sides: the value, who wrote it, on which
device and when. Resolving writes one new version that replaces every side
(store/writes.py ``settle``), so the conflict closes here and, once that
version travels, on every replica. Nothing is decided automatically: until a
person picks, the deterministic winner shows and the other sides stay.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

from peewee import BooleanField

from ledgerdesk.core.hlc import unpack
from ledgerdesk.services.permissions import EDITORS, require
from ledgerdesk.store import conflicts as index
from ledgerdesk.store.models import MODEL_BY_TABLE
from ledgerdesk.store.versions import VersionRow, field_candidates
from ledgerdesk.sync.errors import ConflictGoneError
from ledgerdesk.services.labels import field_label, record_label_sql, table_label


@dataclass(frozen=True)
class Side:
    """One candidate of a conflicting field."""

    value: object
    display: str
    author: str
    device: str
    at: dt.datetime
    key: str  # "site:seq" of its version


@dataclass(frozen=True)
class Conflict:
    entity_id: str
    table: str
    table_label: str
    record_label: str
    field: str          # a column, or "*" for delete-versus-edit
    field_label: str
    kind: str           # "value" | "delete"
    sides: tuple[Side, ...]


def open_count(session) -> int:
    with session.reading():
        return index.open_count(session.ledger.db)


def open_conflicts(session, limit: int = 2000) -> list[Conflict]:
    """Every open conflict (at most ``limit``), grouped by table and record."""
    db = session.ledger.db
    with session.reading():
        names = dict(db.execute_sql("SELECT site, device_name FROM sync_site"))
        names[session.ledger.site_id] = "本机"
        out = []
        for entity_id, tbl, field, kind in list(index.entities(db))[:limit]:
            versions = _versions(db, entity_id)
            out.append(_conflict(db, tbl, entity_id, field, kind, versions, names))
        return out


def resolve(session, entity_id: str, field: str, value) -> None:
    """Settle a value conflict on ``field`` with ``value`` (one of the sides, or a new value)."""
    require(session, EDITORS, "核实冲突")
    with session.writing() as w:
        tbl = _open(session, entity_id, field)
        w.settle(MODEL_BY_TABLE[tbl], entity_id, {field: value})


def resolve_delete(session, entity_id: str, *, keep_deleted: bool) -> None:
    """Settle a delete-versus-edit conflict: keep the record deleted, or restore it with the edits."""
    require(session, EDITORS, "核实冲突")
    with session.writing() as w:
        tbl = _open(session, entity_id, "*")
        w.settle(MODEL_BY_TABLE[tbl], entity_id, {"deleted": 1 if keep_deleted else 0})


def _open(session, entity_id: str, field: str) -> str:
    row = session.ledger.db.execute_sql(
        "SELECT tbl FROM sync_conflict WHERE entity_id = ? AND field = ?", (entity_id, field)).fetchone()
    if row is None:
        raise ConflictGoneError("这处冲突已经不存在（可能已在别处核实过），请刷新列表")
    return row[0]


def _versions(db, entity_id: str) -> list[tuple[VersionRow, str]]:
    return [(VersionRow.from_db(site, seq, hlc, op, fields, parents), author) for site, seq, hlc, op, fields, parents,
            author in db.execute_sql("SELECT site, seq, hlc, op, fields, parents, author FROM version "
                                     "WHERE entity_id = ? ORDER BY id", (entity_id,))]


def _conflict(db, tbl, entity_id, field, kind, versions, names) -> Conflict:
    authors = {v.key: a for v, a in versions}
    rows = [v for v, _ in versions]
    heads = field_candidates(rows)
    if kind == "value":
        cands = heads.get(field, [])
        sides = tuple(_side(v, v.fields[field], _display(v.fields[field], tbl, field), authors, names)
                      for v in sorted(cands, key=lambda v: (v.hlc, v.site), reverse=True))
    else:
        tombs = [v for v in heads.get("deleted", []) if v.fields.get("deleted") == 1]
        covered = {p for v in tombs for p in v.parents}
        edits = {v.key: v for f, cands in heads.items() if f != "deleted" for v in cands if v.key not in covered}
        sides = tuple([_side(v, True, "删除了这条记录", authors, names) for v in tombs]
                      + [_side(v, False, "修改了：" + "，".join(f"{field_label(tbl, f)}={_display(x, tbl, f)}"
                                                            for f, x in v.fields.items() if f != "deleted"),
                               authors, names) for v in edits.values()])
    return Conflict(entity_id, tbl, table_label(tbl), _record_label(db, tbl, entity_id), field,
                    "整条记录（删除与修改冲突）" if field == "*" else field_label(tbl, field), kind, sides)


def _side(v: VersionRow, value, display: str, authors, names) -> Side:
    at = dt.datetime.fromtimestamp(unpack(v.hlc)[0] / 1000)
    return Side(value, display, authors.get(v.key, ""), names.get(v.site, f"设备 {v.site[:8]}"), at, v.key)


def _display(value, table: str = "", column: str = "") -> str:
    if column == "deleted":
        return "删除" if value == 1 else "保留"
    field = getattr(MODEL_BY_TABLE.get(table), "_meta", None)
    field = field.columns.get(column) if field else None
    if isinstance(field, BooleanField) and value in (0, 1):
        return "是" if value == 1 else "否"
    if value is None or value == "":
        return "（空）"
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def _record_label(db, tbl: str, entity_id: str) -> str:
    sql = record_label_sql(tbl)
    row = db.execute_sql(sql, (entity_id,)).fetchone() if sql else None
    return str(row[0]) if row and row[0] else entity_id[:8]
