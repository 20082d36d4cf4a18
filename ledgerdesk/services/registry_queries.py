"""Read side of the registry: what the lazy tables and detail panes of the UI show.

A list is two calls (architecture.md, "lazy tables"):

* ``*_ids(session, query)`` — the ordered id list of everything that matches,
  from ONE SQL query (filters and sort in SQL). The default household list
  (live 在册 households by 户号) is an index-only scan of ``household_list``
  (db/migrations/0003_registry_indexes.sql); the ids come back as one
  ``group_concat`` string, because stepping 200K result rows one by one costs
  more in Python than the scan itself.
* ``*rows(session, ids)`` — the rows of one page (a few hundred ids at most),
  with the joined names, in the order of ``ids``. Ids of rows deleted since
  the id list was made are left out.

身份证号 and phone numbers are masked (core.masking) unless the caller passes
``reveal=True`` *and* the session's role may see them
(:func:`ledgerdesk.services.permissions.may_reveal`); asking without the right
silently gives masked values, as lists do for everybody by default.

Definitions shared with :mod:`ledgerdesk.services.coverage`:

* a household is *live* when ``deleted = 0``; the lists show status 在册 by default;
* a 中心户 / 联户长 is *live* when ``deleted = 0`` and it has no ``ended_on``;
* its household count = live 在册 households whose ``center_id`` / ``link_head_id``
  names it; *within bounds* when minimum <= count <= maximum (settings
  ``center.min_households`` … , :func:`bounds`);
* *invalid* when its person is dead (去世), moved away (迁出, or no longer in the
  center's household), or — for a 中心户 — no longer a party member
  (:data:`CENTER_INVALID_REASONS`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from typing import Iterable, Sequence

from ledgerdesk.core.dates import stored_date
from ledgerdesk.core.errors import NotFoundError, ValidationError
from ledgerdesk.core.masking import mask_id_number, mask_phone
from ledgerdesk.core.vocab import CENTER_TYPES
from ledgerdesk.services.permissions import may_reveal, village_limit
from ledgerdesk.services.registry_common import setting_int
from ledgerdesk.services.sql import Where, id_list, marks, rows, rows_by_id

# -- invalid 中心户 / 联户长 --------------------------------------------------------------

NOT_PARTY_MEMBER = "中心户本人已不是党员"
CENTER_MOVED = "中心户本人已迁出"
CENTER_DIED = "中心户本人已去世"
CENTER_NOT_IN_HOUSEHOLD = "中心户本人已不在该户"
CENTER_INVALID_REASONS = (CENTER_DIED, CENTER_MOVED, CENTER_NOT_IN_HOUSEHOLD, NOT_PARTY_MEMBER)

HEAD_DIED = "联户长本人已去世"
HEAD_MOVED = "联户长本人已迁出"
HEAD_NOT_IN_HOUSEHOLD = "联户长本人已不在该户"
HEAD_INVALID_REASONS = (HEAD_DIED, HEAD_MOVED, HEAD_NOT_IN_HOUSEHOLD)


def invalid_reason_sql(owner: str = "c", person: str = "p", *, center: bool = True) -> str:
    """SQL expression: why a 中心户 (``center``) or 联户长 no longer fits, '' when it does.

    ``owner`` is the alias of the party_center / link_head row, ``person`` of
    its person LEFT JOINed on ``person.id = owner.person_id``. The first
    reason that applies wins: died, moved away, not in the household, not a
    party member (中心户 only).
    """
    died, moved, gone = (CENTER_DIED, CENTER_MOVED, CENTER_NOT_IN_HOUSEHOLD) if center else (
        HEAD_DIED, HEAD_MOVED, HEAD_NOT_IN_HOUSEHOLD)
    party = f" WHEN {person}.is_party_member = 0 THEN '{NOT_PARTY_MEMBER}'" if center else ""
    return (f"CASE WHEN {person}.id IS NULL OR {person}.deleted <> 0 THEN '{gone}'"
            f" WHEN {person}.status = '去世' THEN '{died}'"
            f" WHEN {person}.status = '迁出' THEN '{moved}'"
            f" WHEN {person}.household_id IS NOT {owner}.household_id THEN '{gone}'"
            f"{party} ELSE '' END")


LIVE_CENTERS_SQL = "SELECT id FROM party_center WHERE deleted = 0 AND ended_on IS NULL"
LIVE_HEADS_SQL = "SELECT id FROM link_head WHERE deleted = 0 AND ended_on IS NULL"

_KINDS = {"center": ("party_center", "center_id"), "link_head": ("link_head", "link_head_id")}


# -- settings --------------------------------------------------------------------------


def bounds(session, kind: str) -> tuple[int, int]:
    """(minimum, maximum) households per 中心户 (``kind`` "center") or 联户长 ("link_head").

    From the ``setting`` table (``center.min_households`` …), else the defaults
    of :data:`ledgerdesk.services.workspace.DEFAULT_SETTINGS`.
    """
    if kind not in _KINDS:
        raise ValidationError(f"未知的类别“{kind}”，应为 center 或 link_head", field="kind")
    with session.reading():
        return setting_int(session, f"{kind}.min_households"), setting_int(session, f"{kind}.max_households")


# -- villages and tags -----------------------------------------------------------------


@dataclass(frozen=True)
class VillageInfo:
    id: str
    name: str
    kind: str
    groups: tuple[tuple[str, str], ...]  # (id, name), in creation order
    grids: tuple[tuple[str, str], ...]   # (id, name), by code
    code: str = ""
    township_id: str = ""


VILLAGE_ORDER = "v.sort_order, v.code, v.name, v.id"


def villages(session) -> list[VillageInfo]:
    """Live villages in display order, each with its live groups and grids."""
    with session.reading():
        vs = rows(session, f"SELECT v.id, v.name, v.kind, v.code, v.township_id FROM village v "
                            f"WHERE v.deleted = 0 ORDER BY {VILLAGE_ORDER}")
        groups: dict[str, list] = {}
        for gid, vid, name in rows(session, "SELECT id, village_id, name FROM village_group "
                                             "WHERE deleted = 0 ORDER BY id"):
            groups.setdefault(vid, []).append((gid, name))
        grids: dict[str, list] = {}
        for gid, vid, name in rows(session, "SELECT id, village_id, name FROM grid WHERE deleted = 0 "
                                             "ORDER BY code, name, id"):
            grids.setdefault(vid, []).append((gid, name))
    return [VillageInfo(vid, name, kind, tuple(groups.get(vid, ())), tuple(grids.get(vid, ())), code, tid)
            for vid, name, kind, code, tid in vs]


@dataclass(frozen=True)
class TagInfo:
    id: str
    name: str
    builtin: bool
    households: int | None  # live 在册 households carrying it; None when not counted


def tags(session, *, counts: bool = True) -> list[TagInfo]:
    """Live tags, built-in ones first, with how many live 在册 households carry each.

    ``counts=False`` leaves the counts out (None): counting walks every tagged
    household, most of a second on a county ledger, which a filter box does not need.
    """
    count_sql = ("""(SELECT count(*) FROM household_tag ht JOIN household h ON h.id = ht.household_id
                     WHERE ht.tag_id = t.id AND ht.deleted = 0 AND h.deleted = 0 AND h.status = '在册')"""
                 if counts else "NULL")
    with session.reading():
        found = rows(session, f"""
            SELECT t.id, t.name, t.builtin, {count_sql}
              FROM tag t WHERE t.deleted = 0 ORDER BY t.builtin DESC, t.id""")
    return [TagInfo(tid, name, bool(builtin), n) for tid, name, builtin, n in found]


# -- households -------------------------------------------------------------------------


@dataclass(frozen=True)
class HouseholdQuery:
    village_id: str | None = None
    group_id: str | None = None
    grid_id: str | None = None
    tag_id: str | None = None
    level: str | None = None        # 绿 / 黄 / 红
    status: str | None = "在册"     # None: every status
    center: str | None = None       # None | "covered" | "uncovered"
    head: str | None = None         # None | "linked" | "unlinked"
    center_id: str | None = None
    link_head_id: str | None = None
    sort: str = "hh_no"             # a key of HOUSEHOLD_SORTS
    descending: bool = False


# sort key -> (extra joins, order expressions); every order ends with h.hh_no, h.id.
HOUSEHOLD_SORTS: dict[str, tuple[str, tuple[str, ...]]] = {
    "hh_no": ("", ()),
    "head_name": ("LEFT JOIN person hp ON hp.id = h.head_person_id", ("hp.name",)),
    "village": ("LEFT JOIN village v ON v.id = h.village_id", ("v.sort_order", "v.code", "v.name")),
    "group": ("LEFT JOIN village_group g ON g.id = h.group_id", ("g.village_id", "g.id")),
    "grid": ("LEFT JOIN grid gr ON gr.id = h.grid_id", ("gr.code", "gr.name")),
    "address": ("", ("h.address",)),
    "phone": ("", ("h.phone",)),
    "level": ("", ("CASE h.level WHEN '绿' THEN 0 WHEN '黄' THEN 1 WHEN '红' THEN 2 ELSE 3 END",)),
    "status": ("", ("h.status",)),
    "members": ("", ("(SELECT count(*) FROM person m WHERE m.household_id = h.id AND m.deleted = 0 "
                     "AND m.status IN ('在册', '外出'))",)),
    "tags": ("", ("(SELECT count(*) FROM household_tag ht WHERE ht.household_id = h.id AND ht.deleted = 0)",)),
    "center_name": ("LEFT JOIN party_center sc ON sc.id = h.center_id AND sc.deleted = 0 AND sc.ended_on IS NULL "
                    "LEFT JOIN person scp ON scp.id = sc.person_id", ("scp.name",)),
    "link_head_name": ("LEFT JOIN link_head sl ON sl.id = h.link_head_id AND sl.deleted = 0 AND sl.ended_on IS NULL "
                       "LEFT JOIN person slp ON slp.id = sl.person_id", ("slp.name",)),
}

_CENTER_FILTERS = ("covered", "uncovered")
_HEAD_FILTERS = ("linked", "unlinked")


def household_sql(query: HouseholdQuery, villages: Iterable[str] | None = None) -> tuple[str, list]:
    """The one SELECT of household ids matching ``query``, in its order (for household_ids and tests);
    ``villages``: only households of these villages (an account limited to them)."""
    q = query
    if q.sort not in HOUSEHOLD_SORTS:
        raise ValidationError(f"不能按“{q.sort}”排序", field="sort")
    if q.center not in (None, *_CENTER_FILTERS):
        raise ValidationError(f"中心户筛选条件“{q.center}”无效，应为 covered 或 uncovered", field="center")
    if q.head not in (None, *_HEAD_FILTERS):
        raise ValidationError(f"联户长筛选条件“{q.head}”无效，应为 linked 或 unlinked", field="head")
    # With a selective indexed filter, keep the planner off the whole-list indexes:
    # a unary + makes deleted/status unusable for index lookups (SQLite's documented hint).
    selective = bool(q.grid_id or q.tag_id or q.center_id or q.link_head_id) and not q.village_id
    plus = "+" if selective else ""
    where = Where(f"{plus}h.deleted = 0")
    if q.status:
        where.add(f"{plus}h.status = ?", q.status)
    for column, value in (("village_id", q.village_id), ("group_id", q.group_id), ("grid_id", q.grid_id),
                          ("level", q.level), ("center_id", q.center_id), ("link_head_id", q.link_head_id)):
        if value:
            where.add(f"h.{column} = ?", value)
    if villages is not None:
        limit = sorted(villages)
        where.add(f"h.village_id IN ({marks(len(limit))})", *limit)
    if q.tag_id:
        where.add("h.id IN (SELECT household_id FROM household_tag WHERE tag_id = ? AND deleted = 0)", q.tag_id)
    if q.center == "covered":
        where.add(f"h.center_id IN ({LIVE_CENTERS_SQL})")
    elif q.center == "uncovered":
        where.add(f"(h.center_id IS NULL OR h.center_id NOT IN ({LIVE_CENTERS_SQL}))")
    if q.head == "linked":
        where.add(f"h.link_head_id IN ({LIVE_HEADS_SQL})")
    elif q.head == "unlinked":
        where.add(f"(h.link_head_id IS NULL OR h.link_head_id NOT IN ({LIVE_HEADS_SQL}))")
    joins, keys = HOUSEHOLD_SORTS[q.sort]
    direction = " DESC" if q.descending else ""
    order = ", ".join(f"{k}{direction}" for k in (*keys, "h.hh_no", "h.id"))
    sql = f"SELECT h.id AS id FROM household h {joins} WHERE {where} ORDER BY {order}"
    return sql, where.params


def _plain_list_sql(q: HouseholdQuery) -> tuple[str, list] | None:
    """The fast form of the default list (by 户号, one status, optionally one village), else None.

    One aggregate over a scan of an index already in (户号, id) order, forced
    with INDEXED BY: no sorter and no subquery between the scan and
    group_concat, which halves the time of a county list. Rows reach an
    aggregate in the order of the loop that scans them;
    tests/services/test_registry_queries.py checks the result equals the
    ORDER BY form of :func:`household_sql`.
    """
    others = (q.group_id, q.grid_id, q.tag_id, q.level, q.center, q.head, q.center_id, q.link_head_id)
    if q.sort != "hh_no" or not q.status or any(others):
        return None
    if q.village_id:
        return ("SELECT group_concat(id, ',') FROM household INDEXED BY household_list_village "
                "WHERE village_id = ? AND deleted = 0 AND status = ?", [q.village_id, q.status])
    return ("SELECT group_concat(id, ',') FROM household INDEXED BY household_list "
            "WHERE deleted = 0 AND status = ?", [q.status])


def household_ids(session, query: HouseholdQuery | None = None, *, limit: int | None = None) -> list[str]:
    """Ids of the households matching ``query`` (default: live 在册 by 户号), in order.

    An account limited to some villages sees only their households. ``limit``:
    only the first ids (the list's first screen: about a millisecond on any
    ledger, where the whole list of a county takes a tenth of a second).
    """
    query = query or HouseholdQuery()
    allowed, within = village_limit(session), None
    if allowed is not None:
        if query.village_id and query.village_id not in allowed:
            return []
        if not query.village_id and len(allowed) == 1:
            query = replace(query, village_id=next(iter(allowed)))
        elif not query.village_id:
            within = allowed
    if limit is not None:
        sql, params = household_sql(query, within)
        with session.reading():
            return id_list(session, f"{sql} LIMIT ?", [*params, int(limit)])
    plain = _plain_list_sql(query) if within is None else None
    with session.reading():
        if plain is None:
            sql, params = household_sql(query, within)
            return id_list(session, sql, params)
        row = session.ledger.db.execute_sql(*plain).fetchone()
    ids = row[0].split(",") if row and row[0] else []
    if query.descending:
        ids.reverse()   # (户号, id) is a total order: its reverse is the DESC order
    return ids


@dataclass(frozen=True)
class HouseholdRow:
    id: str
    hh_no: str
    head_name: str
    village: str
    group: str
    grid: str
    address: str
    phone: str             # masked unless revealed
    level: str             # 绿 / 黄 / 红
    members: int           # live persons 在册 or 外出
    tags: tuple[str, ...]
    center_name: str       # center person of its live 中心户, '' when none
    link_head_name: str    # person of its live 联户长, '' when none
    status: str = "在册"
    village_id: str = ""
    center_id: str | None = None      # as stored (may name an ended 中心户)
    link_head_id: str | None = None


_SEP = "\x1f"

_HOUSEHOLD_ROW_SQL = """
    SELECT h.id, h.hh_no, coalesce(hp.name, ''), coalesce(v.name, ''), coalesce(g.name, ''),
           coalesce(gr.name, ''), h.address, h.phone, h.level,
           (SELECT count(*) FROM person m WHERE m.household_id = h.id AND m.deleted = 0
               AND m.status IN ('在册', '外出')),
           (SELECT group_concat(t.name, char(31)) FROM household_tag ht JOIN tag t ON t.id = ht.tag_id
             WHERE ht.household_id = h.id AND ht.deleted = 0 AND t.deleted = 0),
           coalesce(cp.name, ''), coalesce(lp.name, ''), h.status, h.village_id, h.center_id, h.link_head_id
      FROM household h
      LEFT JOIN person hp ON hp.id = h.head_person_id AND hp.deleted = 0
      LEFT JOIN village v ON v.id = h.village_id
      LEFT JOIN village_group g ON g.id = h.group_id
      LEFT JOIN grid gr ON gr.id = h.grid_id
      LEFT JOIN party_center c ON c.id = h.center_id AND c.deleted = 0 AND c.ended_on IS NULL
      LEFT JOIN person cp ON cp.id = c.person_id
      LEFT JOIN link_head l ON l.id = h.link_head_id AND l.deleted = 0 AND l.ended_on IS NULL
      LEFT JOIN person lp ON lp.id = l.person_id
     WHERE h.deleted = 0 AND h.id IN ({marks})"""


def _household_row(r: tuple, show: bool) -> HouseholdRow:
    tag_names = tuple(sorted(r[10].split(_SEP))) if r[10] else ()
    return HouseholdRow(r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7] if show else mask_phone(r[7]), r[8],
                        r[9], tag_names, r[11], r[12], r[13], r[14], r[15], r[16])


def household_rows(session, ids: Sequence[str], *, reveal: bool = False) -> list[HouseholdRow]:
    """Rows of the live households ``ids`` (one page), in the order given."""
    show = reveal and may_reveal(session)
    with session.reading():
        return rows_by_id(session, _HOUSEHOLD_ROW_SQL, ids, lambda r: _household_row(r, show))


@dataclass(frozen=True)
class PersonRow:
    id: str
    name: str
    gender: str
    birth_date: dt.date | None
    id_number: str         # masked unless revealed
    id_status: str         # valid / invalid / missing
    phone: str             # masked unless revealed
    relation: str
    status: str            # 在册 / 外出 / 迁出 / 去世
    is_party_member: bool
    household_id: str
    ethnicity: str = ""
    party_branch: str = ""
    party_joined_on: dt.date | None = None
    note: str = ""


@dataclass(frozen=True)
class HouseholdDetail:
    row: HouseholdRow
    persons: tuple[PersonRow, ...]   # live persons, 户主 first
    center_id: str | None            # live 中心户 covering it, else None
    link_head_id: str | None         # live 联户长 linking it, else None
    head_person_id: str | None = None
    group_id: str | None = None
    grid_id: str | None = None
    tag_ids: tuple[str, ...] = ()
    lat: float | None = None
    lon: float | None = None
    winter_pasture: str = ""
    summer_pasture: str = ""
    note: str = ""
    is_center_household: bool = False   # the household of a live 中心户


def household_detail(session, household_id: str, *, reveal: bool = False) -> HouseholdDetail:
    """Everything the household pane shows; NotFoundError when it does not exist or was deleted."""
    show = reveal and may_reveal(session)
    with session.reading():
        listed = household_rows(session, [household_id], reveal=reveal)
        if not listed:
            raise NotFoundError(f"户不存在或已删除（{household_id}）")
        extra = rows(session, """
            SELECT h.head_person_id, h.group_id, h.grid_id, h.lat, h.lon, h.winter_pasture, h.summer_pasture,
                   h.note,
                   (SELECT c.id FROM party_center c WHERE c.id = h.center_id AND c.deleted = 0
                       AND c.ended_on IS NULL),
                   (SELECT l.id FROM link_head l WHERE l.id = h.link_head_id AND l.deleted = 0
                       AND l.ended_on IS NULL),
                   EXISTS (SELECT 1 FROM party_center c WHERE c.household_id = h.id AND c.deleted = 0
                       AND c.ended_on IS NULL)
              FROM household h WHERE h.id = ?""", (household_id,))[0]
        tag_ids = tuple(r[0] for r in rows(session, "SELECT tag_id FROM household_tag WHERE household_id = ? "
                                                     "AND deleted = 0 ORDER BY tag_id", (household_id,)))
        people = rows(session, """
            SELECT id, name, gender, birth_date, id_number, id_status, phone, relation, status, is_party_member,
                   household_id, ethnicity, party_branch, party_joined_on, note
              FROM person WHERE household_id = ? AND deleted = 0 ORDER BY id = ? DESC, id""",
                       (household_id, extra[0] or ""))
    persons = tuple(PersonRow(p[0], p[1], p[2], stored_date(p[3]), p[4] if show else mask_id_number(p[4]), p[5],
                              p[6] if show else mask_phone(p[6]), p[7], p[8], bool(p[9]), p[10], p[11], p[12],
                              stored_date(p[13]), p[14]) for p in people)
    head, group, grid, lat, lon, winter, summer, note, center_id, head_id, is_center = extra
    return HouseholdDetail(listed[0], persons, center_id, head_id, head, group, grid, tag_ids, lat, lon, winter,
                           summer, note, bool(is_center))


# -- 中心户 and 联户长 ----------------------------------------------------------------------


@dataclass(frozen=True)
class CenterQuery:
    village_id: str | None = None
    problem: str | None = None      # None | "out_of_bounds" | "invalid"
    include_ended: bool = False


@dataclass(frozen=True)
class _OwnerRow:
    """What a 中心户 row and a 联户长 row both show."""

    id: str
    village: str
    household_id: str
    hh_no: str
    person_id: str
    person_name: str
    households: int                 # live 在册 households it covers
    minimum: int
    maximum: int
    within_bounds: bool
    invalid_reason: str             # '' when valid
    village_id: str = ""
    designated_on: dt.date | None = None
    ended_on: dt.date | None = None


@dataclass(frozen=True)
class CenterRow(_OwnerRow):
    types: tuple[str, ...] = ()     # codes of core.vocab.CENTER_TYPES, in that order


@dataclass(frozen=True)
class HeadRow(_OwnerRow):
    pass


def owner_count_sql(kind: str, alias: str) -> str:
    """SQL expression: live 在册 households naming the 中心户 / 联户长 ``alias`` (index-only count)."""
    column = _KINDS[kind][1]
    index = "household_center_cover" if kind == "center" else "household_head_cover"
    return (f"(SELECT count(*) FROM household x INDEXED BY {index} WHERE x.{column} = {alias}.id "
            f"AND x.deleted = 0 AND x.status = '在册')")


def _owner_ids(session, kind: str, query: CenterQuery) -> list[str]:
    table = _KINDS[kind][0]
    if query.problem not in (None, "out_of_bounds", "invalid"):
        raise ValidationError(f"筛选条件“{query.problem}”无效，应为 out_of_bounds 或 invalid", field="problem")
    where = Where("c.deleted = 0")
    if not query.include_ended:
        where.add("c.ended_on IS NULL")
    if query.village_id:
        where.add("c.village_id = ?", query.village_id)
    if query.problem == "out_of_bounds":
        where.add(f"{owner_count_sql(kind, 'c')} NOT BETWEEN ? AND ?", *bounds(session, kind))
    elif query.problem == "invalid":
        where.add(f"{invalid_reason_sql('c', 'p', center=kind == 'center')} <> ''")
    sql = (f"SELECT c.id AS id FROM {table} c LEFT JOIN village v ON v.id = c.village_id "
           f"LEFT JOIN household hh ON hh.id = c.household_id LEFT JOIN person p ON p.id = c.person_id "
           f"WHERE {where} ORDER BY {VILLAGE_ORDER}, hh.hh_no, c.id")
    with session.reading():
        return id_list(session, sql, where.params)


def _owner_rows(session, kind: str, ids: Sequence[str], row_type: type[_OwnerRow]) -> list:
    """Rows (``row_type``) of the 中心户 (``kind`` "center") or 联户长 ``ids``, in that order."""
    table = _KINDS[kind][0]
    types = "c.types" if kind == "center" else "''"
    lo, hi = bounds(session, kind)
    sql = (f"SELECT c.id, coalesce(v.name, ''), c.household_id, coalesce(hh.hh_no, ''), c.person_id, "
           f"coalesce(p.name, ''), {types}, {owner_count_sql(kind, 'c')}, "
           f"{invalid_reason_sql('c', 'p', center=kind == 'center')}, c.village_id, c.designated_on, "
           f"c.ended_on FROM {table} c LEFT JOIN village v ON v.id = c.village_id "
           f"LEFT JOIN household hh ON hh.id = c.household_id LEFT JOIN person p ON p.id = c.person_id "
           "WHERE c.deleted = 0 AND c.id IN ({marks})")

    def make(r: tuple):
        extra = {"types": center_types(r[6])} if kind == "center" else {}
        return row_type(r[0], r[1], r[2], r[3], r[4], r[5], r[7], lo, hi, lo <= r[7] <= hi, r[8], r[9],
                        stored_date(r[10]), stored_date(r[11]), **extra)

    with session.reading():
        return rows_by_id(session, sql, ids, make)


def center_types(value: str | None) -> tuple[str, ...]:
    """The 六大员 codes of a stored comma list, in CENTER_TYPES order (unknown codes dropped)."""
    chosen = {t.strip() for t in (value or "").split(",")}
    return tuple(t for t in CENTER_TYPES if t in chosen)


def center_ids(session, query: CenterQuery | None = None) -> list[str]:
    """Ids of live 中心户 (by village, then 户号) matching ``query``."""
    return _owner_ids(session, "center", query or CenterQuery())


def center_rows(session, ids: Sequence[str]) -> list[CenterRow]:
    return _owner_rows(session, "center", ids, CenterRow)


def link_head_ids(session, query: CenterQuery | None = None) -> list[str]:
    """Ids of live 联户长 (by village, then 户号) matching ``query``."""
    return _owner_ids(session, "link_head", query or CenterQuery())


def link_head_rows(session, ids: Sequence[str]) -> list[HeadRow]:
    return _owner_rows(session, "link_head", ids, HeadRow)
