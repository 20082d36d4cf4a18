"""Reading the problem ledger (问题台账): lists, filters, one problem's detail, the derived state table.

The truth is the immutable ``problem_event`` log; a problem's state is its
fold by :func:`ledgerdesk.core.lifecycle.derive`. For list speed at county
scale the fold of every problem is kept in the LOCAL table ``problem_state``
(db/migrations/0004_problem_state.sql): :mod:`ledgerdesk.services.ledger`
rewrites a problem's row in the same transaction as each event it writes, and
:func:`rebuild_problem_state` recomputes it from the events (after a demo build
or a sync import). Overdue and yellow cards depend on "today"
(``session.ledger.clock``) and are never stored.

Reads return plain frozen dataclasses and id lists; the public API is
re-exported by :mod:`ledgerdesk.services.ledger`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from itertools import groupby
from typing import Iterable, Sequence

from ledgerdesk.core import lifecycle as L
from ledgerdesk.core import workdays
from ledgerdesk.core.dates import stored_date
from ledgerdesk.core.errors import NotFoundError, ValidationError
from ledgerdesk.core.lifecycle import Event, ProblemState
from ledgerdesk.core.masking import mask_phone
from ledgerdesk.core.text import clean
from ledgerdesk.services.permissions import may_reveal, village_limit
from ledgerdesk.services.registry_common import setting_int
from ledgerdesk.services.sql import Where, chunks, marks, rows_by_id

# -- 三定三问一反馈 markers -----------------------------------------------------------------------

CENTER_UNIT = "党员中心户"  # responsible_unit of a 交办 that is a 中心户 claiming the problem
STUDY_PREFIX = "支部研究："  # 办理 note of the branch's study
FEEDBACK_PREFIX = "书记反馈："  # 办结 (or 办理) note of the secretary's feedback
GRID_SOURCE = "网格员巡查"

STAGE_FIND = "网格员找问题"
STAGE_CLAIM = "党员中心户领问题"
STAGE_STUDY = "党支部研究问题"
STAGE_FEEDBACK = "支部书记反馈问题"
THREE_STEP_STAGES = (STAGE_FIND, STAGE_CLAIM, STAGE_STUDY, STAGE_FEEDBACK)

# -- status groups for ProblemQuery.status -------------------------------------------------------

OPEN = "未办结"  # 登记 / 已交办 / 办理中
DONE = "办结"  # 已办结 / 已评价 / 已销号 — counted as 办结数
STATUS_GROUPS = {OPEN: L.UNRESOLVED_STATES, DONE: L.RESOLVED_STATES}

STALE_SETTING = "yellow_card.stale_days"

# Columns of problem_event in the order of core.lifecycle.Event's fields.
_EVENT_COLS = ("kind", "at", "id", "actor", "note", "responsible_person", "responsible_unit", "deadline",
               "deadline_kind", "reason", "approved_by", "rating", "rated_by", "rating_method", "revisit_result",
               "merged_into_id")
_EVENT_SELECT = ", ".join(_EVENT_COLS)


# -- results ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CategoryInfo:
    id: str
    domain: str
    name: str


@dataclass(frozen=True)
class ProblemQuery:
    """Filters of the problem list; every given filter must hold (None = any).

    ``status``: a state (``"办理中"`` …), :data:`OPEN` (未办结), :data:`DONE` (办结)
    or a collection of states. ``overdue``/``yellow``: True only those, False
    only the others. ``responsible``: equal to the responsible person or unit.
    ``month``: ``"YYYY-MM"`` of registration. ``text``: part of the title,
    description, number, 12345 ticket number or reporter.
    """

    status: str | Iterable[str] | None = None
    overdue: bool | None = None
    yellow: bool | None = None
    source: str | None = None
    village_id: str | None = None
    responsible: str | None = None
    month: str | None = None
    text: str | None = None
    category_id: str | None = None
    urgency: str | None = None
    household_id: str | None = None
    year: int | None = None
    sort: str = "registered_at"  # registered_at | number | deadline | state | urgency
    descending: bool = True


@dataclass(frozen=True)
class ProblemRow:
    id: str
    number: str
    title: str
    source: str
    village: str
    category: str
    urgency: str
    registered_at: dt.datetime
    responsible_person: str
    responsible_unit: str
    deadline: dt.date | None
    state: str
    overdue: bool
    yellow: bool
    provisional: bool = False  # the number is a device's provisional one
    flagged: bool = False  # events were skipped as illegal (sync): needs review


@dataclass(frozen=True)
class EventView:
    """One step of a problem's history, for the detail view."""

    id: str
    kind: str
    at: dt.datetime
    actor: str
    note: str
    responsible_person: str
    responsible_unit: str
    deadline: dt.date | None
    deadline_kind: str | None
    reason: str
    approved_by: str
    rating: str | None
    rated_by: str
    rating_method: str
    revisit_result: str
    merged_into_id: str | None
    summary: str  # one Chinese line describing the step


