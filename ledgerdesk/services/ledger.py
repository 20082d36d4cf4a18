"""The problem-to-closure ledger (问题台账, 挂号 → 销号): every step a service call.

Each step writes ONE immutable ``problem_event`` through the versioned writer,
in one transaction, after two checks that come from
:mod:`ledgerdesk.core.lifecycle`, not from here:

1. :func:`~ledgerdesk.core.lifecycle.check_permission` — may this role record
   this kind of event (a 录入员 records facts; 交办, 延期, 退回, 销号, 合并,
   撤销, 重新打开 are the 书记's or 管理员's; 只读 records nothing);
2. :func:`~ledgerdesk.core.lifecycle.apply` on the state derived from the
   problem's events — an illegal step raises
   :class:`~ledgerdesk.core.ledger_errors.IllegalTransitionError`, a missing
   field :class:`~ledgerdesk.core.errors.ValidationError`, and nothing is written.

The new state is then stored in the local ``problem_state`` table in the same
transaction (see :mod:`ledger_queries`). Deadlines are computed by
:func:`ledgerdesk.core.workdays.deadline` (calendar or Chinese working days).
Ledger numbers: :mod:`ledger_numbers`. Yellow cards: :mod:`yellow_cards`.

三定三问一反馈 (find → claim → study → feed back):

* find: :func:`register_problem` with source 网格员巡查 (the grid worker as reporter);
* claim: :func:`claim_by_center` — a 交办 to the unit 党员中心户 with the center
  person as responsible person;
* study: :func:`branch_study` — a 办理 note "支部研究：…";
* feed back: :func:`feedback` — by a 书记 (or 管理员) only. Decision: the
  secretary's feedback to the resident is the resolution report, so it is a
  办结 with the note "书记反馈：…" when the problem is dispatched or in
  progress; with ``resolved=False`` (the problem cannot be solved yet and the
  resident is told why and what happens next) it is a 办理 note "书记反馈：…"
  and the problem stays in progress. In any other state it is refused like
  any illegal step. :attr:`ProblemDetail.three_step_stage` shows how far a
  problem has come.

Reads (lists, detail, categories) live in :mod:`ledger_queries` and are
re-exported here, so ``ledgerdesk.services.ledger`` is the whole API.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from dataclasses import dataclass
from typing import Iterable

from ledgerdesk.core import lifecycle as L
from ledgerdesk.core import workdays
from ledgerdesk.core.dates import date_arg
from ledgerdesk.core.errors import NotFoundError, ValidationError
from ledgerdesk.core.ids import link_id, uuid7
from ledgerdesk.core.ledger_errors import IllegalTransitionError, PermissionDeniedError  # noqa: F401 (re-exported)
from ledgerdesk.core.lifecycle import Event, ProblemState
from ledgerdesk.core.phone import normalise_phone, phone_problem
from ledgerdesk.core.text import clean, clean_code
from ledgerdesk.core.vocab import HOTLINE_SOURCE, RATING_METHODS, SOURCES, URGENCIES
from ledgerdesk.services import audit, ledger_numbers
from ledgerdesk.services.ledger_numbers import (  # noqa: F401 (re-exported)
    NotNumberingAuthorityError, assign_official_numbers, is_numbering_authority, make_numbering_authority,
)
from ledgerdesk.services.ledger_queries import (  # noqa: F401 (re-exported)
    CENTER_UNIT, DONE, FEEDBACK_PREFIX, OPEN, STUDY_PREFIX, THREE_STEP_STAGES, CategoryInfo, EventView,
    ProblemDetail, ProblemQuery, ProblemRow, allowed_kinds, categories, fold, load_events, problem_detail,
    problem_ids, problem_rows, rebuild_problem_state, store_state,
)
from ledgerdesk.services.permissions import REVIEWERS, require, require_village
from ledgerdesk.services.sql import marks
from ledgerdesk.services.yellow_cards import (  # noqa: F401 (re-exported)
    YellowCard, YellowCardCounts, yellow_card_counts, yellow_cards,
)
from ledgerdesk.store.models import Problem, ProblemEvent, ProblemHousehold

#: Deadline given at 交办 when neither ``days`` nor ``deadline`` is: by urgency (days, kind).
DEFAULT_DEADLINES = {
    "一般": (15, workdays.WORKING_DAYS),
    "紧急": (5, workdays.WORKING_DAYS),
    "急难险重": (3, workdays.CALENDAR_DAYS),
}
MAX_DAYS = 366


@dataclass(frozen=True)
class ProblemRef:
    """A registered problem: its id and its ledger number (official, else provisional)."""

    id: str
    number: str


@dataclass(frozen=True)
class StepResult:
    """What one recorded step did: the event written and the problem's state after it."""

    event_id: str
    state: str
    deadline: dt.date | None = None
    deadline_approximate: bool = False  # the working-day deadline used the approximate calendar


