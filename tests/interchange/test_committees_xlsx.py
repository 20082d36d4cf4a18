"""六会 Excel import/export: messy workbooks, person matching, all-or-nothing, only-valid, idempotent re-import,
export round trip and the shipped template."""

import datetime as dt

import openpyxl
import pytest
from ledger_checks import versions

from ledgerdesk.core.idcard import make_id_number
from ledgerdesk.interchange import committees as X
from ledgerdesk.interchange.errors import (
    HeaderNotFoundError,
    ImportHasErrorsError,
    StalePlanError,
)
from ledgerdesk.services import committee_supervision as S
from ledgerdesk.services import committees as C
from ledgerdesk.store.models import Household, Person

ID_A = make_id_number("152501", dt.date(1970, 3, 1), 11, True)
ID_B = make_id_number("152501", dt.date(1985, 6, 2), 12, True)  # 张伟 (1)
ID_C = make_id_number("152501", dt.date(1990, 7, 3), 14, True)  # 张伟 (2)


@pytest.fixture
def town(villages):
    s = villages
    with s.writing() as w:
        w.insert_many(Household, ["id", "village_id", "hh_no"], [("h-1", "v-1", "001"), ("h-2", "v-2", "901")])
        w.insert_many(Person, ["id", "household_id", "name", "id_number", "status"], [
            ("p-a", "h-1", "王建国", ID_A, "在册"), ("p-b", "h-1", "张伟", ID_B, "在册"),
            ("p-c", "h-1", "张伟", ID_C, "在册"), ("p-d", "h-1", "李秀英", "", "在册"),
            ("p-e", "h-1", "刘芳", "", "外出"), ("p-f", "h-1", "陈静", "", "去世"),
            ("p-g", "h-2", "巴特尔", "", "在册")])
    return s


def workbook(path, sheets):
    """``sheets``: [(title, [rows…])]; rows are lists of cell values (title rows and all)."""
    wb = openpyxl.Workbook()
    for n, (title, rows) in enumerate(sheets):
        ws = wb.active if n == 0 else wb.create_sheet()
        ws.title = title
        for row in rows:
            ws.append(row)
    wb.save(path)
    return path


MEMBERS = ("六会成员名单", [
    ["红旗村六会成员花名册"],
    ["填报单位：红旗村党支部", None, None, "填报日期：2026年11月"],
    [],
    ["序号", "村", "组织类别", "职务", "成员姓名", "公民身份号码", "入会时间"],
    [1, "红旗村", "红白理事会", "会长", "王建国", ID_A, "2024.3.5"],
    [2, "红旗", "红白理事会", "副会长", "张 伟", ID_B, dt.datetime(2024, 3, 5)],
    [3, "红旗村", "红白理事会", "", "李秀英", None, "2024年3月5日"],
    [4, "红旗村", "红旗村老年协会", "理事长", "刘芳", None, "20240601"],
    ["注：本表由村党支部填报"],
])
ACTIVITIES = ("活动台账", [
    ["红旗村六会活动记录"],
    ["村（社区）", "所属组织", "活动日期", "活动类型", "议题", "参会人员", "议定事项", "成效", "办理红白事", "宴请人数",
     "节约资金（元）", "巡逻次数"],
    ["红旗村", "红白理事会", "2026-10-08", "事务办理", "婚事简办", "王建国、李秀英，张伟（" + ID_B[-4:] + "）", "张榜公示",
     "节约开支", "２", 180, 36000, None],
    ["红旗村", "老年协会", 46280, "会议", "重阳节活动", "刘芳", "", "", None, None, None, None],
])


