"""Importing an existing Excel 问题台账 and exporting the ledger (interchange/ledger_xlsx.py)."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ledger_checks import versions
from openpyxl import Workbook, load_workbook

from ledgerdesk.core import lifecycle as L
from ledgerdesk.core.errors import PermissionDeniedError
from ledgerdesk.interchange.errors import ImportHasErrorsError, StalePlanError
from ledgerdesk.interchange.ledger_xlsx import (
    LEDGER_HEADERS,
    apply_ledger_import,
    export_ledger,
    plan_ledger_import,
)
from ledgerdesk.services import ledger
from ledgerdesk.services.ledger_queries import load_events
from ledgerdesk.store.models import Village

HEADERS = ["序号", "台账编号", "问题标题", "问题描述", "问题来源", "类别", "村", "户主", "受理日期", "责任人",
           "责任单位", "办理时限", "办理状态", "办结时间", "办理结果", "群众满意度", "回访日期"]


def _villages(session, *names: str) -> dict[str, str]:
    with session.writing() as w:
        tid = session.ledger.get_meta("township_id")
        return {n: w.insert(Village, {"township": tid, "name": n, "kind": "嘎查" if n.endswith("嘎查") else "村"})
                for n in names}


def _workbook(path, rows, headers=HEADERS, title=True):
    wb = Workbook()
    ws = wb.active
    if title:
        ws.append(["测试镇2026年问题台账"])
        ws.append(["填报单位：测试镇党委", None, None, "填报日期：2026年11月"])
        ws.append([])
    ws.append(headers)
    for r in rows:
        ws.append(r)
    wb.save(path)
    return path


def _count(session, table: str) -> int:
    return session.ledger.db.execute_sql(f"SELECT count(*) FROM {table} WHERE deleted = 0").fetchone()[0]


def _state_of(session, number: str) -> L.ProblemState:
    db = session.ledger.db
    pid = db.execute_sql("SELECT id FROM problem WHERE ledger_no = ? OR provisional_no = ?",
                         (number, number)).fetchone()[0]
    return L.derive(load_events(db, pid), strict=True)


MESSY_ROWS = [
    # 1: closed, full-width digits in the number, dates as text
    [1, "ＸＺ-２０２６-００１", "村道塌陷", "三组村道雨后塌陷", "网格员", "道路交通", "红旗", None, "2026.3.5", "王强",
     "镇交通办", "15个工作日", "已销号", "2026年3月20日", "已修复", "满意", "2026-04-01"],
    # 2: in progress, Excel date cell, default deadline
    [2, "XZ-2026-002", "低保申请咨询", "", "群众反映", "社保低保", "红旗村", None, dt.datetime(2026, 10, 8), "李梅",
     "", None, "办理中", None, None, None, None],
    # 3: registered only, Excel serial number as the date, a source alias
    [3, "XZ-2026-003", "邻里宅基地纠纷", "", "走访", "邻里纠纷", "白音嘎查", None, 46300, None, None, None, "登记",
     None, None, None, None],
    # 4: resolved and rated 不满意 (not closed)
    [4, "XZ-2026-004", "自来水浑浊", "", "12345", "饮水安全", "白音", None, "2026/9/1", "赵刚", "镇水务站", "10天", "办结",
     "2026-09-09", "已冲洗管网", "不满意", None],
    # 5: voided
    [5, "XZ-2026-005", "重复反映路灯", "", "群众反映", None, "红旗村", None, "20260902", None, None, None, "撤销",
     None, None, None, None],
]


def test_a_messy_ledger_imports_with_events_rebuilt(memory_session, tmp_path):
    _villages(memory_session, "红旗村", "白音嘎查")
    path = _workbook(tmp_path / "台账.xlsx", MESSY_ROWS)
    plan = plan_ledger_import(memory_session, path)
    assert plan.ok, plan.summary_lines()
    assert plan.header_row == 4 and plan.new_count == 5
    result = apply_ledger_import(memory_session, plan)
    assert (result.created, result.updated) == (5, 0)

    closed = _state_of(memory_session, "XZ-2026-001")
    assert closed.state == L.CLOSED and closed.rating == "满意"
    assert closed.registered_at.date() == dt.date(2026, 3, 5) and closed.resolved_at.date() == dt.date(2026, 3, 20)
    assert closed.responsible_unit == "镇交通办" and closed.deadline_kind == "工作日"
    assert closed.revisits and closed.revisits[0].at.date() == dt.date(2026, 4, 1)
    assert _state_of(memory_session, "XZ-2026-002").state == L.IN_PROGRESS
    third = _state_of(memory_session, "XZ-2026-003")
    assert third.state == L.REGISTERED and third.registered_at.date() == dt.date(2026, 10, 5)  # serial 46300
    fourth = _state_of(memory_session, "XZ-2026-004")
    assert fourth.state == L.RATED and fourth.rating == "不满意"
    assert fourth.deadline == dt.date(2026, 9, 11)  # 10 calendar days
    assert _state_of(memory_session, "XZ-2026-005").state == L.VOIDED

    db = memory_session.ledger.db
    sources = dict(db.execute_sql("SELECT ledger_no, source FROM problem"))
    assert sources["XZ-2026-003"] == "走访发现" and sources["XZ-2026-004"] == "12345热线"
    states = dict(db.execute_sql("SELECT p.ledger_no, s.state FROM problem_state s JOIN problem p ON p.id = s.problem_id"))
    assert states["XZ-2026-001"] == L.CLOSED and states["XZ-2026-002"] == L.IN_PROGRESS


def test_reimporting_the_same_file_changes_nothing(memory_session, tmp_path):
    _villages(memory_session, "红旗村", "白音嘎查")
    path = _workbook(tmp_path / "台账.xlsx", MESSY_ROWS)
    apply_ledger_import(memory_session, plan_ledger_import(memory_session, path))
    before = versions(memory_session)
    again = plan_ledger_import(memory_session, path)
    assert again.ok and again.problems == [] and again.unchanged == 5
    apply_ledger_import(memory_session, again)
    assert versions(memory_session) == before


def test_a_later_version_of_the_ledger_adds_only_the_new_steps(memory_session, tmp_path):
    _villages(memory_session, "红旗村", "白音嘎查")
    apply_ledger_import(memory_session, plan_ledger_import(memory_session, _workbook(tmp_path / "a.xlsx", MESSY_ROWS)))
    events_before = _count(memory_session, "problem_event")
    later = [list(r) for r in MESSY_ROWS]
    later[1][12:16] = ["办结", "2026-10-20", "已纳入低保", "基本满意"]
    plan = plan_ledger_import(memory_session, _workbook(tmp_path / "b.xlsx", later))
    assert plan.ok and plan.new_count == 0 and plan.updated_count == 1
    assert [e.kind for e in plan.problems[0].events] == [L.RESOLVE, L.RATE]
    apply_ledger_import(memory_session, plan)
    assert _count(memory_session, "problem_event") == events_before + 2
    assert _state_of(memory_session, "XZ-2026-002").state == L.RATED


def test_row_errors_refuse_the_whole_file_and_write_nothing(memory_session, tmp_path):
    _villages(memory_session, "红旗村")
    rows = [
        MESSY_ROWS[1],
        [9, "XZ-9", "未知村的问题", "", "群众反映", None, "红旗屯", None, "2026-10-01", None, None, None, "登记"],
        [10, "XZ-10", "没评价先销号", "", "群众反映", None, "红旗村", None, "2026-10-01", "王强", "", None, "销号",
         "2026-10-05", "", "不满意"],
        [11, "XZ-11", "状态写错", "", "群众反映", None, "红旗村", None, "2026-10-01", None, None, None, "处理完了"],
        [12, "XZ-12", "办结却无日期", "", "群众反映", None, "红旗村", None, "2026-10-01", "王强", None, None, "办结"],
        [13, "XZ-13", "日期颠倒", "", "群众反映", None, "红旗村", None, "2026-10-01", "王强", None, None, "办结",
         "2026-09-01"],
        [14, "XZ-14", "未来的问题", "", "群众反映", None, "红旗村", None, "2027-01-01"],
        [15, "XZ-2026-002", "编号重复", "", "群众反映", None, "红旗村", None, "2026-10-01"],
    ]
    path = _workbook(tmp_path / "错.xlsx", rows)
    before = versions(memory_session)
    plan = plan_ledger_import(memory_session, path)
    by_row = {e.row: e for e in plan.errors}
    assert set(by_row) == {6, 7, 8, 9, 10, 11, 12}  # data starts on Excel row 5
    assert "红旗屯" in by_row[6].reason and by_row[6].column == "村"
    assert "不满意" in by_row[7].reason
    assert "处理完了" in by_row[8].reason
    assert "办结日期" in by_row[9].reason
    assert "早于登记日期" in by_row[10].reason
    assert "晚于今天" in by_row[11].reason
    assert "重复" in by_row[12].reason
    with pytest.raises(ImportHasErrorsError):
        apply_ledger_import(memory_session, plan)
    assert versions(memory_session) == before

    result = apply_ledger_import(memory_session, plan, only_valid=True)
    assert result.created == 1 and result.rows_skipped == 7
    assert _count(memory_session, "problem") == 1


def test_a_clerk_cannot_import_a_ledger_and_a_stale_preview_is_refused(memory_session, tmp_path):
    _villages(memory_session, "红旗村", "白音嘎查")
    plan = plan_ledger_import(memory_session, _workbook(tmp_path / "a.xlsx", MESSY_ROWS))
    memory_session.role = "录入员"
    with pytest.raises(PermissionDeniedError):
        apply_ledger_import(memory_session, plan)
    memory_session.role = "管理员"
    ledger.register_problem(memory_session, title="新问题", source="群众反映")
    with pytest.raises(StalePlanError):
        apply_ledger_import(memory_session, plan)


def test_export_has_the_import_layout_and_round_trips(memory_session, tmp_path):
    _villages(memory_session, "红旗村", "白音嘎查")
    apply_ledger_import(memory_session, plan_ledger_import(memory_session, _workbook(tmp_path / "a.xlsx", MESSY_ROWS)))
    out = export_ledger(memory_session, tmp_path / "导出.xlsx")
    assert out.rows == 5
    ws = load_workbook(out.path).active
    rows = list(ws.iter_rows(values_only=True))
    assert tuple(rows[0]) == LEDGER_HEADERS
    by_no = {r[0]: r for r in rows[1:]}
    assert by_no["XZ-2026-001"][LEDGER_HEADERS.index("状态")] == "销号"
    assert by_no["XZ-2026-004"][LEDGER_HEADERS.index("群众评价")] == "不满意"
    # the exported file re-imports as "unchanged"
    plan = plan_ledger_import(memory_session, out.path)
    assert plan.ok and plan.problems == [] and plan.unchanged == 5


_STATUSES = ["登记", "交办", "办理中", "办结", "销号", "撤销", ""]


@st.composite
def ledger_rows(draw):
    registered = draw(st.dates(dt.date(2025, 1, 1), dt.date(2026, 11, 1)))
    status = draw(st.sampled_from(_STATUSES))
    resolved = draw(st.none() | st.dates(dt.date(2024, 12, 1), dt.date(2026, 12, 31)))
    rating = draw(st.sampled_from(["", "满意", "基本满意", "不满意", "很好"]))
    person = draw(st.sampled_from(["", "王强"]))
    deadline = draw(st.sampled_from([None, "10天", "5个工作日", "2026-12-31", "明天"]))
    return [None, None, "问题", "", "群众反映", None, "红旗村", None, registered, person, None, deadline, status,
            resolved, None, rating or None, None]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(row=ledger_rows())
def test_any_row_either_imports_to_a_legal_history_or_is_one_row_error(memory_session, tmp_path_factory, row):
    """Property: a row is refused with exactly one Chinese reason, or imports to the state its columns say."""
    if not _count(memory_session, "village"):
        _villages(memory_session, "红旗村")
    path = _workbook(tmp_path_factory.mktemp("h") / "r.xlsx", [row], title=False)
    plan = plan_ledger_import(memory_session, path)
    if plan.errors:
        assert len(plan.errors) == 1 and plan.errors[0].reason and not plan.problems
        return
    if not plan.problems:  # matched an earlier example's problem (same title/date/village)
        return
    events = plan.problems[0].events
    state = L.derive(events, strict=True)
    status = row[12]
    expected = {"登记": L.REGISTERED, "交办": L.DISPATCHED, "办理中": L.IN_PROGRESS, "销号": L.CLOSED,
                "撤销": L.VOIDED}.get(status)
    if status == "办结" or (not status and row[13]):
        expected = L.RATED if row[15] else L.RESOLVED
    elif not status:
        expected = L.DISPATCHED if row[9] else L.REGISTERED
    assert state.state == expected
    assert state.registered_at.date() == row[8]


def test_free_text_keeps_its_chinese_punctuation_and_reimports_unchanged(memory_session, tmp_path):
    from ledgerdesk.core.text import clean
    from ledgerdesk.store.models import Problem

    s = memory_session
    _villages(s, "红旗村", "白音嘎查")
    row = [1, None, "村道塌陷（三组），急！", "雨后塌陷：约５米；\n影响通行。", "网格员", "道路交通", "红旗村", None,
           "2026.3.5", "王强", "镇交通办", "15个工作日", "办结", "2026-03-20", "已修复，群众满意。", None, None]
    path = _workbook(tmp_path / "台账.xlsx", [row])
    apply_ledger_import(s, plan_ledger_import(s, path))
    db = s.ledger.db
    pid, title, description = db.execute_sql("SELECT id, title, description FROM problem").fetchone()
    assert (title, description) == ("村道塌陷（三组），急！", "雨后塌陷：约5米；\n影响通行。")
    notes = [e.note for e in load_events(db, pid) if e.kind == L.RESOLVE]
    assert notes == ["已修复，群众满意。"]
    again = plan_ledger_import(s, path)
    assert again.ok and again.problems == [] and again.unchanged == 1
    # a problem an earlier import stored with half-width punctuation still matches its row
    with s.writing() as w:
        w.update(Problem, pid, {"title": clean(title)})
    again = plan_ledger_import(s, path)
    assert again.ok and again.problems == [] and again.unchanged == 1


def test_an_ambiguous_short_village_name_is_a_row_error(memory_session, tmp_path):
    _villages(memory_session, "红旗村", "红旗社区")
    row = [1, None, "路灯不亮", "", "网格员", "", "红旗", None, "2026.3.5"]
    plan = plan_ledger_import(memory_session, _workbook(tmp_path / "t.xlsx", [row]))
    assert [e.reason for e in plan.errors] == ["“红旗”可能是红旗村、红旗社区，请写村（社区）的全称"]