# -- internals ----------------------------------------------------------------------------------


def _now(session) -> dt.datetime:
    return session.ledger.clock.now().replace(microsecond=0)


def _ts(value: dt.datetime) -> str:
    return value.isoformat(" ")


def _exists(db, table: str, entity_id: str) -> bool:
    return db.execute_sql(f'SELECT 1 FROM "{table}" WHERE id = ? AND deleted = 0', (entity_id,)).fetchone() is not None


def _problem_source(db, problem_id: str) -> str:
    row = db.execute_sql("SELECT source FROM problem WHERE id = ? AND deleted = 0", (problem_id,)).fetchone()
    if row is None:
        raise NotFoundError("找不到该问题，可能已被删除")
    return row[0]


def _stamp(session, history: list[Event], at: dt.datetime | None = None) -> tuple[dt.datetime, str]:
    """(at, id) for a new event that replays after every existing one.

    ``at`` defaults to now. If the problem already has an event at or after
    that moment (another device's clock, or a back-dated step), the new event
    is dated one second after the latest, so the log replays in the order in
    which the steps were checked.
    """
    at = (at or _now(session)).replace(microsecond=0)
    event_id = uuid7(session.ledger.clock.now_ms())
    if history:
        last = max(history, key=lambda e: e.order_key)
        if (at, event_id) <= last.order_key:
            at = last.at.replace(microsecond=0) + dt.timedelta(seconds=1)
    return at, event_id


def _event_values(problem_id: str, e: Event) -> dict:
    return {
        "problem_id": problem_id, "kind": e.kind, "at": _ts(e.at), "actor": e.actor, "note": e.note,
        "responsible_person": e.responsible_person, "responsible_unit": e.responsible_unit,
        "deadline": e.deadline.isoformat() if e.deadline else None, "deadline_kind": e.deadline_kind,
        "reason": e.reason, "approved_by": e.approved_by, "rating": e.rating, "rated_by": e.rated_by,
        "rating_method": e.rating_method, "revisit_result": e.revisit_result, "merged_into_id": e.merged_into_id,
    }


def _record(session, problem_id: str, kind: str, *, check=None, at: dt.datetime | None = None,
            **fields) -> tuple[Event, ProblemState]:
    """Check role and transition, then write one event and the new derived state; one transaction.

    ``check(state_before, event)`` may refuse further (raising) before anything is written.
    """
    L.check_permission(session.role, kind)
    with session.writing() as w:
        db = session.ledger.db
        _problem_source(db, problem_id)
        require_village(session, db.execute_sql("SELECT village_id FROM problem WHERE id = ?",
                                                (problem_id,)).fetchone()[0], kind)
        history = load_events(db, problem_id)
        before = fold(history)
        at, event_id = _stamp(session, history, at)
        event = Event(kind=kind, at=at, id=event_id, actor=session.user, **fields)
        after = L.apply(before, event)  # raises on an illegal step: nothing has been written
        if check is not None:
            check(before, event)
        _insert(w, ProblemEvent, _event_values(problem_id, event), event.id)
        audit.chain_new_events(session)  # 办结/评价/销号/回访/撤销 get their hash-chain link in this transaction
        store_state(db, problem_id, after)
    return event, after


def _insert(w, model, values: dict, entity_id: str | None = None) -> str:
    """One row through the versioned writer, values already in column form (ISO text dates).

    ``VersionedWriter.insert`` passes values through peewee's ``db_value``,
    which turns ISO text back into date objects that the version log cannot
    encode; ``insert_many`` takes column values as they are.
    """
    entity_id = entity_id or uuid7(w.ledger.clock.now_ms())
    columns = ["id", *values]
    w.insert_many(model, columns, [(entity_id, *values.values())])
    return entity_id


