"""花名册 import: plan → preview → apply, on messy real-world workbooks."""

from __future__ import annotations

import datetime as dt

import pytest

from ledgerdesk.cli import main
from ledgerdesk.core.errors import PermissionDeniedError
from ledgerdesk.interchange.errors import ImportHasErrorsError, StalePlanError
from ledgerdesk.interchange.roster import apply_roster_import, plan_roster_import
from ledgerdesk.services import registry


def versions(session) -> int:
    return session.ledger.db.execute_sql("SELECT count(*) FROM version").fetchone()[0]


def q(session, sql, params=()):
    return session.ledger.db.execute_sql(sql, params).fetchall()


def messy(book, h):
    """Title rows, aliases with spaces/asterisks/line breaks, full-width digits, every kind of mess."""
    header = ("序号", "村（社区）", "村民小组", "户 号", "户主\n姓名", "*姓名", "与户主关系", "性别", "出生年月",
              "公民身份号码", "联系方式", "民族", "是否党员", "家庭住址", "状态", "户标签", "三色")
    good1, good2, good3 = h.pid(1962, 4, 8, 11), h.pid(1965, 9, 1, 12, False), h.pid(1990, 1, 20, 13)
    bad_check = good3[:-1] + ("0" if good3[-1] != "0" else "1")
    rows = [
        # 3: head, full-width phone, stray spaces, tags
        [1, "红旗村", "第一村民小组", "H001", "张建国", " 张 建国 ", "户主", "男", dt.date(1962, 4, 8), good1,
         "１３８ ００１３ ８０００", "汉族", "是", "红旗村一组1号", "在册", "低保、留守老人", "黄"],
        # 4: spouse, Excel serial date, text date variants
        [2, "红旗村", "第一村民小组", "H001", "张建国", "李秀英", "配偶", "", 23986, good2, "", "汉族", "否", "", "", "", ""],
        # 5: son, wrong check digit (a warning), text date
        [3, "红旗村", "第一村民小组", "H001", "张建国", "张伟", "子", "", "1990.1.20", bad_check, "", "", "", "", "外出", "",
         ""],
        # 6: ID that Excel turned into a number (error)
        [4, "新丰村", "二组", "H002", "王五", "王五", "户主", "", "", 1.52301198005010E+17, "13900139000", "", "", "", "",
         "", ""],
        # 7: bad phone (error)
        [5, "新丰村", "二组", "H003", "赵六", "赵六", "户主", "", "1970年3月5日", "", "12345", "", "", "", "", "", ""],
        # 8: missing name (error)
        [6, "新丰村", "二组", "H003", "赵六", "", "子", "", "", "", "", "", "", "", "", "", ""],
        # 9: duplicate of row 3's person (same 身份证号)
        [7, "红旗村", "第一村民小组", "H001", "张建国", "张建国", "户主", "", "", good1, "", "", "", "", "", "", ""],
        # 10: a valid household in an unknown village that gets created
        [8, "新丰村", "三组", "H004", "钱七", "钱七", "户主", "女", "19850203", "", "13700137000", "回族", "", "", "",
         "", "绿"],
    ]
    return book(rows, header=header, title_rows=[["XX镇 人口花名册"]]), (good1, good2, bad_check)


def test_messy_workbook_plan(memory_session, book, h):
    path, (good1, good2, bad_check) = messy(book, h)
    plan = plan_roster_import(memory_session, path)
    assert plan.header_row == 2 and plan.sheet == "花名册"
    assert plan.ignored_headers == ("序号",)
    got = {(e.row, e.column) for e in plan.errors}
    assert got == {(6, "公民身份号码"), (7, "联系方式"), (8, "*姓名"), (9, "公民身份号码")}
    assert any("第3行" in e.reason for e in plan.duplicates_in_file)
    assert [(w.row, w.column) for w in plan.warnings] == [(5, "公民身份号码")]
    assert "校验位" in plan.warnings[0].reason
    assert plan.new_villages == ("红旗村", "新丰村")
    assert set(plan.new_groups) == {("红旗村", "第一村民小组"), ("新丰村", "三组")}  # 二组 has only error rows
    c = plan.counts
    assert (c.rows, c.valid_rows, c.error_rows) == (8, 4, 4)
    assert (c.households_new, c.persons_new) == (2, 4)
    text = "\n".join(plan.summary_lines())
    assert "将新建村（社区）：红旗村、新丰村" in text and "第6行“公民身份号码”列（J6）" in text
    assert versions(memory_session) > 0 and q(memory_session, "SELECT count(*) FROM person")[0][0] == 0


def test_all_or_nothing_writes_nothing(memory_session, book, h):
    path, _ = messy(book, h)
    plan = plan_roster_import(memory_session, path)
    before = versions(memory_session)
    with pytest.raises(ImportHasErrorsError) as info:
        apply_roster_import(memory_session, plan)
    assert "没有导入任何数据" in info.value.message and "第6行" in info.value.message
    assert versions(memory_session) == before
    assert q(memory_session, "SELECT count(*) FROM village")[0][0] == 0