@dataclass(frozen=True)
class ProblemDetail:
    id: str
    number: str
    ledger_no: str
    provisional_no: str
    title: str
    description: str
    source: str
    hotline_no: str
    category_id: str | None
    category: str
    category_domain: str
    urgency: str
    village_id: str | None
    village: str
    grid_id: str | None
    grid: str
    household_ids: tuple[str, ...]
    households: tuple[str, ...]  # "户号 户主" labels, same order as household_ids
    reporter: str
    reporter_phone: str  # masked unless revealed
    registered_at: dt.datetime
    state: str
    status: ProblemState  # the full derived state (responsible, deadline, rating, revisits, flags …)
    responsible_person: str
    responsible_unit: str
    deadline: dt.date | None
    deadline_kind: str | None
    deadline_notice: str  # Chinese notice when the working-day deadline is approximate, else ""
    overdue: bool
    yellow: bool
    yellow_reason: str
    yellow_since: dt.date | None
    three_step_stage: str  # one of THREE_STEP_STAGES, "" when not in 三定三问一反馈
    merged_into: str  # number of the problem this one was merged into, else ""
    flags: tuple[str, ...]
    events: tuple[EventView, ...]
    legal_actions: tuple[str, ...]


# -- small helpers ------------------------------------------------------------------------------


def stale_days(session) -> int | None:
    """The ``yellow_card.stale_days`` setting: days without a progress note that raise a card; None = off."""
    n = setting_int(session, STALE_SETTING)
    return n if n > 0 else None


def today_of(session, today: dt.date | None = None) -> dt.date:
    return today or session.ledger.clock.today()


def _dt(value) -> dt.datetime | None:
    return dt.datetime.fromisoformat(value) if value else None


def event_from_row(row: Sequence) -> Event:
    """An Event from a row selected as :data:`_EVENT_COLS` (fast path of ``Event.from_row``)."""
    values = list(row)
    values[1] = dt.datetime.fromisoformat(values[1])
    if values[7]:
        values[7] = dt.date.fromisoformat(values[7])
    return Event(*values)


def load_events(db, problem_id: str) -> list[Event]:
    """A problem's live events, in replay order."""
    rows = db.execute_sql(f"SELECT {_EVENT_SELECT} FROM problem_event WHERE problem_id = ? AND deleted = 0 "
                          "ORDER BY at, id", (problem_id,)).fetchall()
    return [event_from_row(r) for r in rows]


def events_of(db, problem_ids: Sequence[str]) -> dict[str, list[Event]]:
    """Live events of several problems, each list in replay order."""
    out: dict[str, list[Event]] = {}
    for part in chunks(problem_ids):
        rows = db.execute_sql(
            f"SELECT problem_id, {_EVENT_SELECT} FROM problem_event WHERE deleted = 0 AND problem_id IN "
            f"({marks(len(part))}) ORDER BY problem_id, at, id", part).fetchall()
        for pid, group in groupby(rows, key=lambda r: r[0]):
            out[pid] = [event_from_row(r[1:]) for r in group]
    return out


def fold(events: Iterable[Event]) -> ProblemState:
    """The current state of a problem's events: :func:`lifecycle.derive`, lenient (synced logs may interleave)."""
    return L.derive(events)


def _iso(value) -> str | None:
    if value is None:
        return None
    return value.isoformat(" ") if isinstance(value, dt.datetime) else value.isoformat()


def state_values(problem_id: str, s: ProblemState) -> tuple:
    """A problem_state row for ``s``."""
    return (problem_id, s.state, _iso(s.registered_at), s.responsible_person, s.responsible_unit,
            _iso(s.dispatched_at), _iso(s.deadline), s.deadline_kind, _iso(s.original_deadline), s.extensions,
            _iso(s.handling_since), _iso(s.last_note_at), _iso(s.resolved_at), s.rating, _iso(s.closed_at),
            _iso(s.updated_at), len(s.flags))