def _result(event: Event, state: ProblemState, approximate: bool = False) -> StepResult:
    return StepResult(event.id, state.state, state.deadline, approximate)


def _text(value, field: str, label: str, *, required: bool = False, multiline: bool = True) -> str:
    """A name (``multiline=False``: :func:`clean`) or free text (notes keep their Chinese punctuation)."""
    if multiline:
        text = unicodedata.normalize("NFC", str(value or "")).replace("\r\n", "\n").replace("\r", "\n")
        text = "\n".join(line.strip() for line in text.strip().split("\n"))
    else:
        text = clean(value)
    if required and not text:
        raise ValidationError(f"请填写{label}", field=field)
    return text


def _compute_deadline(start: dt.date, days, deadline_kind: str, deadline, urgency: str = "一般",
                      *, field: str = "deadline") -> tuple[dt.date, str | None, bool]:
    """(deadline, kind, approximate) from an explicit date (kind None: not counted) or a number of days."""
    if deadline is not None and deadline != "":
        due = date_arg(deadline, field, "办理期限")
        if due < start:
            raise ValidationError(f"办理期限{due.isoformat()}早于今天{start.isoformat()}", field=field)
        return due, None, False
    if days is None:
        days, deadline_kind = DEFAULT_DEADLINES.get(urgency, DEFAULT_DEADLINES["一般"])
    try:
        n = int(days)
    except (TypeError, ValueError):
        raise ValidationError(f"办理天数应为整数，实际为“{days}”", field="days") from None
    if not 1 <= n <= MAX_DAYS:
        raise ValidationError(f"办理天数应在 1 到 {MAX_DAYS} 之间，实际为 {n}", field="days")
    result = workdays.deadline(start, n, deadline_kind)
    return result.date, deadline_kind, result.approximate


# -- registration ---------------------------------------------------------------------------------


