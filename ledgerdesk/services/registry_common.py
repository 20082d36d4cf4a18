"""Shared pieces of the registry write services (:mod:`ledgerdesk.services.registry`).

Plain result types, row loading with Chinese not-found messages, settings
bounds and small validators. Nothing here writes; import the public API from
``ledgerdesk.services.registry``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Iterable, Mapping

from ledgerdesk.core.dates import date_arg
from ledgerdesk.core.errors import NotFoundError, ValidationError
from ledgerdesk.core.ids import uuid7
from ledgerdesk.core.person_rules import FieldIssue
from ledgerdesk.core.text import clean
from ledgerdesk.services.sql import rows, scalar  # noqa: F401 (re-exported for the registry services)
from ledgerdesk.services.workspace import DEFAULT_SETTINGS

LIVING = ("在册", "外出")  # person statuses of someone who still lives here

_LABELS = {
    "village": "村/社区/嘎查",
    "village_group": "村民小组",
    "grid": "网格",
    "household": "户",
    "person": "人员",
    "tag": "标签",
    "party_center": "党员中心户",
    "link_head": "联户长",
    "grid_worker": "网格员",
    "person_post": "职务",
}


@dataclass(frozen=True)
class PersonSaved:
    """The saved person's id and the warnings it was saved with (e.g. an invalid 身份证号)."""

    id: str
    warnings: tuple[FieldIssue, ...] = ()


@dataclass(frozen=True)
class AssignmentResult:
    """Outcome of assigning households to a 中心户 or 联户长, with the bounds check."""

    assigned: int  # households that now point here and did not before
    moved_from_other: int  # of those, how many were taken from another center/head
    total: int  # 在册 households now covered by this center/head
    minimum: int
    maximum: int
    within_bounds: bool
    message: str  # Chinese, one sentence for the user


@dataclass(frozen=True)
class DuplicateGroup:
    """Persons that may be one and the same; a human decides (merge_persons)."""

    reason: str  # Chinese, ID masked
    person_ids: tuple[str, ...]
    kind: str = ""  # "id_number" | "name_birth"


@dataclass(frozen=True)
class DeactivatedHousehold:
    """What deactivate_household left for a separate decision.

    ``center_ids`` / ``link_head_ids``: active 中心户 / 联户长 whose home is the
    deactivated household. They are NOT ended automatically (ending one
    unassigns its households, a reviewer's decision): call end_center /
    end_link_head. Coverage reports them as invalid until then.
    """

    household_id: str
    center_ids: tuple[str, ...] = ()
    link_head_ids: tuple[str, ...] = ()
    persons_moved_out: int = 0


def iso(value: dt.date | None) -> str | None:
    """Dates are written as ISO text (as stored in the columns and versions)."""
    return value.isoformat() if value is not None else None


def insert_row(w, model, values: Mapping[str, Any], entity_id: str | None = None) -> str:
    """Insert one row through the versioned writer with its values already in column form.

    Workaround: ``VersionedWriter.insert`` passes values through peewee's
    ``db_value``, which turns ISO date text back into ``date`` objects the
    version log cannot encode (TypeError). ``insert_many`` takes column values
    as they are, and still writes one version per row.
    """
    meta = model._meta
    cols: dict[str, Any] = {}
    for name, value in values.items():
        f = meta.fields.get(name) or meta.columns[name]
        if isinstance(value, bool):
            value = int(value)
        elif isinstance(value, dt.date):
            value = value.isoformat()
        cols[f.column_name] = value
    entity_id = entity_id or uuid7(w.ledger.clock.now_ms())
    w.insert_many(model, ["id", *cols], [(entity_id, *cols.values())])
    return entity_id


def changed_only(current: Mapping[str, Any], values: Mapping[str, Any]) -> dict[str, Any]:
    """The column values that differ from ``current`` (a row read with SQL), so that
    unchanged date columns are not handed to ``VersionedWriter.update`` at all."""
    out = {}
    for name, value in values.items():
        stored = current.get(name)
        if isinstance(value, bool):
            value = int(value)
        if stored != value:
            out[name] = value
    return out


def today(session) -> dt.date:
    return session.ledger.clock.today()


def fetch(session, table: str, entity_id: Any, columns: str = "*") -> dict:
    """The live row ``entity_id`` of ``table`` as a dict; NotFoundError (Chinese) otherwise."""
    label = _LABELS.get(table, table)
    if not entity_id:
        raise NotFoundError(f"未指定{label}")
    cur = session.ledger.db.execute_sql(
        f'SELECT {columns} FROM "{table}" WHERE id = ? AND deleted = 0', (entity_id,))
    row = cur.fetchone()
    if row is None:
        raise NotFoundError(f"{label}不存在或已删除（{entity_id}）")
    return dict(zip([d[0] for d in cur.description], row))


def required_text(value: object, field: str, label: str, max_len: int = 60) -> str:
    s = clean(value)
    if not s:
        raise ValidationError(f"{label}不能为空", field=field)
    if len(s) > max_len:
        raise ValidationError(f"{label}过长（最多{max_len}个字）", field=field)
    return s


def note_text(value: object) -> str:
    """Free text: kept as typed (line breaks included), only the ends trimmed."""
    return "" if value is None else str(value).strip()


def choice(value: object, allowed: Iterable[str], field: str, label: str) -> str:
    s = clean(value)
    allowed = tuple(allowed)
    if s not in allowed:
        raise ValidationError(f"{label}只能是{'、'.join(allowed)}之一，不能是“{s}”", field=field)
    return s


date_value = date_arg  # the former name of core.dates.date_arg


def setting_int(session, key: str) -> int:
    """An integer setting from the ``setting`` table, else its default in DEFAULT_SETTINGS."""
    value = scalar(session, "SELECT value FROM setting WHERE key = ? AND deleted = 0 ORDER BY id LIMIT 1", (key,))
    for candidate in (value, DEFAULT_SETTINGS.get(key)):
        try:
            return int(str(candidate).strip())
        except (TypeError, ValueError):
            continue
    return 0


def bounds_message(done: str, holder: str, total: int, minimum: int, maximum: int) -> tuple[bool, str]:
    """(within bounds, Chinese sentence) e.g. "已分配 3 户；该中心户现联系 17 户，超出上限 15 户"."""
    if total > maximum:
        return False, f"{done}；{holder}现联系 {total} 户，超出上限 {maximum} 户"
    if total < minimum:
        return False, f"{done}；{holder}现联系 {total} 户，低于下限 {minimum} 户"
    return True, f"{done}；{holder}现联系 {total} 户，在 {minimum}–{maximum} 户范围内"


def household_label(h: dict) -> str:
    return f"户号 {h['hh_no']}" if h.get("hh_no") else f"户 {h['id'][:8]}"


def unique_ids(ids: Iterable[str]) -> list[str]:
    seen: dict[str, None] = {}
    for i in ids:
        if i:
            seen.setdefault(str(i), None)
    return list(seen)


def check_unit(session, table: str, unit_id, village_id: str, field: str, label: str) -> str | None:
    if not unit_id:
        return None
    row = fetch(session, table, unit_id, "id, village_id, name")
    if row["village_id"] != village_id:
        raise ValidationError(f"{label}“{row['name']}”不属于该户所在的村", field=field)
    return row["id"]


def live_household(session, household_id) -> dict:
    return fetch(session, "household", household_id)


def active_household(session, household_id) -> dict:
    h = live_household(session, household_id)
    if h["status"] != "在册":
        raise ValidationError(f"{household_label(h)}已{h['status']}，不能进行此操作", field="household_id")
    return h