def test_messy_workbook_imports_and_reimport_changes_nothing(town, tmp_path):
    s = town
    path = workbook(tmp_path / "六会.xlsx", [MEMBERS, ACTIVITIES])
    plan = X.plan_committee_import(s, path)
    assert plan.ok, plan.errors
    assert plan.sheets == {"members": "六会成员名单", "activities": "活动台账"}
    c = plan.counts
    assert (c.committees_new, c.members_new, c.activities_new) == (2, 4, 2)
    result = X.apply_committee_import(s, plan)
    assert (result.committees_created, result.members_created, result.activities_created) == (2, 4, 2)
    ids = C.committee_ids(s, village_id="v-1")
    rows = {r.name: r for r in C.committee_rows(s, ids)}
    assert set(rows) == {"红白理事会", "老年协会"}
    hongbai = C.committee_detail(s, rows["红白理事会"].id)
    assert hongbai.row.founded_on == dt.date(2024, 3, 5)  # the earliest date of the file
    assert [(m.name, m.role, m.joined_on) for m in hongbai.members] == [
        ("王建国", "会长", dt.date(2024, 3, 5)), ("张伟", "副会长", dt.date(2024, 3, 5)),
        ("李秀英", "成员", dt.date(2024, 3, 5))]
    assert hongbai.members[1].person_id == "p-b"  # by 身份证号
    (act,) = hongbai.activities
    assert (act.held_on, act.kind, act.topic, act.events_handled, act.guests, act.money_saved_yuan) == (
        dt.date(2026, 10, 8), "事务办理", "婚事简办", 2, 180, 36000)
    assert set(C.activity_detail(s, act.id).attendee_ids) == {"p-a", "p-d", "p-b"}
    elders = C.committee_detail(s, rows["老年协会"].id)
    assert elders.row.kind == "custom" and elders.members[0].role == "会长"  # 理事长 → 会长
    assert elders.activities[0].held_on == dt.date(2026, 9, 15)  # an Excel serial number (46280)
    # again: everything matches, nothing is written
    before = versions(s)
    again = X.plan_committee_import(s, path)
    c = again.counts
    assert (c.committees_new, c.members_new, c.members_updated, c.activities_new, c.activities_updated) == (
        0, 0, 0, 0, 0)
    X.apply_committee_import(s, again)
    assert versions(s) == before


def test_row_errors_refuse_the_whole_file_unless_only_valid(town, tmp_path):
    s = town
    rows = [
        ["村", "组织名称", "职务", "姓名", "身份证号", "加入日期"],
        ["红旗村", "互帮互助会", "会长", "王建国", ID_A, "2025-01-01"],
        ["红旗村", "互帮互助会", "成员", "张伟", None, "2025-01-01"],  # two 张伟: ambiguous
        ["红旗村", "互帮互助会", "成员", "赵六", None, "2025-01-01"],  # nobody
        ["红旗村", "互帮互助会", "成员", "陈静", None, "2025-01-01"],  # 去世
        ["幸福村", "互帮互助会", "成员", "王建国", None, "2025-01-01"],  # unknown village
        ["红旗村", "互帮互助会", "书记", "李秀英", None, "2025-01-01"],  # unknown role
        ["红旗村", "互帮互助会", "会长", "刘芳", None, "2025-01-01"],  # a second 会长
        ["红旗村", "互帮互助会", "成员", "王建国", 1.52501197003011e17, "2025-01-01"],  # ID turned into a number
        ["红旗村", "互帮互助会", "成员", "王建国", ID_A, "2027-01-01"],  # future
    ]
    path = workbook(tmp_path / "bad.xlsx", [("成员", rows)])
    plan = X.plan_committee_import(s, path)
    text = "\n".join(str(e) for e in plan.errors)
    for needle in ("有 2 人名为“张伟”", "没有名为“赵六”", "陈静已去世", "没有名为“幸福村”", "职务应为", "只能有一位会长",
                   "存成了数字", "不能晚于今天"):
        assert needle in text, needle
    assert {r for _, r in plan.error_rows} == {3, 4, 5, 6, 7, 8, 9, 10}
    before = versions(s)
    with pytest.raises(ImportHasErrorsError):
        X.apply_committee_import(s, plan)
    assert versions(s) == before
    result = X.apply_committee_import(s, plan, only_valid=True)
    assert result.rows_skipped == 8 and result.members_created == 1
    (cid,) = C.committee_ids(s, village_id="v-1")
    assert [m.name for m in C.committee_detail(s, cid).members] == ["王建国"]


def test_a_deceased_person_is_a_row_error(town, tmp_path):
    s = town
    path = workbook(tmp_path / "x.xlsx", [("成员", [["村", "组织名称", "姓名"], ["红旗村", "禁毒禁赌会", "陈静"]])])
    plan = X.plan_committee_import(s, path)
    before = versions(s)
    with pytest.raises(ImportHasErrorsError) as info:
        X.apply_committee_import(s, plan)
    assert "陈静已去世" in info.value.message
    assert versions(s) == before


