"""问题台账 in Excel: import an existing ledger (plan → preview → apply) and export the ledger.

Townships kept their 台账 in Excel before LedgerDesk; a row is one problem
with the columns of :data:`LEDGER_COLUMNS` (aliases welcome). The messy-input
rules of rosters apply (:mod:`ledgerdesk.interchange.sheet`: title rows,
full-width digits, Excel date serials and text dates, per-row errors).

**Events are rebuilt from each row** as far as its columns allow, along the
main path of :mod:`ledgerdesk.core.lifecycle`:

=========  ===========================================================
登记        at the 登记日期 (09:00), always
交办        when the 状态 is 交办 or later: 责任人/责任单位 and the 办理时限
           (a date, or "15个工作日" / "10天" counted from the 登记日期; when
           empty, the default for the urgency)
办理        when the 状态 is 办理中 (a note saying it came from the old ledger)
办结        when the 状态 is 办结 or 销号, or a 办结日期 is given: at the 办结日期 (17:00)
评价        when 群众评价 is given (满意/基本满意/不满意)
回访        when a 回访日期 is given
销号        when the 状态 is 销号
撤销        when the 状态 is 撤销
=========  ===========================================================

The whole sequence is replayed strictly through the state machine, so a row
the lifecycle would not allow (销号 after a 不满意 rating, a 办结日期 before the
登记日期) is a row error with the machine's own message.

**Villages** must exist: a name the ledger does not have is an error (a typo
is likelier than a new village); names match with or without their
村/社区/嘎查 suffix. A 户主 name links the problem to that household when it
is unique in the village (else a warning).

**Idempotent**: a row matches an existing problem by 编号 (official or
provisional number), else by the 12345 工单编号, else by title + 登记日期 +
village. A matched problem gets only the later steps the row adds (the
ledger was updated in Excel since the last import); a problem that is
already further along is left alone. Importing the same file twice changes
nothing the second time.

All-or-nothing by default, or only the valid rows; one transaction. The import
records 交办 and 销号 steps, so it needs a 书记 or 管理员.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from ledgerdesk.core import lifecycle as L
from ledgerdesk.core import workdays
from ledgerdesk.core.errors import LedgerDeskError
from ledgerdesk.core.ids import link_id, uuid7
from ledgerdesk.core.lifecycle import Event
from ledgerdesk.core.phone import phone_problem
from ledgerdesk.core.text import clean
from ledgerdesk.core.vocab import HOTLINE_SOURCE, RATINGS, SOURCES, URGENCIES
from ledgerdesk.interchange.common import (
    VILLAGE_ALIASES,
    ImportPlan,
    VillageNames,
    done_message,
    file_line,
    issue_lines,
    ledger_mark,
    refuse_errors,
    refuse_stale,
    text_key,
    village_base,  # noqa: F401 — public name, now in common
)
from ledgerdesk.interchange.sheet import CODE, DATE, PHONE, PROSE, Column, RowIssue, read_sheet
from ledgerdesk.interchange.workbook_out import new_sheet, new_workbook, save_workbook, text_cell
from ledgerdesk.services import ledger_numbers
from ledgerdesk.services.backup import LEDGER_IMPORT, backup_now
from ledgerdesk.services.ledger import DEFAULT_DEADLINES
from ledgerdesk.services.ledger_queries import rebuild_problem_state
from ledgerdesk.services.permissions import REVIEWERS, require, require_all_villages
from ledgerdesk.store.models import Problem, ProblemEvent, ProblemHousehold

Progress = Callable[[str, float], None]

LEDGER_COLUMNS: tuple[Column, ...] = (
    # TEXT, not CODE: a ledger number keeps its dashes (示范镇-2026-0001); spaces are removed below.
    Column("number", "编号", ("台账编号", "问题编号", "登记编号", "编码")),
    Column("title", "标题", ("问题标题", "问题名称", "事项名称", "问题"), kind=PROSE, required=True),
    Column("description", "问题描述", ("问题内容", "具体问题", "详细描述", "反映内容", "问题详情", "内容"), kind=PROSE),
    Column("source", "来源", ("问题来源", "来源渠道", "渠道", "发现渠道")),
    Column("hotline_no", "工单编号", ("12345工单号", "12345工单编号", "工单号", "热线工单号"), kind=CODE),
    Column("category", "类别", ("问题类别", "问题类型", "类型", "分类")),
    Column("urgency", "紧急程度", ("紧急度", "缓急程度")),
    Column("village", "村(社区)", VILLAGE_ALIASES),
    Column("head", "户主", ("户主姓名", "涉及户", "涉及户户主")),
    Column("reporter", "反映人", ("反映群众", "提出人", "报告人", "来电人")),
    Column("reporter_phone", "联系电话", ("联系方式", "电话", "手机号", "来电号码"), kind=PHONE),
    Column("registered", "登记日期", ("登记时间", "受理日期", "受理时间", "发现日期", "发现时间", "交办日期"),
           kind=DATE, required=True),
    Column("person", "责任人", ("包联责任人", "承办人", "负责人", "包联领导")),
    Column("unit", "责任单位", ("承办单位", "责任部门", "办理单位", "牵头单位")),
    Column("deadline", "办理时限", ("时限", "办结时限", "完成时限", "期限", "办理期限")),
    Column("status", "状态", ("办理状态", "当前状态", "办理进度", "进展情况")),
    Column("resolved", "办结日期", ("办结时间", "完成日期", "完成时间"), kind=DATE),
    Column("resolution", "办结情况", ("办理结果", "处理结果", "解决情况", "办理情况"), kind=PROSE),
    Column("rating", "群众评价", ("评价", "满意度", "群众满意度", "评价结果")),
    Column("revisit", "回访日期", ("回访时间",), kind=DATE),
    Column("revisit_result", "回访情况", ("回访结果",), kind=PROSE),
)
LEDGER_HEADERS = tuple(c.label for c in LEDGER_COLUMNS)

# 状态 cell → the state the row reaches (lifecycle states).
_STATUS = {
    "登记": L.REGISTERED, "已登记": L.REGISTERED, "待交办": L.REGISTERED, "挂号": L.REGISTERED,
    "交办": L.DISPATCHED, "已交办": L.DISPATCHED, "待办理": L.DISPATCHED,
    "办理中": L.IN_PROGRESS, "正在办理": L.IN_PROGRESS, "在办": L.IN_PROGRESS, "未办结": L.IN_PROGRESS,
    "办结": L.RESOLVED, "已办结": L.RESOLVED, "已解决": L.RESOLVED, "已完成": L.RESOLVED, "完成": L.RESOLVED,
    "已评价": L.RATED, "评价": L.RATED,
    "销号": L.CLOSED, "已销号": L.CLOSED,
    "撤销": L.VOIDED, "已撤销": L.VOIDED,
}
_SOURCE_ALIASES = {
    "网格员": "网格员巡查", "网格巡查": "网格员巡查", "巡查": "网格员巡查", "网格": "网格员巡查",
    "群众来访": "群众反映", "群众点单": "群众反映", "来访": "群众反映", "群众": "群众反映",
    "走访": "走访发现", "入户走访": "走访发现", "12345": HOTLINE_SOURCE, "热线": HOTLINE_SOURCE,
    "12345工单": HOTLINE_SOURCE, "12345热线工单": HOTLINE_SOURCE, "市长热线": HOTLINE_SOURCE,
    "信访件": "信访", "上级": "上级交办", "巡视巡察": "上级交办", "巡察反馈": "上级交办", "督查": "上级交办",
    "述职": "述职评议",
}
_DEFAULT_SOURCE = "群众反映"
_DAYS = re.compile(r"^(\d{1,3})\s*(个)?\s*(工作日|自然日|天|日)?$")

# Rank of each state on the main path, to tell "further along" from "behind".
_RANK = {L.REGISTERED: 0, L.DISPATCHED: 1, L.IN_PROGRESS: 2, L.RESOLVED: 3, L.RATED: 4, L.CLOSED: 5,
         L.VOIDED: 9, L.MERGED: 9}
_IMPORT_NOTE = "由Excel台账导入"


# -- the plan -------------------------------------------------------------------------------------------


@dataclass
class PlannedProblem:
    """One valid row: a new problem (``problem_id`` None) or later steps for an existing one."""

    row: int
    values: dict  # problem columns (new problems)
    events: list[Event]  # events to add, in order
    household_id: str | None = None
    problem_id: str | None = None
    number: str = ""

    @property
    def is_new(self) -> bool:
        return self.problem_id is None


@dataclass
class LedgerPlan(ImportPlan):
    """What a ledger import would do; nothing has been written. Show it, then :func:`apply_ledger_import`."""

    def row_counts(self) -> tuple[int, int, int]:
        return self.rows, self.rows - len(self.error_rows), len(self.error_rows)

    path: str
    sheet: str
    header_row: int
    problems: list[PlannedProblem]
    unchanged: int
    errors: list[RowIssue]
    warnings: list[RowIssue]
    ledger_mark: int
    rows: int
    error_rows: frozenset[int] = frozenset()
    ignored_headers: tuple[str, ...] = ()

    kind = "ledger"

    @property
    def new_count(self) -> int:
        return sum(1 for p in self.problems if p.is_new)

    @property
    def updated_count(self) -> int:
        return sum(1 for p in self.problems if not p.is_new)

    def summary_lines(self, max_errors: int = 20) -> list[str]:
        """The preview as Chinese lines (CLI and the import dialog)."""
        lines = [
            file_line(self.path, self.sheet, self.header_row),
            f"数据行：{self.rows}，有效 {self.rows - len(self.error_rows)}，有错误 {len(self.error_rows)}",
            f"问题：新增 {self.new_count}，补充办理环节 {self.updated_count}，不变 {self.unchanged}",
            f"将写入办理环节（事件）{sum(len(p.events) for p in self.problems)} 条",
        ]
        return lines + issue_lines(self.warnings, self.errors, max_errors, ignored_headers=self.ignored_headers,
                                   list_warnings=True)


@dataclass(frozen=True)
class LedgerImportResult:
    created: int
    updated: int
    events: int
    rows_skipped: int

    @property
    def message(self) -> str:
        return done_message([f"新增问题 {self.created}", f"补充办理环节的问题 {self.updated}",
                             f"写入办理环节 {self.events} 条"], self.rows_skipped)


class _RowError(Exception):
    def __init__(self, column: str, reason: str):
        super().__init__(reason)
        self.column = column
        self.reason = reason


@dataclass
class _Context:
    """What planning needs from the ledger, read once."""

    villages: VillageNames
    categories: dict[str, str]  # name, "domain/name" -> id
    domains: dict[str, str]  # domain -> first category id
    heads: dict[tuple[str, str], list[str]]  # (village_id, head name) -> household ids
    by_number: dict[str, str]
    by_hotline: dict[str, str]
    by_key: dict[tuple[str, str, str], str]  # (text_key(title), date, village_id) -> problem id
    today: dt.date
    mark: int
    events: dict[str, list[Event]] = field(default_factory=dict)


def _read_context(session) -> _Context:
    db = session.ledger.db
    villages = VillageNames(db.execute_sql("SELECT id, name FROM village WHERE deleted = 0 ORDER BY sort_order, name"))
    categories, domains = {}, {}
    for cid, domain, name in db.execute_sql(
            "SELECT id, domain, name FROM category WHERE deleted = 0 ORDER BY sort_order"):
        categories.setdefault(name, cid)
        categories[f"{domain}/{name}"] = cid
        domains.setdefault(domain, cid)
    heads: dict[tuple[str, str], list[str]] = {}
    for hid, vid, name in db.execute_sql(
            "SELECT h.id, h.village_id, p.name FROM household h JOIN person p ON p.id = h.head_person_id "
            "WHERE h.deleted = 0 AND p.deleted = 0"):
        heads.setdefault((vid, name), []).append(hid)
    by_number, by_hotline, by_key = {}, {}, {}
    for pid, ledger_no, provisional_no, hotline_no, title, registered_at, village_id in db.execute_sql(
            "SELECT id, ledger_no, provisional_no, hotline_no, title, registered_at, coalesce(village_id, '') "
            "FROM problem WHERE deleted = 0"):
        for number in (ledger_no, provisional_no):
            if number:
                by_number[number] = pid
        if hotline_no:
            by_hotline[hotline_no] = pid
        by_key[(text_key(title), registered_at[:10], village_id)] = pid
    mark = ledger_mark(db)
    return _Context(villages, categories, domains, heads, by_number, by_hotline, by_key,
                    session.ledger.clock.today(), mark)


def plan_ledger_import(session, path: str | os.PathLike, *, progress: Progress | None = None,
                       cancel=None) -> LedgerPlan:
    """Read ``path`` and compare it with the ledger; writes nothing (see the module docstring)."""
    data = read_sheet(path, LEDGER_COLUMNS, progress=progress, cancel=cancel)
    errors: list[RowIssue] = list(data.issues)
    warnings: list[RowIssue] = []
    bad_rows = {i.row for i in errors}
    planned: list[PlannedProblem] = []
    unchanged = 0
    with session.reading():
        ctx = _read_context(session)
        if not data.has("source"):
            warnings.append(RowIssue(data.header_row, "", f"表格没有“来源”列，全部按“{_DEFAULT_SOURCE}”登记"))
        seen_numbers: dict[str, int] = {}
        seen_hotline: dict[str, int] = {}
        for row in data.rows:
            if row.number in bad_rows:
                continue
            try:
                result = _plan_row(session, ctx, data, row, warnings)
            except _RowError as exc:
                errors.append(RowIssue(row.number, exc.column, exc.reason))
                bad_rows.add(row.number)
                continue
            for key, seen, label in ((result.number, seen_numbers, "编号"),
                                     (result.values.get("hotline_no", ""), seen_hotline, "工单编号")):
                if key and key in seen:
                    errors.append(RowIssue(row.number, data.header(_KEY_OF[label], label),
                                           f"{label}“{key}”与第{seen[key]}行重复"))
                    bad_rows.add(row.number)
                    break
            else:
                for key, seen in ((result.number, seen_numbers), (result.values.get("hotline_no", ""), seen_hotline)):
                    if key:
                        seen[key] = row.number
                if result.events:
                    planned.append(result)
                else:
                    unchanged += 1
    return LedgerPlan(str(path), data.sheet, data.header_row, planned, unchanged, errors, warnings, ctx.mark,
                      len(data.rows), frozenset(bad_rows), data.ignored_headers)


_KEY_OF = {"编号": "number", "工单编号": "hotline_no"}


def _plan_row(session, ctx: _Context, data, row, warnings: list[RowIssue]) -> PlannedProblem:
    v = row.values
    h = data.header
    title = " ".join((v.get("title") or "").split())  # one line; its punctuation kept
    if not title:
        raise _RowError(h("title", "标题"), "标题不能为空")
    registered: dt.date | None = v.get("registered")
    if registered is None:
        raise _RowError(h("registered", "登记日期"), "登记日期不能为空")
    if registered > ctx.today:
        raise _RowError(h("registered", "登记日期"), f"登记日期 {registered} 晚于今天")

    source = clean(v.get("source")) or _DEFAULT_SOURCE
    source = _SOURCE_ALIASES.get(source, source)
    if source not in SOURCES:
        raise _RowError(h("source", "来源"), f"来源“{source}”无法识别，应为{'、'.join(SOURCES)}之一")
    urgency = clean(v.get("urgency")) or "一般"
    if urgency not in URGENCIES:
        raise _RowError(h("urgency", "紧急程度"), f"紧急程度应为{'、'.join(URGENCIES)}之一")
    hotline_no = v.get("hotline_no") or ""
    if source == HOTLINE_SOURCE and not hotline_no:
        warnings.append(RowIssue(row.number, h("hotline_no", "工单编号"), "12345热线工单没有工单编号，仍会导入"))

    village_id = ""
    village_text = clean(v.get("village"))
    if village_text:
        village_id = ctx.villages.find(village_text) or ""
        if not village_id:
            similar = ctx.villages.similar(village_text)
            raise _RowError(h("village", "村(社区)"),
                            f"“{village_text}”可能是{'、'.join(similar)}，请写村（社区）的全称" if len(similar) > 1
                            else f"台账中没有“{village_text}”，请检查村（社区）名称是否写错")

    category_id = None
    category_text = clean(v.get("category"))
    if category_text:
        category_id = (ctx.categories.get(category_text) or ctx.categories.get(category_text.replace("-", "/"))
                       or ctx.domains.get(category_text))
        if category_id is None:
            warnings.append(RowIssue(row.number, h("category", "类别"), f"类别“{category_text}”不在类别表中，按未分类导入"))

    reporter_phone = v.get("reporter_phone") or ""
    if "*" in reporter_phone:  # from a masked export: never store the stars
        reporter_phone = ""
    elif phone_problem(reporter_phone):
        warnings.append(RowIssue(row.number, h("reporter_phone", "联系电话"),
                                 f"{phone_problem(reporter_phone)}，该号码不导入"))
        reporter_phone = ""
    household_id = None
    head = clean(v.get("head"))
    if head:
        found = ctx.heads.get((village_id, head), []) if village_id else []
        if len(found) == 1:
            household_id = found[0]
        else:
            reason = "该村有多户户主同名" if found else "在该村找不到这位户主"
            warnings.append(RowIssue(row.number, h("head", "户主"), f"{reason}（{head}），问题不关联到户"))

    target, events = _row_events(session, ctx, data, row, registered, urgency)

    number = (v.get("number") or "").replace(" ", "").upper()
    existing = (ctx.by_number.get(number) if number else None) \
        or (ctx.by_hotline.get(hotline_no) if hotline_no else None) \
        or ctx.by_key.get((text_key(title), registered.isoformat(), village_id))
    if existing:
        return _plan_existing(session, ctx, data, row, existing, target, events, number)

    try:
        L.derive(events, strict=True)
    except LedgerDeskError as exc:
        raise _RowError(h("status", "状态"), f"按表格内容无法建立办理过程：{exc.message}") from None
    values = dict(title=title, description=v.get("description") or "", source=source, hotline_no=hotline_no,
                  category_id=category_id, urgency=urgency, village_id=village_id or None,
                  reporter=clean(v.get("reporter")), reporter_phone=reporter_phone,
                  registered_at=events[0].at.isoformat(" "), year=registered.year)
    return PlannedProblem(row.number, values, events, household_id, None, number)


def _plan_existing(session, ctx, data, row, problem_id, target, events, number) -> PlannedProblem:
    """Only the steps after the existing problem's state, or nothing when it is as far or further."""
    db = session.ledger.db
    history = ctx.events.get(problem_id)
    if history is None:
        from ledgerdesk.services.ledger_queries import load_events

        history = ctx.events[problem_id] = load_events(db, problem_id)
    state = L.derive(history)
    if _RANK.get(state.state, 0) >= _RANK[target] or state.is_terminal:
        return PlannedProblem(row.number, {}, [], None, problem_id, number)
    have = {e.kind for e in history}
    later = [e for e in events if e.kind not in have]
    last = max((e.order_key for e in history), default=None)
    try:
        s = state
        for e in later:
            if last is not None and e.order_key <= last:
                raise _RowError(data.header("status", "状态"), "表格中的办理日期早于台账中已有的办理记录")
            s = L.apply(s, e)
    except LedgerDeskError as exc:
        raise _RowError(data.header("status", "状态"),
                        f"台账中该问题为“{state.state}”，与表格中的状态不衔接：{exc.message}") from None
    return PlannedProblem(row.number, {}, later, None, problem_id, number)


