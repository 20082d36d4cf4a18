"""The pieces the spreadsheet imports and exports share (interchange/common.py, interchange/workbook_out.py)."""

from __future__ import annotations

import datetime as dt

import openpyxl
import pytest

from ledgerdesk.interchange.common import (VillageNames, done_message, issue_lines, list_preview, split_list,
    village_base)
from ledgerdesk.interchange.errors import ExportWriteError
from ledgerdesk.interchange.sheet import Column, RowIssue
from ledgerdesk.interchange.workbook_out import (TemplateSheet, date_cell, new_sheet, new_workbook, save_workbook,
    text_cell, write_template)


def test_village_names_match_exactly_else_by_a_unique_base():
    names = VillageNames([("v1", "红旗村"), ("v2", "白音嘎查"), ("v3", "东风村"), ("v4", "东风社区"), ("v5", "前进")])
    assert village_base("红旗村民委员会") == "红旗" and village_base("村") == "村"
    assert names.find("红旗村") == "v1" and names.find("红旗") == "v1" and names.find("红旗社区") == "v1"
    assert names.find("白音") == "v2" and names.find("前进村") == "v5"
    assert names.find("东风社区") == "v4"  # exact first
    assert names.find("东风") is None and names.similar("东风") == ["东风村", "东风社区"]
    assert names.find("西山村") is None and names.similar("西山村") == []


def test_lists_and_chinese_lines():
    assert split_list("张三、李四,王五，张三；赵六 / 钱七") == ("张三", "李四", "王五", "赵六", "钱七")
    assert split_list("") == () and split_list(None) == ()
    assert list_preview(str(i) for i in range(3)) == "0、1、2"
    assert list_preview([str(i) for i in range(12)], limit=2) == "0、1 等"
    warnings = [RowIssue(3, "村", "提醒一")]
    errors = [RowIssue(4, "姓名", f"错误{i}") for i in range(3)]
    assert issue_lines(warnings, errors, 2, ignored_headers=("序号",)) == [
        "未导入的列：序号", "提醒 1 条（仍会导入）", "错误 3 条（前 2 条）：", "  第4行“姓名”列：错误0",
        "  第4行“姓名”列：错误1"]
    assert issue_lines(warnings, [], 20, list_warnings=True) == ["提醒 1 条（仍会导入）：", "  第3行“村”列：提醒一"]
    assert done_message(["新增 1"], 0) == "导入完成：新增 1。"
    assert done_message(["新增 1", "更新 2"], 3) == "导入完成：新增 1，更新 2，跳过有错误的行 3。"


def test_an_export_sheet_and_a_template(tmp_path):
    wb = new_workbook()
    ws = new_sheet(wb, "名单", ["姓名", "身份证号", "日期"], [10, 22, 12])
    ws.append(["张三", text_cell(ws, "152301198005011234"), date_cell(ws, "2026-05-01")])
    ws = new_sheet(wb, "带标题", ["姓名"], [10], title_row="标题行")
    ws.append(["李四"])
    save_workbook(wb, tmp_path / "sub" / "out.xlsx")
    assert not (tmp_path / "sub" / "out.xlsx.part").exists()
    book = openpyxl.load_workbook(tmp_path / "sub" / "out.xlsx")
    first = book["名单"]
    assert first.freeze_panes == "A2" and first.column_dimensions["B"].width == 22
    assert first["A1"].font.b and first["B2"].number_format == "@" and first["B2"].value == "152301198005011234"
    assert first["C2"].value == dt.datetime(2026, 5, 1) and first["C2"].number_format == "yyyy-mm-dd"
    assert [c.value for c in book["带标题"]["A"]] == ["标题行", "姓名", "李四"] and book["带标题"].freeze_panes is None

    columns = (Column("name", "姓名"), Column("id_number", "身份证号"), Column("gender", "性别"))
    sheet = TemplateSheet("名单", columns, (10, 22, 6), frozenset({"id_number"}), (("gender", "男,女"),),
                          list_rows=100)
    path = write_template(tmp_path / "t.xlsx", [sheet], ["说明", "1. 每行一人。"], notes_width=80)
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["名单", "填写说明"]
    ws = book["名单"]
    assert [c.value for c in ws[1]] == ["姓名", "身份证号", "性别"] and ws.freeze_panes == "A2"
    assert ws.column_dimensions["B"].number_format == "@"
    (dv,) = ws.data_validations.dataValidation
    assert dv.formula1 == '"男,女"' and str(dv.sqref) == "C2:C100"
    assert [r[0] for r in book["填写说明"].iter_rows(values_only=True)] == ["说明", "1. 每行一人。"]


def test_an_unwritable_target_is_a_chinese_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(ExportWriteError, match="无法写入"):
        save_workbook(new_workbook(), blocker / "out.xlsx")