def test_figures_only_for_their_kinds_and_duplicates_in_file(town, tmp_path):
    s = town
    rows = [["村", "组织", "日期", "类型", "主题", "参加人员", "巡逻次数", "宴请人数"],
            ["红旗村", "联防联治会", "2026-10-01", "巡逻", "夜巡", "王建国", 3, None],
            ["红旗村", "联防联治会", "2026-10-01", "巡逻", "夜巡", "王建国", 3, None],
            ["红旗村", "联防联治会", "2026-10-02", "巡逻", "夜巡", "王建国", None, 50],
            ["红旗村", "联防联治会", "2026-10-03", "聚会", "夜巡", "王建国", None, None],
            ["红旗村", "联防联治会", "2026-10-04", "巡逻", "夜巡", "王建国", "三次", None],
            ["红旗村", "联防联治会", "2026-10-05", "巡逻", "夜巡", "张伟", None, None]]
    plan = X.plan_committee_import(s, workbook(tmp_path / "a.xlsx", [("活动", rows)]))
    assert {r for _, r in plan.error_rows} == {3, 4, 5, 6, 7}
    text = "\n".join(str(e) for e in plan.errors)
    assert "同一次活动" in text and "不记录“宴请人数”" in text and "类型应为" in text and "应为整数" in text


def test_stale_plan_is_refused(town, tmp_path):
    s = town
    plan = X.plan_committee_import(s, workbook(tmp_path / "m.xlsx", [MEMBERS]))
    C.form(s, village_id="v-2", kind="daode")
    with pytest.raises(StalePlanError):
        X.apply_committee_import(s, plan)


def test_not_a_committee_workbook(town, tmp_path):
    path = workbook(tmp_path / "x.xlsx", [("Sheet", [["户号", "姓名", "身份证号"], ["001", "王建国", ID_A]])])
    with pytest.raises(HeaderNotFoundError):
        X.plan_committee_import(town, path)


def test_leaving_and_role_changes_update_members(town, tmp_path):
    s = town
    cid = C.form(s, village_id="v-1", kind="xiangxian", founded_on="2024-01-01")
    old_chair = C.add_member(s, cid, person_id="p-a", role="会长", joined_on="2024-01-01")
    rows = [["村", "组织名称", "职务", "姓名", "身份证号", "加入日期", "离任日期"],
            ["红旗村", "乡贤参事会", "会长", "李秀英", None, "2026-01-01", None],
            ["红旗村", "乡贤参事会", "会长", "王建国", ID_A, "2024-01-01", "2025-12-31"]]
    plan = X.plan_committee_import(s, workbook(tmp_path / "m.xlsx", [("成员", rows)]))
    assert plan.ok, plan.errors
    assert (plan.counts.members_new, plan.counts.members_updated) == (1, 1)
    X.apply_committee_import(s, plan)
    detail = C.committee_detail(s, cid)
    assert [(m.name, m.role, m.current) for m in detail.members] == [("李秀英", "会长", True),
                                                                     ("王建国", "会长", False)]
    assert detail.members[1].id == old_chair and detail.members[1].left_on == dt.date(2025, 12, 31)
    # a new 会长 while the ledger's one stays is a row error
    rows = [["村", "组织名称", "职务", "姓名"], ["红旗村", "乡贤参事会", "会长", "刘芳"]]
    plan = X.plan_committee_import(s, workbook(tmp_path / "n.xlsx", [("成员", rows)]))
    assert "已有会长" in str(plan.errors[0])


def test_export_round_trip_into_an_empty_copy(town, tmp_path):
    s = town
    X.apply_committee_import(s, X.plan_committee_import(s, workbook(tmp_path / "in.xlsx", [MEMBERS, ACTIVITIES])))
    C.form(s, village_id="v-2", kind="daode", founded_on="2025-05-05", charter="评议章程")
    out = X.export_committees(s, tmp_path / "out.xlsx")
    assert (out.committees, out.members, out.activities, out.masked) == (3, 4, 2, True)
    wb = openpyxl.load_workbook(out.path)
    assert wb.sheetnames == ["组织", "组织成员", "活动记录"]
    ids = [row[4] for row in wb["组织成员"].iter_rows(min_row=2, values_only=True)]
    assert ID_A not in ids and ID_A[:4] + "*" * 10 + ID_A[-4:] in ids
    attendees = [row[5] for row in wb["活动记录"].iter_rows(min_row=2, values_only=True)]
    assert any(f"张伟（{ID_B[-4:]}）" in a for a in attendees if a)  # namesakes carry their ID's last four
    # re-importing the masked export matches everything (masked IDs and name suffixes tell namesakes apart)
    plan = X.plan_committee_import(s, out.path)
    assert plan.ok, plan.errors
    c = plan.counts
    assert (c.committees_new, c.members_new, c.members_updated, c.activities_new, c.activities_updated) == (
        0, 0, 0, 0, 0)
    # into a ledger without the committees: the same committees, members and activities
    for cid in C.committee_ids(s, include_dissolved=True):
        for a in C.activity_ids(s, committee_id=cid):
            C.delete_activity(s, a)
    with s.writing() as w:
        for (mid,) in s.ledger.db.execute_sql("SELECT id FROM committee_member WHERE deleted = 0").fetchall():
            w.delete(C.CommitteeMember, mid)
        for (cid,) in s.ledger.db.execute_sql("SELECT id FROM committee WHERE deleted = 0").fetchall():
            w.delete(C.Committee, cid)
    X.apply_committee_import(s, X.plan_committee_import(s, out.path))
    rows = C.committee_rows(s, C.committee_ids(s))
    assert sorted((r.village, r.name, r.founded_on, r.members) for r in rows) == [
        ("巴音嘎查", "道德评议会", dt.date(2025, 5, 5), 0), ("红旗村", "红白理事会", dt.date(2024, 3, 5), 3),
        ("红旗村", "老年协会", dt.date(2024, 6, 1), 1)]
    assert next(r for r in rows if r.name == "道德评议会").charter == "评议章程"
    assert len(C.activity_ids(s)) == 2