_STATE_INSERT = (
    "INSERT OR REPLACE INTO problem_state (problem_id, state, registered_at, responsible_person, responsible_unit, "
    "dispatched_at, deadline, deadline_kind, original_deadline, extensions, handling_since, last_note_at, "
    "resolved_at, rating, closed_at, updated_at, flags) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)")


def store_states(db, rows: Iterable[tuple]) -> None:
    """Write many problem_state rows (:func:`state_values` tuples) at once: bulk loads such as the demo."""
    db.connection().executemany(_STATE_INSERT, rows)


def store_state(db, problem_id: str, state: ProblemState) -> None:
    """Write one problem's derived state (call inside the transaction that wrote its event)."""
    db.execute_sql(_STATE_INSERT, state_values(problem_id, state))


def rebuild_problem_state(session, problem_ids: Iterable[str] | None = None) -> int:
    """Recompute ``problem_state`` from the events: all problems, or only ``problem_ids``; returns rows written.

    For the demo builder and sync import (after new events arrived). Joins the
    caller's write transaction if there is one, else runs in its own.
    Problems without any live event (or tombstoned) get no row.
    """
    db = session.ledger.db
    with db.atomic():
        if problem_ids is None:
            db.execute_sql("DELETE FROM problem_state")
            cursor = db.execute_sql(
                f"SELECT problem_id, {_EVENT_SELECT} FROM problem_event WHERE deleted = 0 "
                "AND problem_id IN (SELECT id FROM problem WHERE deleted = 0) ORDER BY problem_id, at, id")
            return _store_folds(db, cursor)
        written = 0
        for part in chunks(dict.fromkeys(problem_ids)):
            places = marks(len(part))
            db.execute_sql(f"DELETE FROM problem_state WHERE problem_id IN ({places})", part)
            cursor = db.execute_sql(
                f"SELECT problem_id, {_EVENT_SELECT} FROM problem_event WHERE deleted = 0 AND problem_id IN "
                f"({places}) AND problem_id IN (SELECT id FROM problem WHERE deleted = 0) "
                "ORDER BY problem_id, at, id", part)
            written += _store_folds(db, cursor)
        return written


def _store_folds(db, cursor) -> int:
    batch, written = [], 0
    conn = db.connection()
    for pid, group in groupby(cursor, key=lambda r: r[0]):
        batch.append(state_values(pid, fold(event_from_row(r[1:]) for r in group)))
        if len(batch) >= 5000:
            conn.executemany(_STATE_INSERT, batch)
            written += len(batch)
            batch = []
    if batch:
        conn.executemany(_STATE_INSERT, batch)
        written += len(batch)
    return written


def stored_state(db, problem_id: str) -> tuple | None:
    """The problem_state row of a problem as stored (tests compare it with :func:`state_values`)."""
    return db.execute_sql("SELECT * FROM problem_state WHERE problem_id = ?", (problem_id,)).fetchone()


def partial_state(state: str | None, deadline, last_note_at, handling_since) -> ProblemState:
    """Enough of a ProblemState (from problem_state columns) for is_overdue and yellow_card."""
    return ProblemState(state=state or L.UNREGISTERED, deadline=stored_date(deadline), last_note_at=_dt(last_note_at),
                        handling_since=_dt(handling_since))


def allowed_kinds(role: str, state: ProblemState) -> tuple[str, ...]:
    """lifecycle.legal_kinds(state) ∩ what ``role`` may record."""
    return tuple(k for k in L.legal_kinds(state) if role in L.PERMISSIONS.get(k, ()))


def three_step_stage(source: str, events: Sequence[Event]) -> str:
    """How far a problem has come through 三定三问一反馈; "" when it is not in that flow.

    找 = registered from a grid patrol (source 网格员巡查); 领 = a 交办 to the unit
    党员中心户; 研 = a 办理 note starting "支部研究："; 反馈 = a 办结 or 办理 note
    starting "书记反馈：". The latest stage reached is returned (a later stage
    counts even if an earlier one was skipped).
    """
    study, fed_back = (STUDY_PREFIX, STUDY_PREFIX[:-1] + ":"), (FEEDBACK_PREFIX, FEEDBACK_PREFIX[:-1] + ":")
    reached = 0
    if source == GRID_SOURCE:
        reached = 1
    for e in events:
        if e.kind == L.DISPATCH and e.responsible_unit == CENTER_UNIT:
            reached = max(reached, 2)
        elif e.kind == L.PROGRESS and e.note.startswith(study):
            reached = max(reached, 3)
        elif e.kind in (L.PROGRESS, L.RESOLVE) and e.note.startswith(fed_back):
            reached = max(reached, 4)
    return THREE_STEP_STAGES[reached - 1] if reached else ""