def register_problem(session, *, title, source, description="", hotline_no="", category_id=None, urgency="一般",
                     village_id=None, grid_id=None, household_ids=(), reporter="", reporter_phone="",
                     registered_at=None, note="") -> ProblemRef:
    """登记: a new problem with its ledger number and its first event; one transaction.

    ``source`` is one of :data:`ledgerdesk.core.vocab.SOURCES`; a 12345 hotline
    ticket needs its ticket number (``hotline_no``), and a ticket number
    already registered is refused. ``village_id`` defaults to the grid's or
    the first household's village. ``registered_at`` (default now) may be
    earlier, e.g. a ticket received yesterday, never later than now.
    """
    L.check_permission(session.role, L.REGISTER)
    title = _text(title, "title", "问题标题", required=True, multiline=False)
    description = _text(description, "description", "问题描述")
    source = clean(source)
    if source not in SOURCES:
        raise ValidationError(f"问题来源应为{'、'.join(SOURCES)}之一，实际为“{source}”", field="source")
    hotline_no = clean_code(hotline_no)
    if source == HOTLINE_SOURCE and not hotline_no:
        raise ValidationError("12345热线工单须填写工单编号", field="hotline_no")
    urgency = clean(urgency) or "一般"
    if urgency not in URGENCIES:
        raise ValidationError(f"紧急程度应为{'、'.join(URGENCIES)}之一，实际为“{urgency}”", field="urgency")
    reporter = _text(reporter, "reporter", "反映人", multiline=False)
    reporter_phone = normalise_phone(reporter_phone)
    problem = phone_problem(reporter_phone)
    if problem:
        raise ValidationError(f"反映人{problem}", field="reporter_phone")
    now = _now(session)
    if registered_at is None or registered_at == "":
        at = now
    elif isinstance(registered_at, dt.datetime):
        at = registered_at.replace(microsecond=0)
    else:
        day = date_arg(registered_at, "registered_at", "登记时间")
        at = dt.datetime.combine(day, dt.time()) if day != now.date() else now
    if at > now:
        raise ValidationError(f"登记时间{at:%Y-%m-%d %H:%M}晚于当前时间", field="registered_at")
    households = tuple(dict.fromkeys(h for h in (household_ids or ()) if h))

    with session.writing() as w:
        db = session.ledger.db
        if category_id and not _exists(db, "category", category_id):
            raise ValidationError("所选问题类别不存在", field="category_id")
        if hotline_no:
            row = db.execute_sql("SELECT ledger_no, provisional_no FROM problem WHERE hotline_no = ? AND deleted = 0",
                                 (hotline_no,)).fetchone()
            if row:
                raise ValidationError(f"12345工单“{hotline_no}”已登记为问题{row[0] or row[1]}，请勿重复登记",
                                      field="hotline_no")
        if grid_id:
            row = db.execute_sql("SELECT village_id FROM grid WHERE id = ? AND deleted = 0", (grid_id,)).fetchone()
            if row is None:
                raise ValidationError("所选网格不存在", field="grid_id")
            if village_id and row[0] != village_id:
                raise ValidationError("所选网格不属于所选村（社区）", field="grid_id")
            village_id = village_id or row[0]
        for hid in households:
            row = db.execute_sql("SELECT village_id FROM household WHERE id = ? AND deleted = 0", (hid,)).fetchone()
            if row is None:
                raise ValidationError("所选的户不存在或已删除", field="household_ids")
            require_village(session, row[0], L.REGISTER)
            village_id = village_id or row[0]
        if village_id and not _exists(db, "village", village_id):
            raise ValidationError("所选村（社区）不存在", field="village_id")
        require_village(session, village_id or None, L.REGISTER)
        ledger_no, provisional_no = ledger_numbers.new_numbers(session, at.year)
        township_id = session.ledger.get_meta("township_id") or ""
        problem_id = _insert(w, Problem, {
            "township_id": township_id, "year": at.year, "ledger_no": ledger_no, "provisional_no": provisional_no,
            "title": title, "description": description, "source": source, "hotline_no": hotline_no,
            "category_id": category_id or None, "urgency": urgency, "village_id": village_id or None,
            "grid_id": grid_id or None, "reporter": reporter, "reporter_phone": reporter_phone,
            "registered_at": _ts(at)})
        for hid in households:
            _insert(w, ProblemHousehold, {"problem_id": problem_id, "household_id": hid},
                    link_id("problem_household", problem_id, hid))
        event = Event(kind=L.REGISTER, at=at, id=uuid7(session.ledger.clock.now_ms()), actor=session.user,
                      note=_text(note, "note", "登记说明") or f"来源：{source}")
        state = L.apply(None, event)
        _insert(w, ProblemEvent, _event_values(problem_id, event), event.id)
        store_state(db, problem_id, state)
    return ProblemRef(problem_id, ledger_no or provisional_no)


# -- the steps ------------------------------------------------------------------------------------


def _urgency(db, problem_id: str) -> str:
    row = db.execute_sql("SELECT urgency FROM problem WHERE id = ?", (problem_id,)).fetchone()
    return row[0] if row else "一般"


def dispatch(session, problem_id, *, responsible_person, responsible_unit, days=None, deadline_kind="工作日",
             deadline=None, note="") -> StepResult:
    """交办: to a responsible person and/or unit, with a deadline (书记/管理员).

    The deadline is ``deadline`` (a date), else ``days`` counted from today in
    ``deadline_kind`` (工作日 with holidays and 调休, or 自然日), else the
    default for the problem's urgency (:data:`DEFAULT_DEADLINES`). Again after
    a 退回, for rework. ``StepResult.deadline_approximate`` tells when the
    working-day calendar of a year was not known (the detail shows a notice).
    """
    L.check_permission(session.role, L.DISPATCH)
    today = session.ledger.clock.today()
    kind = clean(deadline_kind) or workdays.WORKING_DAYS
    if kind not in workdays.DEADLINE_KINDS:
        raise ValidationError("期限类型应为“自然日”或“工作日”", field="deadline_kind")
    with session.writing():
        urgency = _urgency(session.ledger.db, problem_id)
        due, kind, approximate = _compute_deadline(today, days, kind, deadline, urgency)
        event, state = _record(
            session, problem_id, L.DISPATCH, responsible_person=_text(responsible_person, "responsible_person",
                                                                      "责任人", multiline=False),
            responsible_unit=_text(responsible_unit, "responsible_unit", "责任单位", multiline=False),
            deadline=due, deadline_kind=kind, note=_text(note, "note", "交办意见"))
    return _result(event, state, approximate)