def _at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, minute)


def _row_events(session, ctx: _Context, data, row, registered: dt.date, urgency: str) -> tuple[str, list[Event]]:
    """The state the row reaches and the events that lead there (event ids are fresh)."""
    v = row.values
    h = data.header
    status_text = clean(v.get("status"))
    resolved: dt.date | None = v.get("resolved")
    rating = clean(v.get("rating"))
    revisit: dt.date | None = v.get("revisit")
    person, unit = clean(v.get("person")), clean(v.get("unit"))
    if status_text:
        target = _STATUS.get(status_text)
        if target is None:
            raise _RowError(h("status", "状态"), f"状态“{status_text}”无法识别，应为登记、交办、办理中、办结、销号或撤销")
    elif resolved:
        target = L.RESOLVED
    elif person or unit:
        target = L.DISPATCHED
    else:
        target = L.REGISTERED
    if rating:
        if rating not in RATINGS:
            raise _RowError(h("rating", "群众评价"), f"群众评价应为{'、'.join(RATINGS)}之一，实际为“{rating}”")
        if target in (L.REGISTERED, L.DISPATCHED, L.IN_PROGRESS):
            raise _RowError(h("rating", "群众评价"), f"状态为“{status_text or target}”的问题不能有群众评价")
        if target == L.RESOLVED:
            target = L.RATED
    for day, key, label in ((resolved, "resolved", "办结日期"), (revisit, "revisit", "回访日期")):
        if day and day > ctx.today:
            raise _RowError(h(key, label), f"{label} {day} 晚于今天")
        if day and day < registered:
            raise _RowError(h(key, label), f"{label} {day} 早于登记日期 {registered}")
    if revisit and resolved and revisit < resolved:
        raise _RowError(h("revisit", "回访日期"), f"回访日期 {revisit} 早于办结日期 {resolved}")

    clock_ms = session.ledger.clock.now_ms()
    seq = iter(range(1, 100))

    def event(kind: str, at: dt.datetime, **fields) -> Event:
        # uuid7 ids from the clock sort in creation order, so (at, id) ties replay in this order.
        return Event(kind=kind, at=at, id=uuid7(clock_ms + next(seq)), actor=session.user, **fields)

    events = [event(L.REGISTER, _at(registered, 9), note=_IMPORT_NOTE)]
    if target == L.VOIDED:
        events.append(event(L.VOID, _at(registered, 9, 1), reason="原台账状态为撤销"))
        return target, events
    if target == L.REGISTERED:
        return target, events

    if not (person or unit):
        raise _RowError(h("person", "责任人"), f"状态为“{status_text or target}”，但没有填写责任人或责任单位")
    due, kind = _deadline(h("deadline", "办理时限"), v.get("deadline"), registered, urgency)
    events.append(event(L.DISPATCH, _at(registered, 9, 1), responsible_person=person, responsible_unit=unit,
                        deadline=due, deadline_kind=kind))
    if target == L.IN_PROGRESS:
        events.append(event(L.PROGRESS, _at(registered, 9, 2), note="按原台账：办理中"))
    if target in (L.RESOLVED, L.RATED, L.CLOSED):
        if resolved is None:
            raise _RowError(h("resolved", "办结日期"), f"状态为“{status_text or target}”，但没有填写办结日期")
        resolution = v.get("resolution") or "（原台账未填写办结情况）"
        events.append(event(L.RESOLVE, _at(resolved, 17), note=resolution))
        if rating:
            events.append(event(L.RATE, _at(resolved, 17, 1), rating=rating))
        if revisit:
            events.append(event(L.REVISIT, _at(revisit, 10), revisit_result=v.get("revisit_result") or ""))
        if target == L.CLOSED:
            last = max(e.at for e in events)
            events.append(event(L.CLOSE, last + dt.timedelta(minutes=1), note="按原台账：已销号"))
    return target, events