def deadline_notice(state: ProblemState) -> str:
    """A Chinese notice when the working-day deadline was computed from the approximate calendar."""
    if state.deadline is None or state.deadline_kind != workdays.WORKING_DAYS:
        return ""
    start = (state.dispatched_at or state.registered_at or dt.datetime.combine(state.deadline, dt.time())).date()
    years = [y for y in range(min(start.year, state.deadline.year), state.deadline.year + 1)
             if not workdays.covered(y)]
    if not years:
        return ""
    listed = "、".join(f"{y}年" for y in years)
    return (f"提示：{listed}的法定节假日安排尚未收录，办理期限按近似工作日历推算（仅扣除周末和元旦、劳动节、国庆节），"
            "春节等节假日和调休未计入，请人工核对期限。")


# -- categories ---------------------------------------------------------------------------------


def categories(session) -> list[CategoryInfo]:
    """Live problem categories in their display order."""
    with session.reading():
        rows = session.ledger.db.execute_sql(
            "SELECT id, domain, name FROM category WHERE deleted = 0 ORDER BY sort_order, domain, name").fetchall()
    return [CategoryInfo(*r) for r in rows]


# -- the list -----------------------------------------------------------------------------------

_SORTS = {
    "registered_at": "p.registered_at",
    "number": "CASE WHEN p.ledger_no != '' THEN p.ledger_no ELSE p.provisional_no END",
    "deadline": "s.deadline",
    "state": "s.state",
    "urgency": "CASE p.urgency WHEN '急难险重' THEN 2 WHEN '紧急' THEN 1 ELSE 0 END",
}


def _month_range(month: str) -> tuple[str, str]:
    try:
        start = dt.date.fromisoformat(f"{month}-01")
    except (TypeError, ValueError):
        raise ValidationError(f"月份应写作“2026-11”的形式，实际为“{month}”", field="month") from None
    end = dt.date(start.year + (start.month == 12), start.month % 12 + 1, 1)
    return start.isoformat(), end.isoformat()


def _states_of(status) -> tuple[str, ...]:
    if isinstance(status, str):
        if status in STATUS_GROUPS:
            return tuple(sorted(STATUS_GROUPS[status]))
        states = (status,)
    else:
        states = tuple(status)
    unknown = [s for s in states if s not in L.STATES]
    if unknown:
        raise ValidationError(f"未知的问题状态“{'、'.join(unknown)}”", field="status")
    return states


def _like(text: str) -> str:
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _overdue_sql(today: dt.date) -> tuple[str, list]:
    return (f"(s.state IN ({marks(len(L.UNRESOLVED_STATES))}) AND s.deadline IS NOT NULL AND s.deadline < ?)",
            [*sorted(L.UNRESOLVED_STATES), today.isoformat()])


def _yellow_sql(today: dt.date, stale: int | None) -> tuple[str, list]:
    sql, params = _overdue_sql(today)
    if stale is None:
        return sql, params
    cutoff = (today - dt.timedelta(days=stale - 1)).isoformat()  # idle >= stale  <=>  mark < today - stale + 1
    stale_sql = ("(s.state IN (?, ?) AND coalesce(s.last_note_at, s.handling_since) IS NOT NULL "
                 "AND max(coalesce(s.last_note_at, ''), coalesce(s.handling_since, '')) < ?)")
    return f"({sql} OR {stale_sql})", [*params, L.DISPATCHED, L.IN_PROGRESS, cutoff]