def add_note(session, problem_id, note) -> StepResult:
    """办理: a progress note (录入员 and above)."""
    event, state = _record(session, problem_id, L.PROGRESS, note=_text(note, "note", "办理情况", required=True))
    return _result(event, state)


def resolve(session, problem_id, note) -> StepResult:
    """办结: the responsible reports the problem solved, with the resolution note."""
    event, state = _record(session, problem_id, L.RESOLVE, note=_text(note, "note", "办结情况", required=True))
    return _result(event, state)


def rate(session, problem_id, *, rating, rated_by="", method="上门", note="") -> StepResult:
    """评价: the resident's rating (满意 / 基本满意 / 不满意), by whom and how (上门 / 电话)."""
    method = clean(method)
    if method and method not in RATING_METHODS:
        raise ValidationError(f"评价方式应为{'、'.join(RATING_METHODS)}之一", field="method")
    event, state = _record(session, problem_id, L.RATE, rating=clean(rating) or None,
                           rated_by=_text(rated_by, "rated_by", "评价人", multiline=False), rating_method=method,
                           note=_text(note, "note", "评价意见"))
    return _result(event, state)


def close(session, problem_id, note="") -> StepResult:
    """销号: the secretary's sign-off after a rating that is not 不满意 (书记/管理员)."""
    event, state = _record(session, problem_id, L.CLOSE, note=_text(note, "note", "销号意见"))
    return _result(event, state)


def return_problem(session, problem_id, reason) -> StepResult:
    """退回: the resolution is sent back for rework to the same responsible (书记/管理员)."""
    event, state = _record(session, problem_id, L.RETURN, reason=_text(reason, "reason", "退回理由", required=True))
    return _result(event, state)


def extend(session, problem_id, *, reason, approved_by, days=None, deadline=None,
           deadline_kind=None) -> StepResult:
    """延期: a later deadline, with the reason and who approved it (书记/管理员).

    ``deadline`` (a date), else ``days`` more counted from the current
    deadline, in the problem's deadline kind (or ``deadline_kind``).
    """
    L.check_permission(session.role, L.EXTEND)
    if deadline in (None, "") and days is None:
        raise ValidationError("延期须填写新的办理期限或延长天数", field="deadline")
    today = session.ledger.clock.today()
    with session.writing():
        current = problem_state(session, problem_id)
        kind = clean(deadline_kind) or current.deadline_kind or workdays.WORKING_DAYS
        if kind not in workdays.DEADLINE_KINDS:
            raise ValidationError("期限类型应为“自然日”或“工作日”", field="deadline_kind")
        start = today if deadline not in (None, "") else (current.deadline or today)
        due, kind, approximate = _compute_deadline(start, days, kind, deadline)
        event, state = _record(session, problem_id, L.EXTEND, deadline=due, deadline_kind=kind,
                               reason=_text(reason, "reason", "延期理由", required=True),
                               approved_by=_text(approved_by, "approved_by", "批准人", required=True,
                                                 multiline=False))
    return _result(event, state, approximate)


def reopen(session, problem_id, reason) -> StepResult:
    """重新打开: after a 不满意 rating or a 回访 (书记/管理员); the problem is in progress again."""
    event, state = _record(session, problem_id, L.REOPEN, reason=_text(reason, "reason", "重新打开理由",
                                                                         required=True))
    return _result(event, state)


def merge(session, problem_id, into_id, note="") -> StepResult:
    """合并: an open problem is a duplicate of ``into_id`` (书记/管理员); the other must be live and not itself merged."""
    def check(state: ProblemState, event: Event) -> None:
        if into_id == problem_id:
            raise ValidationError("不能把问题合并到它自己", field="into_id")
        db = session.ledger.db
        row = db.execute_sql("SELECT ledger_no, provisional_no FROM problem WHERE id = ? AND deleted = 0",
                             (into_id,)).fetchone()
        if row is None:
            raise ValidationError("要并入的问题不存在", field="into_id")
        target = fold(load_events(db, into_id))
        if target.is_terminal:
            raise ValidationError(f"问题{row[0] or row[1]}已{target.state[1:]}，不能并入", field="into_id")

    event, state = _record(session, problem_id, L.MERGE, check=check, merged_into_id=into_id or None,
                           note=_text(note, "note", "合并说明"))
    return _result(event, state)