def _deadline(column: str, cell, registered: dt.date, urgency: str) -> tuple[dt.date, str]:
    """The 办理时限 cell as (date, kind): a date, "15个工作日", "10天", or the urgency's default when empty."""
    if cell is None or cell == "":
        days, kind = DEFAULT_DEADLINES.get(urgency, DEFAULT_DEADLINES["一般"])
        return workdays.deadline(registered, days, kind).date, kind
    from ledgerdesk.interchange.sheet import DateProblem, parse_date_cell

    text = clean(cell)
    m = _DAYS.match(text)
    if m and (m.group(2) or m.group(3) or len(text) <= 3):
        days = int(m.group(1))
        kind = workdays.WORKING_DAYS if m.group(3) == "工作日" else workdays.CALENDAR_DAYS
        if days < 1:
            raise _RowError(column, "办理时限至少为1天")
        return workdays.deadline(registered, days, kind).date, kind
    try:
        due = parse_date_cell(cell)
    except DateProblem:
        raise _RowError(column, f"办理时限“{text}”应为日期，或“15个工作日”“10天”这样的天数") from None
    if due < registered:
        raise _RowError(column, f"办理时限 {due} 早于登记日期 {registered}")
    return due, workdays.CALENDAR_DAYS


# -- applying -------------------------------------------------------------------------------------------