def test_only_valid_rows(memory_session, book, h):
    path, (good1, good2, bad_check) = messy(book, h)
    plan = plan_roster_import(memory_session, path)
    result = apply_roster_import(memory_session, plan, only_valid=True)
    assert (result.households_created, result.persons_created, result.rows_skipped) == (2, 4, 4)
    assert result.villages_created == ("红旗村", "新丰村")
    persons = {r[0]: r[1:] for r in q(memory_session, "SELECT name, gender, birth_date, id_number, id_status, "
                                                       "phone, status, is_party_member FROM person")}
    assert persons["张建国"] == ("男", "1962-04-08", good1, "valid", "13800138000", "在册", 1)
    assert persons["李秀英"] == ("女", "1965-09-01", good2, "valid", "", "在册", 0)
    assert persons["张伟"][2:5] == (bad_check, "invalid", "")  # wrong check digit: saved, flagged
    assert persons["张伟"][5] == "外出"
    assert persons["钱七"][:2] == ("女", "1985-02-03")
    [(hh_no, head, phone, level, address)] = q(
        memory_session, "SELECT h.hh_no, p.name, h.phone, h.level, h.address FROM household h "
                        "JOIN person p ON p.id = h.head_person_id WHERE h.hh_no = 'H001'")
    assert (head, phone, level, address) == ("张建国", "13800138000", "黄", "红旗村一组1号")
    tags = {r[0] for r in q(memory_session, "SELECT t.name FROM household_tag ht JOIN tag t ON t.id = ht.tag_id")}
    assert tags == {"低保", "留守老人"}
    kinds = dict(q(memory_session, "SELECT v.name, g.kind FROM village_group g JOIN village v ON v.id = g.village_id"))
    assert kinds["红旗村"] == "村民小组"


def test_reimport_is_idempotent_and_updates(memory_session, book, h):
    rows = [h.person(number=h.pid(1960, 1, 1, 1), phone="13800000001", group="一组", tags="低保"),
            h.person(name="王芳", relation="配偶", number=h.pid(1962, 2, 2, 2, False)),
            h.person(name="张小明", relation="子", birth="2001-05-06"),
            h.person(hh_no="H002", head="刘强", name="刘强", birth="1970.7.7", village="胜利社区")]
    path = book(rows)
    first = apply_roster_import(memory_session, plan_roster_import(memory_session, path))
    assert (first.households_created, first.persons_created) == (2, 4)
    before = versions(memory_session)
    again = plan_roster_import(memory_session, path)
    c = again.counts
    assert (c.households_new, c.households_updated, c.households_unchanged) == (0, 0, 2)
    assert (c.persons_new, c.persons_updated, c.persons_unchanged) == (0, 0, 4)
    assert again.new_villages == () and again.new_groups == () and again.new_tags == ()
    result = apply_roster_import(memory_session, again)
    assert (result.households_created, result.persons_created, result.persons_updated) == (0, 0, 0)
    assert versions(memory_session) == before
    assert q(memory_session, "SELECT kind FROM village WHERE name = '胜利社区'") == [("社区",)]

    rows[2]["联系电话"] = "13911112222"
    rows[1]["出生日期"] = ""  # blank never clears
    rows.append(h.person(name="张小红", relation="女", birth="2003-03-03"))
    plan = plan_roster_import(memory_session, book(rows))
    assert (plan.counts.persons_new, plan.counts.persons_updated, plan.counts.households_updated) == (1, 1, 1)
    apply_roster_import(memory_session, plan)
    assert q(memory_session, "SELECT phone FROM person WHERE name = '张小明'") == [("13911112222",)]
    assert q(memory_session, "SELECT count(*) FROM person")[0][0] == 5
    assert q(memory_session, "SELECT count(*) FROM household")[0][0] == 2


def test_households_without_hh_no_follow_their_head_row_and_match_by_head_id(memory_session, book, h):
    head_id = h.pid(1955, 5, 5, 5)
    rows = [h.person(hh_no="", head="", name="孙大", number=head_id),
            h.person(hh_no="", head="", name="孙二", relation="子", birth="1980-01-01"),
            h.person(hh_no="", head="", name="周一", relation="本人", birth="1966-06-06"),
            h.person(hh_no="", head="", name="周二", relation="妻", birth="1967-07-07")]
    path = book(rows)
    apply_roster_import(memory_session, plan_roster_import(memory_session, path))
    homes = q(memory_session, "SELECT hp.name, count(p.id) FROM household h JOIN person hp ON hp.id = h.head_person_id "
                              "JOIN person p ON p.household_id = h.id GROUP BY h.id ORDER BY hp.name")
    assert homes == [("周一", 2), ("孙大", 2)]
    plan = plan_roster_import(memory_session, path)
    assert plan.counts.households_unchanged == 2 and plan.counts.persons_unchanged == 4
    assert {h_.matched_by for h_ in plan.households} == {"户主身份证号", "户主姓名和出生日期"}