def problem_ids(session, query: ProblemQuery | None = None, *, today: dt.date | None = None,
                limit: int | None = None) -> list[str]:
    """Ids of the live problems matching ``query``, sorted as it asks (filters and sort in SQL).

    ``limit``: only the first ids (the list's first screen).
    """
    q = query or ProblemQuery()
    where = Where("p.deleted = 0")
    today = today_of(session, today)
    if q.status is not None:
        states = _states_of(q.status)
        where.add(f"s.state IN ({marks(len(states))})", *states)
    if q.overdue is not None:
        sql, p = _overdue_sql(today)
        where.add(sql if q.overdue else f"NOT coalesce({sql}, 0)", *p)
    where.equal("p.source", q.source).equal("p.village_id", q.village_id).equal("p.category_id", q.category_id)
    allowed = village_limit(session)
    if allowed is not None:  # an account limited to some villages sees only their problems
        villages = sorted(allowed)
        where.add(f"p.village_id IN ({marks(len(villages))})", *villages)
    where.equal("p.urgency", q.urgency).equal("p.year", None if q.year is None else int(q.year))
    if q.responsible:
        who = clean(q.responsible)
        where.add("(s.responsible_person = ? OR s.responsible_unit = ?)", who, who)
    if q.month:
        where.add("p.registered_at >= ? AND p.registered_at < ?", *_month_range(q.month))
    if q.household_id is not None:
        where.add("p.id IN (SELECT problem_id FROM problem_household WHERE household_id = ? AND deleted = 0)",
                  q.household_id)
    if q.text and clean(q.text):
        pattern = _like(clean(q.text))
        cols = ("p.title", "p.description", "p.ledger_no", "p.provisional_no", "p.hotline_no", "p.reporter")
        where.add("(" + " OR ".join(f"{c} LIKE ? ESCAPE '\\'" for c in cols) + ")", *[pattern] * len(cols))
    with session.reading():
        if q.yellow is not None:
            sql, p = _yellow_sql(today, stale_days(session))
            where.add(sql if q.yellow else f"NOT coalesce({sql}, 0)", *p)
        try:
            order = _SORTS[q.sort]
        except KeyError:
            raise ValidationError(f"不支持按“{q.sort}”排序", field="sort") from None
        direction = "DESC" if q.descending else "ASC"
        sql = (f"SELECT p.id FROM problem p LEFT JOIN problem_state s ON s.problem_id = p.id "
               f"WHERE {where} ORDER BY {order} {direction}, p.registered_at {direction}, p.id")
        params = list(where.params)
        if limit is not None:
            sql += " LIMIT ?"
            params.append(int(limit))
        return [r[0] for r in session.ledger.db.execute_sql(sql, params)]


_ROW_SQL = (
    "SELECT p.id, p.ledger_no, p.provisional_no, p.title, p.source, coalesce(v.name, ''), coalesce(c.name, ''), "
    "p.urgency, p.registered_at, s.responsible_person, s.responsible_unit, s.deadline, s.state, s.last_note_at, "
    "s.handling_since, s.flags "
    "FROM problem p LEFT JOIN problem_state s ON s.problem_id = p.id "
    "LEFT JOIN village v ON v.id = p.village_id LEFT JOIN category c ON c.id = p.category_id "
    "WHERE p.deleted = 0 AND p.id IN ({marks})")


def problem_rows(session, ids: Sequence[str], *, today: dt.date | None = None) -> list[ProblemRow]:
    """Rows for ``ids``, in the same order; ids of missing or deleted problems are left out."""
    today = today_of(session, today)
    db = session.ledger.db

    def make(r: tuple) -> ProblemRow:
        (pid, ledger_no, provisional_no, title, source, village, category, urgency, registered_at,
         person, unit, deadline, state, last_note_at, handling_since, flags) = r
        if state is None:  # not in problem_state yet (e.g. a sync import before the rebuild)
            s = fold(load_events(db, pid))
            state, person, unit, deadline = s.state, s.responsible_person, s.responsible_unit, _iso(s.deadline)
            last_note_at, handling_since, flags = _iso(s.last_note_at), _iso(s.handling_since), len(s.flags)
        ps = partial_state(state, deadline, last_note_at, handling_since)
        return ProblemRow(
            pid, ledger_no or provisional_no, title, source, village, category, urgency,
            _dt(registered_at), person or "", unit or "", ps.deadline, state, ps.is_overdue(today),
            ps.yellow_card(today, stale) is not None, provisional=not ledger_no, flagged=bool(flags))

    with session.reading():
        stale = stale_days(session)
        return rows_by_id(session, _ROW_SQL, ids, make)


# -- one problem --------------------------------------------------------------------------------