def void(session, problem_id, reason) -> StepResult:
    """撤销: the problem is withdrawn, with the reason (书记/管理员)."""
    event, state = _record(session, problem_id, L.VOID, reason=_text(reason, "reason", "撤销理由", required=True))
    return _result(event, state)


def revisit(session, problem_id, *, result, on=None) -> StepResult:
    """回访 (回头看): the result of a return visit after resolution.

    ``on`` (a date, not in the future) dates the visit; it is recorded at that
    day's current time of day, but never before the problem's latest event.
    """
    text = _text(result, "result", "回访结果", required=True)
    at = None
    if on not in (None, ""):
        now = _now(session)
        day = date_arg(on, "on", "回访日期", not_after=now.date())
        at = dt.datetime.combine(day, now.time())
    event, state = _record(session, problem_id, L.REVISIT, at=at, revisit_result=text)
    return _result(event, state)


# -- 三定三问一反馈 ---------------------------------------------------------------------------------


def claim_by_center(session, problem_id, center_id, *, days=None, deadline_kind="工作日", deadline=None,
                    note="党员中心户领办") -> StepResult:
    """党员中心户领问题: a 交办 to the unit 党员中心户, the center person as responsible person (书记/管理员 record it)."""
    L.check_permission(session.role, L.DISPATCH)
    with session.writing():
        row = session.ledger.db.execute_sql(
            "SELECT coalesce(p.name, ''), c.ended_on FROM party_center c LEFT JOIN person p ON p.id = c.person_id "
            "WHERE c.id = ? AND c.deleted = 0", (center_id,)).fetchone()
        if row is None:
            raise NotFoundError("找不到该党员中心户")
        if row[1]:
            raise ValidationError(f"该党员中心户已于{row[1]}撤销，不能领办问题", field="center_id")
        if not row[0]:
            raise ValidationError("该党员中心户没有中心户户主（党员）信息", field="center_id")
        return dispatch(session, problem_id, responsible_person=row[0], responsible_unit=CENTER_UNIT, days=days,
                        deadline_kind=deadline_kind, deadline=deadline, note=note)


def branch_study(session, problem_id, note) -> StepResult:
    """党支部研究问题: a 办理 note "支部研究：…" with what the branch decided."""
    text = _text(note, "note", "支部研究意见", required=True)
    return add_note(session, problem_id, text if text.startswith(STUDY_PREFIX) else STUDY_PREFIX + text)


def feedback(session, problem_id, note, *, resolved: bool = True) -> StepResult:
    """支部书记反馈问题: the secretary's feedback to the resident (书记/管理员 only).

    ``resolved=True``: a 办结 with the note "书记反馈：…"; ``resolved=False``:
    a 办理 note "书记反馈：…" (not solvable yet; the resident was told why).
    """
    require(session, REVIEWERS, "支部书记反馈")
    text = _text(note, "note", "反馈内容", required=True)
    text = text if text.startswith(FEEDBACK_PREFIX) else FEEDBACK_PREFIX + text
    return resolve(session, problem_id, text) if resolved else add_note(session, problem_id, text)


# -- what may be done ---------------------------------------------------------------------------


def problem_state(session, problem_id) -> ProblemState:
    """The problem's current derived state (from its events)."""
    with session.reading():
        _problem_source(session.ledger.db, problem_id)
        return fold(load_events(session.ledger.db, problem_id))


def legal_actions(session, problem_id) -> tuple[str, ...]:
    """The event kinds this user may record now: lifecycle.legal_kinds ∩ the role's permissions."""
    return allowed_kinds(session.role, problem_state(session, problem_id))


def problems_of_households(session, household_ids: Iterable[str]) -> list[str]:
    """Ids of live problems linked to any of the households (for household cards)."""
    ids = list(household_ids)
    if not ids:
        return []
    with session.reading():
        rows = session.ledger.db.execute_sql(
            f"SELECT DISTINCT ph.problem_id FROM problem_household ph JOIN problem p ON p.id = ph.problem_id "
            f"WHERE ph.deleted = 0 AND p.deleted = 0 AND ph.household_id IN ({marks(len(ids))}) "
            f"ORDER BY p.registered_at DESC", ids).fetchall()
    return [r[0] for r in rows]