def _event_row(problem_id: str, e: Event) -> tuple:
    return (e.id, problem_id, e.kind, e.at.isoformat(" "), e.actor, e.note, e.responsible_person, e.responsible_unit,
            e.deadline.isoformat() if e.deadline else None, e.deadline_kind, e.reason, e.approved_by, e.rating,
            e.rated_by, e.rating_method, e.revisit_result, e.merged_into_id)


_EVENT_COLUMNS = ["id", "problem_id", "kind", "at", "actor", "note", "responsible_person", "responsible_unit",
                  "deadline", "deadline_kind", "reason", "approved_by", "rating", "rated_by", "rating_method",
                  "revisit_result", "merged_into_id"]


def apply_ledger_import(session, plan: LedgerPlan, *, only_valid: bool = False,
                        progress: Progress | None = None, cancel=None) -> LedgerImportResult:
    """Write ``plan`` in one transaction; all-or-nothing unless ``only_valid``.

    Raises :class:`ImportHasErrorsError` (nothing written) when the plan has
    row errors and ``only_valid`` is False, and :class:`StalePlanError` when
    the ledger changed after the preview.
    """
    require(session, REVIEWERS, "导入问题台账")
    require_all_villages(session, "导入问题台账")
    refuse_errors(plan, only_valid, "台账")
    backup_now(session, LEDGER_IMPORT, progress=progress)  # automatic backup before an import writes
    created = updated = events = 0
    touched: list[str] = []
    with session.writing() as w:
        db = session.ledger.db
        refuse_stale(db, plan)
        township_id = session.ledger.get_meta("township_id")
        clock_ms = session.ledger.clock.now_ms()
        for n, p in enumerate(plan.problems):
            if progress and n % 200 == 0:
                progress("正在写入问题台账…", n / max(len(plan.problems), 1))
            problem_id = p.problem_id
            if problem_id is None:
                year = p.values["year"]
                if p.number:
                    ledger_no, provisional_no = p.number, ""
                else:
                    ledger_no, provisional_no = ledger_numbers.new_numbers(session, year)
                problem_id = uuid7(clock_ms + n)
                w.insert_many(Problem, ["id", "township_id", "ledger_no", "provisional_no", *p.values],
                              [(problem_id, township_id, ledger_no, provisional_no, *p.values.values())])
                if p.household_id:
                    w.insert_many(ProblemHousehold, ["id", "problem_id", "household_id"],
                                  [(link_id("problem_household", problem_id, p.household_id), problem_id,
                                    p.household_id)])
                created += 1
            else:
                updated += 1
            w.insert_many(ProblemEvent, _EVENT_COLUMNS, [_event_row(problem_id, e) for e in p.events])
            events += len(p.events)
            touched.append(problem_id)
        rebuild_problem_state(session, touched)
    return LedgerImportResult(created, updated, events, len(plan.error_rows) if only_valid else 0)