def _summary(e: Event, numbers: dict[str, str]) -> str:
    k = e.kind
    if k == L.REGISTER:
        return "登记" + (f"：{e.note}" if e.note else "")
    if k == L.DISPATCH:
        who = "、".join(x for x in (e.responsible_unit, e.responsible_person) if x)
        due = f"，期限{e.deadline.isoformat()}" if e.deadline else ""
        return f"交办给{who}{due}" + (f"（{e.deadline_kind}）" if e.deadline_kind else "") + (
            f"：{e.note}" if e.note else "")
    if k == L.EXTEND:
        return f"延期至{e.deadline.isoformat() if e.deadline else ''}，理由：{e.reason}，批准人：{e.approved_by}"
    if k == L.RATE:
        by = f"（{e.rated_by}，{e.rating_method}）" if e.rated_by or e.rating_method else ""
        return f"群众评价：{e.rating}{by}"
    if k == L.REVISIT:
        return f"回访：{e.revisit_result or e.note}"
    if k == L.MERGE:
        return f"合并到问题{numbers.get(e.merged_into_id or '', e.merged_into_id or '')}" + (
            f"：{e.note}" if e.note else "")
    if k in (L.RETURN, L.REOPEN, L.VOID):
        return f"{k}：{e.reason or e.note}"
    return f"{k}：{e.note}" if e.note else k


def _numbers(db, ids: Iterable[str]) -> dict[str, str]:
    ids = [i for i in set(ids) if i]
    if not ids:
        return {}
    rows = db.execute_sql(f"SELECT id, ledger_no, provisional_no FROM problem WHERE id IN ({marks(len(ids))})",
                          ids).fetchall()
    return {r[0]: r[1] or r[2] for r in rows}


def problem_detail(session, problem_id: str, *, reveal: bool = False, today: dt.date | None = None) -> ProblemDetail:
    """Everything about one problem: its fields, its events, its derived state and what this user may do next.

    ``reveal`` shows the reporter's phone in full, only for roles that may
    (:func:`~ledgerdesk.services.permissions.may_reveal`).
    """
    from ledgerdesk.services.yellow_cards import card_since

    today = today_of(session, today)
    db = session.ledger.db
    with session.reading():
        row = db.execute_sql(
            "SELECT p.ledger_no, p.provisional_no, p.title, p.description, p.source, p.hotline_no, p.category_id, "
            "coalesce(c.name, ''), coalesce(c.domain, ''), p.urgency, p.village_id, coalesce(v.name, ''), p.grid_id, "
            "coalesce(g.name, ''), p.reporter, p.reporter_phone, p.registered_at FROM problem p "
            "LEFT JOIN category c ON c.id = p.category_id LEFT JOIN village v ON v.id = p.village_id "
            "LEFT JOIN grid g ON g.id = p.grid_id WHERE p.id = ? AND p.deleted = 0", (problem_id,)).fetchone()
        if row is None:
            raise NotFoundError("找不到该问题，可能已被删除")
        (ledger_no, provisional_no, title, description, source, hotline_no, category_id, category, domain, urgency,
         village_id, village, grid_id, grid, reporter, reporter_phone, registered_at) = row
        households = db.execute_sql(
            "SELECT h.id, h.hh_no, coalesce(pe.name, '') FROM problem_household ph JOIN household h "
            "ON h.id = ph.household_id LEFT JOIN person pe ON pe.id = h.head_person_id "
            "WHERE ph.problem_id = ? AND ph.deleted = 0 ORDER BY h.hh_no, h.id", (problem_id,)).fetchall()
        events = load_events(db, problem_id)
        stale = stale_days(session)
        numbers = _numbers(db, [e.merged_into_id for e in events if e.merged_into_id])
    state = fold(events)
    yellow = state.yellow_card(today, stale)
    views = tuple(EventView(e.id, e.kind, e.at, e.actor, e.note, e.responsible_person, e.responsible_unit,
                            e.deadline, e.deadline_kind, e.reason, e.approved_by, e.rating, e.rated_by,
                            e.rating_method, e.revisit_result, e.merged_into_id, _summary(e, numbers))
                  for e in events)
    phone = reporter_phone if reveal and may_reveal(session) else mask_phone(reporter_phone)
    return ProblemDetail(
        problem_id, ledger_no or provisional_no, ledger_no, provisional_no, title, description, source, hotline_no,
        category_id, category, domain, urgency, village_id, village, grid_id, grid,
        tuple(h[0] for h in households), tuple(f"{h[1]} {h[2]}".strip() for h in households), reporter, phone,
        _dt(registered_at), state.state, state, state.responsible_person, state.responsible_unit, state.deadline,
        state.deadline_kind, deadline_notice(state), state.is_overdue(today), yellow is not None, yellow or "",
        card_since(events, today, stale) if yellow else None, three_step_stage(source, events),
        numbers.get(state.merged_into_id or "", state.merged_into_id or ""), state.flags, views,
        allowed_kinds(session.role, state))