def test_member_before_any_head_is_an_error(memory_session, book, h):
    plan = plan_roster_import(memory_session, book([h.person(hh_no="", head="", name="某某", relation="子")]))
    [e] = plan.errors
    assert e.row == 2 and "户主" in e.reason


def test_same_person_twice_without_id_is_a_duplicate(memory_session, book, h):
    rows = [h.person(), h.person(name="张三", relation="子", birth="2000-01-01"),
            h.person(name="张三", relation="子", birth="2000-01-01")]
    plan = plan_roster_import(memory_session, book(rows))
    assert [(e.row, e.column) for e in plan.duplicates_in_file] == [(4, "姓名")]


def test_id_number_already_in_another_household_is_a_warning(memory_session, book, h):
    number = h.pid(1950, 1, 1, 3)
    apply_roster_import(memory_session, plan_roster_import(memory_session, book([h.person(number=number)])))
    plan = plan_roster_import(memory_session, book([h.person(hh_no="H009", head="李四", name="李四"),
                                                    h.person(hh_no="H009", head="李四", name="张建国", relation="父亲",
                                                             number=number)]))
    assert plan.ok
    [w] = plan.duplicates_in_ledger
    assert w.row == 3 and "已在台账中" in w.reason and "H001" in w.reason


def test_masked_numbers_are_ignored_with_a_warning(memory_session, book, h):
    number = h.pid(1950, 1, 1, 3)
    apply_roster_import(memory_session, plan_roster_import(
        memory_session, book([h.person(number=number, phone="13800138000", birth="1950-01-01")])))
    plan = plan_roster_import(memory_session, book([h.person(number="1523**********0013", phone="138****8000",
                                                             birth="1950-01-01")]))
    assert plan.ok and len(plan.warnings) == 2
    assert plan.counts.persons_unchanged == 1
    apply_roster_import(memory_session, plan)
    assert q(memory_session, "SELECT id_number, phone FROM person") == [(number, "13800138000")]


def test_existing_village_and_units_are_reused(memory_session, book, h):
    vid = registry.create_village(memory_session, name="红旗村")
    registry.create_group(memory_session, village_id=vid, name="一组")
    plan = plan_roster_import(memory_session, book([h.person(village="红旗", group="一组", grid="网格1")]))
    assert plan.new_villages == () and plan.new_groups == () and plan.new_grids == (("红旗村", "网格1"),)
    apply_roster_import(memory_session, plan)
    assert q(memory_session, "SELECT count(*) FROM village")[0][0] == 1


def test_ledger_changed_after_plan_is_refused(memory_session, book, h):
    plan = plan_roster_import(memory_session, book([h.person()]))
    registry.create_village(memory_session, name="另一个村")
    with pytest.raises(StalePlanError, match="重新预览"):
        apply_roster_import(memory_session, plan)


def test_viewers_may_not_import(memory_session, book, h):
    memory_session.role = "只读"
    with pytest.raises(PermissionDeniedError):
        plan_roster_import(memory_session, book([h.person()]))


def test_cli_dry_run_then_import(tmp_path, book, h, capsys):
    db = str(tmp_path / "l.sqlite3")
    assert main(["--db", db, "init"]) == 0
    path = str(book([h.person(number=h.pid(1960, 1, 1, 1)), h.person(name="王芳", relation="配偶", birth="1961-01-01")]))
    assert main(["--db", db, "import", "roster", path, "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "人员：新增 2" in out and "将新建村（社区）：红旗村" in out and "未写入" in out
    assert main(["--db", db, "import", "roster", path]) == 0
    assert "导入完成：新增户 1" in capsys.readouterr().out
    assert main(["--db", db, "import", "roster", path]) == 0
    assert "新增户 0" in capsys.readouterr().out


def test_cli_errors_are_one_line(tmp_path, book, h, capsys):
    db = str(tmp_path / "l.sqlite3")
    main(["--db", db, "init"])
    capsys.readouterr()
    bad = str(book([h.person(phone="123")]))
    assert main(["--db", db, "import", "roster", bad]) == 1
    captured = capsys.readouterr()
    assert "第2行“联系电话”列（K2）" in captured.out
    assert captured.err.strip().endswith("(import-has-errors)") and "Traceback" not in captured.err
    assert main(["--db", db, "import", "roster", bad, "--only-valid"]) == 0
    (tmp_path / "x.txt").write_text("hello", encoding="utf-8")
    assert main(["--db", db, "import", "roster", str(tmp_path / "x.txt")]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "(not-xlsx)" in err
    assert main(["--db", db, "import", "nonsense", bad]) == 2