def test_decisions_and_outcomes_keep_chinese_punctuation_and_reimport_unchanged(town, tmp_path):
    s = town
    sheet = ("活动记录", [
        ["村(社区)", "组织名称", "日期", "类型", "主题", "参加人员", "决定事项", "结果"],
        ["红旗村", "红白理事会", "2026-10-08", "会议", "婚事简办（试点）", "王建国", "一、彩礼不超过３万元；\n二、宴席不超过１０桌。",
         "已张榜公示，群众认可！"],
    ])
    path = workbook(tmp_path / "六会.xlsx", [sheet])
    X.apply_committee_import(s, X.plan_committee_import(s, path))
    (aid,) = C.activity_ids(s)
    stored = s.ledger.db.execute_sql("SELECT decisions, outcome FROM committee_activity WHERE id = ?",
                                     (aid,)).fetchone()
    assert stored == ("一、彩礼不超过3万元；\n二、宴席不超过10桌。", "已张榜公示，群众认可！")
    before = versions(s)
    for source in (path, X.export_committees(s, tmp_path / "out.xlsx").path):
        again = X.plan_committee_import(s, source)
        assert again.ok, again.errors
        c = again.counts
        assert (c.activities_new, c.activities_updated, c.activities_unchanged) == (0, 0, 1)
    # text an earlier import stored with half-width punctuation is the same text
    with s.writing() as w:
        w.update(C.CommitteeActivity, aid, {"outcome": "已张榜公示,群众认可!"})
    assert X.plan_committee_import(s, path).counts.activities_updated == 0
    assert versions(s) == before + 1

def test_reveal_needs_the_role(town, tmp_path):
    s = town
    X.apply_committee_import(s, X.plan_committee_import(s, workbook(tmp_path / "in.xlsx", [MEMBERS])))
    assert not X.export_committees(s, tmp_path / "a.xlsx", reveal=True).masked
    s.role = "录入员"
    assert X.export_committees(s, tmp_path / "b.xlsx", reveal=True).masked


def test_shipped_template_is_current_and_reads_empty(town, tmp_path):
    shipped = X.template_path()
    assert shipped.exists()
    fresh = X.write_committee_template(tmp_path / "t.xlsx")
    for name in ("组织成员", "活动记录"):
        a = [c.value for c in openpyxl.load_workbook(shipped)[name][1]]
        b = [c.value for c in openpyxl.load_workbook(fresh)[name][1]]
        assert a == b
    plan = X.plan_committee_import(town, shipped)
    assert plan.ok and plan.counts.rows == 0


def test_demo_checklist_survives_an_import(demo_session, tmp_path):
    """A masked export of the demo re-imports with (almost) nothing to do, and the checklist is unchanged."""
    s = demo_session
    before = S.checklist(s)
    out = X.export_committees(s, tmp_path / "demo.xlsx")
    plan = X.plan_committee_import(s, out.path)
    c = plan.counts
    assert c.members_new == 0 and c.activities_new == 0 and c.committees_new == 0
    assert len(plan.error_rows) <= 0.01 * c.rows  # namesakes with the same last four or no 身份证号
    X.apply_committee_import(s, plan, only_valid=True)
    assert S.checklist(s) == before