def import_ledger(session, path: str | os.PathLike, *, only_valid: bool = False) -> LedgerImportResult:
    """Plan and apply in one call (scripts)."""
    return apply_ledger_import(session, plan_ledger_import(session, path), only_valid=only_valid)


# -- export ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LedgerExportResult:
    path: str
    rows: int


_STATUS_OUT = {L.REGISTERED: "登记", L.DISPATCHED: "交办", L.IN_PROGRESS: "办理中", L.RESOLVED: "办结",
               L.RATED: "办结", L.CLOSED: "销号", L.VOIDED: "撤销", L.MERGED: "撤销"}

_EXPORT_SQL = """
    SELECT p.id, p.ledger_no, p.provisional_no, p.title, p.description, p.source, p.hotline_no,
           coalesce(c.name, ''), p.urgency, coalesce(v.name, ''), p.reporter, p.reporter_phone, p.registered_at
      FROM problem p
      LEFT JOIN category c ON c.id = p.category_id
      LEFT JOIN village v ON v.id = p.village_id
     WHERE p.deleted = 0 {where}
     ORDER BY p.registered_at, p.id
"""


def export_ledger(session, path: str | os.PathLike, *, village_id: str | None = None,
                  year: int | None = None, progress: Progress | None = None) -> LedgerExportResult:
    """Write the ledger in the import layout (a file that re-imports as "unchanged").

    The reporter's phone is masked (core.masking) unless the role may see it.
    """
    from ledgerdesk.core.masking import mask_phone
    from ledgerdesk.services.ledger_queries import events_of
    from ledgerdesk.services.permissions import may_reveal

    reveal = may_reveal(session)
    clauses, params = [], []
    if village_id:
        clauses.append("AND p.village_id = ?")
        params.append(village_id)
    if year:
        clauses.append("AND p.year = ?")
        params.append(year)
    path = Path(path)
    with session.reading():
        db = session.ledger.db
        rows = db.execute_sql(_EXPORT_SQL.format(where=" ".join(clauses)), params).fetchall()
        heads = dict(db.execute_sql(
            "SELECT ph.problem_id, hp.name FROM problem_household ph JOIN household h ON h.id = ph.household_id "
            "JOIN person hp ON hp.id = h.head_person_id WHERE ph.deleted = 0 GROUP BY ph.problem_id"))
        histories = events_of(db, [r[0] for r in rows])
    wb = new_workbook()
    widths = (16, 28, 36, 10, 14, 10, 8, 12, 8, 8, 12, 11, 10, 14, 11, 8, 11, 30, 8, 11, 16)
    ws = new_sheet(wb, "问题台账", LEDGER_HEADERS, widths)
    for n, (pid, ledger_no, provisional_no, title, description, source, hotline_no, category, urgency, village,
            reporter, reporter_phone, registered_at) in enumerate(rows):
        if progress and n % 2000 == 0:
            progress("正在导出问题台账…", n / max(len(rows), 1))
        s = L.derive(histories.get(pid, []))
        revisit = s.revisits[-1] if s.revisits else None
        ws.append([
            text_cell(ws, ledger_no or provisional_no), title, description, source, text_cell(ws, hotline_no),
            category, urgency, village, heads.get(pid, ""), reporter,
            text_cell(ws, reporter_phone if reveal else mask_phone(reporter_phone)),
            dt.date.fromisoformat(registered_at[:10]), s.responsible_person, s.responsible_unit,
            s.deadline, _STATUS_OUT.get(s.state, s.state), s.resolved_at.date() if s.resolved_at else None,
            s.resolution_note, s.rating or "", revisit.at.date() if revisit else None,
            revisit.result if revisit else "",
        ])
    save_workbook(wb, path)
    return LedgerExportResult(str(path), len(rows))
