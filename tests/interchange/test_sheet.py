"""The shared messy-spreadsheet reader: headers under title rows, aliases, dates, numbers Excel mangled, bad files."""

from __future__ import annotations

import datetime as dt
import zipfile

import openpyxl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ledgerdesk.interchange import sheet as S
from ledgerdesk.interchange.errors import (
    CorruptWorkbookError,
    HeaderNotFoundError,
    MissingColumnsError,
    NotAWorkbookError,
    WorkbookNotFoundError,
    WorkbookTooLargeError,
)
from ledgerdesk.interchange.sheet import Column, Workbook, parse_date_cell, read_sheet

COLUMNS = (
    Column("name", "姓名", ("人员姓名",), required=True),
    Column("id_number", "身份证号", ("公民身份号码", "身份证号码", "证件号码"), kind=S.ID_NUMBER),
    Column("phone", "联系电话", ("联系方式", "手机号"), kind=S.PHONE),
    Column("birth", "出生日期", ("出生年月",), kind=S.DATE),
    Column("party", "是否党员", (), kind=S.BOOL),
    Column("hh_no", "户号", (), kind=S.CODE),
    Column("note", "备注", ()),
)


def save(tmp_path, rows, name="t.xlsx", sheet_title="Sheet1"):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = sheet_title
    for r in rows:
        ws.append(r)
    path = tmp_path / name
    wb.save(path)
    return path


def test_header_below_title_rows_with_messy_header_text(tmp_path):
    path = save(tmp_path, [
        ["XX镇XX村人口花名册"],
        ["填报单位：XX村", None, None, "填报日期：2026年11月"],
        [],
        ["序号", " 姓 名 ", "公民身份\n号码", "联系方式*", "出生年月（公历）", "是否党员", "户号"],
        [1, "张三", "152301198005011234", "13800138000", dt.date(1980, 5, 1), "是", "H-001"],
    ])
    data = read_sheet(path, COLUMNS)
    assert data.header_row == 4
    assert data.headers == {"name": "姓 名", "id_number": "公民身份 号码", "phone": "联系方式*",
                            "birth": "出生年月(公历)", "party": "是否党员", "hh_no": "户号"}
    assert data.ignored_headers == ("序号",)
    assert [r.number for r in data.rows] == [5]
    assert data.rows[0].values == {"name": "张三", "id_number": "152301198005011234", "phone": "13800138000",
                                   "birth": dt.date(1980, 5, 1), "party": True, "hh_no": "H001"}


def test_full_width_digits_and_stray_spaces_are_normalised(tmp_path):
    path = save(tmp_path, [["姓名", "身份证号", "联系电话", "户号"],
                           ["  李　四 ", "１５２３０１１９８００５０１１２３ｘ", "138 0013 8000", "００１２"]])
    row = read_sheet(path, COLUMNS).rows[0]
    assert row.values == {"name": "李 四", "id_number": "15230119800501123X", "phone": "13800138000",
                          "hh_no": "0012"}


def test_prose_columns_keep_chinese_punctuation_and_line_breaks(tmp_path):
    columns = (Column("name", "姓名", required=True), Column("note", "备注", kind=S.PROSE))
    note = "  户主外出务工（常年），家中老人：８０岁；\n\n\n需要帮扶！ "
    row = read_sheet(save(tmp_path, [["姓名", "备注"], ["张三（大）", note]]), columns).rows[0]
    assert row.values == {"name": "张三(大)", "note": "户主外出务工（常年），家中老人：80岁；\n\n需要帮扶！"}


@pytest.mark.parametrize("cell, expected", [
    (dt.datetime(2025, 3, 5, 0, 0), dt.date(2025, 3, 5)),
    (45721, dt.date(2025, 3, 5)),  # an Excel serial number in a cell that lost its date format
    ("45721", dt.date(2025, 3, 5)),
    ("2025.3.5", dt.date(2025, 3, 5)),
    ("2025/3/5", dt.date(2025, 3, 5)),
    ("2025-03-05", dt.date(2025, 3, 5)),
    ("2025年3月5日", dt.date(2025, 3, 5)),
    ("２０２５年３月５日", dt.date(2025, 3, 5)),
    ("20250305", dt.date(2025, 3, 5)),
    (20250305, dt.date(2025, 3, 5)),
    ("2025-03-05 00:00:00", dt.date(2025, 3, 5)),
    (None, None),
    ("", None),
])
def test_dates_in_every_form_townships_use(cell, expected):
    assert parse_date_cell(cell) == expected


@pytest.mark.parametrize("cell", ["2025-13-01", "2025.2.30", "明年春天", "1980.5", 3.5e9, True])
def test_not_dates_are_refused_in_chinese(cell):
    with pytest.raises(S.DateProblem) as info:
        parse_date_cell(cell)
    assert "日期" in str(info.value)


@settings(max_examples=60, deadline=None)
@given(st.dates(min_value=dt.date(1900, 3, 1), max_value=dt.date(2099, 12, 31)),
       st.sampled_from(["{d.year}.{d.month}.{d.day}", "{d.year}/{d.month}/{d.day}", "{d:%Y-%m-%d}",
                        "{d.year}年{d.month}月{d.day}日", "{d:%Y%m%d}", "serial"]))
def test_any_date_in_any_accepted_form_reads_back(d, form):
    cell = (d - dt.date(1899, 12, 30)).days if form == "serial" else form.format(d=d)
    assert parse_date_cell(cell) == d


def test_date_cells_serials_and_text_dates_in_a_workbook(tmp_path):
    path = save(tmp_path, [["姓名", "出生日期"], ["甲", dt.date(1980, 5, 1)], ["乙", 29342], ["丙", "1980年5月1日"],
                           ["丁", "19800501"], ["戊", "80年5月"]])
    data = read_sheet(path, COLUMNS[:1] + (COLUMNS[3],), min_score=2)
    assert [r.values.get("birth") for r in data.rows] == [dt.date(1980, 5, 1)] * 4 + [None]
    [issue] = data.issues
    assert (issue.row, issue.column, issue.cell) == (6, "出生日期", "B6")
    assert "80年5月" in issue.reason
    assert data.rows[-1].bad == frozenset({"birth"})


@pytest.mark.parametrize("cell", [1.52301198005010E+17, 152301198005010000, "1.52301E+17", "1.52301198005010E+17"])
def test_id_numbers_excel_turned_into_numbers_are_row_issues(tmp_path, cell):
    path = save(tmp_path, [["姓名", "身份证号"], ["张三", cell]])
    data = read_sheet(path, COLUMNS)
    assert "id_number" not in data.rows[0].values
    [issue] = data.issues
    assert (issue.row, issue.column, issue.cell) == (2, "身份证号", "B2")
    assert "文本" in issue.reason and "丢失" in issue.reason


def test_blank_rows_repeated_headers_and_footers_are_skipped(tmp_path):
    path = save(tmp_path, [
        ["姓名", "身份证号", "户号"],
        ["张三", "152301198005011234", "1"],
        [None, None, None],
        ["  ", None, None],
        ["姓名", "身份证号", "户号"],  # the header again, as printed rosters repeat it per page
        ["李四", None, 2],
        ["注：本表由村委会填报"],
        ["填表人：王五", None, "审核人：赵六"],
    ])
    data = read_sheet(path, COLUMNS)
    assert [(r.number, r.values["name"]) for r in data.rows] == [(2, "张三"), (6, "李四")]
    assert data.rows[1].values["hh_no"] == "2"
    assert data.issues == []


def test_bool_cells(tmp_path):
    path = save(tmp_path, [["姓名", "是否党员"], ["甲", "是"], ["乙", "否"], ["丙", "中共党员"], ["丁", True],
                           ["戊", "也许"]])
    data = read_sheet(path, COLUMNS)
    assert [r.values.get("party") for r in data.rows] == [True, False, True, True, None]
    assert data.issues[0].row == 6 and "是" in data.issues[0].reason


def test_the_sheet_with_the_header_is_found_among_several(tmp_path):
    wb = openpyxl.Workbook()
    wb.active.title = "说明"
    wb.active.append(["本表说明：请按要求填写"])
    ws = wb.create_sheet("人员")
    ws.append(["姓名", "身份证号"])
    ws.append(["张三", "152301198005011234"])
    wb.save(tmp_path / "two.xlsx")
    data = read_sheet(tmp_path / "two.xlsx", COLUMNS)
    assert data.sheet == "人员" and data.rows[0].values["name"] == "张三"


def test_header_not_found_and_missing_required_column(tmp_path):
    with pytest.raises(HeaderNotFoundError, match="表头"):
        read_sheet(save(tmp_path, [["工资表"], ["月份", "金额"], ["1月", 3000]], "pay.xlsx"), COLUMNS)
    with pytest.raises(MissingColumnsError, match="姓名"):
        read_sheet(save(tmp_path, [["身份证号", "联系电话"], ["152301198005011234", "13800138000"]]), COLUMNS)


# -- files that are not (sane) workbooks -------------------------------------------------------------------


def test_refuses_missing_file(tmp_path):
    with pytest.raises(WorkbookNotFoundError, match="找不到"):
        Workbook(tmp_path / "nope.xlsx")


def test_refuses_csv_and_old_xls(tmp_path):
    csv = tmp_path / "a.csv"
    csv.write_text("姓名,身份证号\n张三,1\n", encoding="utf-8")
    with pytest.raises(NotAWorkbookError, match="另存为"):
        Workbook(csv)
    xls = tmp_path / "old.xls"
    xls.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600)
    with pytest.raises(NotAWorkbookError, match=r"\.xls"):
        Workbook(xls)


def test_refuses_a_zip_that_is_not_a_workbook_and_a_truncated_one(tmp_path):
    z = tmp_path / "photos.xlsx"
    with zipfile.ZipFile(z, "w") as zf:
        zf.writestr("a.jpg", b"x")
    with pytest.raises(NotAWorkbookError, match="不是 Excel"):
        Workbook(z)
    good = save(tmp_path, [["姓名"], ["张三"]])
    cut = tmp_path / "cut.xlsx"
    cut.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    with pytest.raises(CorruptWorkbookError, match="损坏"):
        Workbook(cut)


def test_refuses_a_zip_bomb(tmp_path, monkeypatch):
    monkeypatch.setattr(S, "RATIO_MIN_BYTES", 100_000)
    bomb = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(bomb, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("xl/worksheets/sheet1.xml", b" " * 2_000_000)
    with pytest.raises(WorkbookTooLargeError, match="数据量异常"):
        Workbook(bomb)


# -- the fast scanner and openpyxl agree --------------------------------------------------------------------


def _openpyxl_cells(path):
    wb = openpyxl.load_workbook(path, read_only=True, data_only=True)  # values, as a reader wants them
    out = []
    for number, row in enumerate(wb.worksheets[0].iter_rows(values_only=True), start=1):
        values = list(row)
        while values and values[-1] is None:
            values.pop()
        if values:
            out.append((number, values))
    wb.close()
    return out


def test_scanner_reads_what_openpyxl_reads(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["标题 & <说明>", None, None])
    ws.append([])
    ws.append(["姓名", "数字", "日期", "布尔", "公式", "小数"])
    ws.append(["张三", 12, dt.datetime(2025, 3, 5), True, "=1+1", 3.25])
    ws.append([" 前后空格 ", -7, dt.date(1999, 12, 31), False, None, 1.52301198005010E+17])
    ws["A7"] = "跳过一行"
    ws["D7"] = "中间空列"
    ws["C5"].number_format = "yyyy/m/d"
    path = tmp_path / "mix.xlsx"
    wb.save(path)
    with Workbook(path) as book:
        mine = list(book.rows(0))
    assert mine == _openpyxl_cells(path)


def _handmade(path, sheet_xml: str, shared: list[str]):
    """An .xlsx written by hand: shared strings, and cell XML in forms openpyxl never writes."""
    ns = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("[Content_Types].xml",
                    '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/'
                    'package/2006/content-types"><Default Extension="rels" ContentType="application/'
                    'vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType='
                    '"application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/'
                    'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName='
                    '"/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.'
                    'spreadsheetml.worksheet+xml"/><Override PartName="/xl/sharedStrings.xml" ContentType='
                    '"application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>')
        zf.writestr("_rels/.rels", f'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/'
                    f'relationships"><Relationship Id="rId1" Type="{rel}/officeDocument" Target="xl/workbook.xml"/>'
                    f'</Relationships>')
        zf.writestr("xl/workbook.xml", f'<workbook xmlns="{ns}" xmlns:r="{rel}"><sheets><sheet name="花名册" '
                    f'sheetId="1" r:id="rId1"/></sheets></workbook>')
        zf.writestr("xl/_rels/workbook.xml.rels", f'<Relationships xmlns="http://schemas.openxmlformats.org/'
                    f'package/2006/relationships"><Relationship Id="rId1" Type="{rel}/worksheet" '
                    f'Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="{rel}/sharedStrings" '
                    f'Target="sharedStrings.xml"/></Relationships>')
        items = "".join(f"<si><t>{s}</t></si>" for s in shared)
        zf.writestr("xl/sharedStrings.xml", f'<sst xmlns="{ns}" count="{len(shared)}">{items}</sst>')
        zf.writestr("xl/worksheets/sheet1.xml", sheet_xml.replace("NS", ns))


def test_shared_strings_prefixes_attribute_order_and_cells_without_references(tmp_path):
    common = ('<worksheet xmlns="NS"><sheetData>'
              '<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c><c r="C1" s="0"/></row>'
              '<row r="3"><c r="A3" t="s"><v>2</v></c><c r="B3" t="inlineStr"><is><t xml:space="preserve">'
              '15230119800501123X</t></is></c></row>'
              '</sheetData></worksheet>')
    odd = ('<x:worksheet xmlns:x="NS"><x:sheetData>'
           '<x:row r="1"><x:c t="s" r="A1"><x:v>0</x:v></x:c><x:c t="s"><x:v>1</x:v></x:c></x:row>'
           '<x:row r="3"><x:c r="A3" t="s"><x:v>2</x:v></x:c><x:c r="B3" t="inlineStr"><x:is><x:r><x:t>1523011980'
           '</x:t></x:r><x:r><x:t>0501123X</x:t></x:r></x:is></x:c></x:row>'
           '</x:sheetData></x:worksheet>')
    expected = [(1, ["姓名", "身份证号"]), (3, ["王 &amp; 五".replace("&amp;", "&"), "15230119800501123X"])]
    for name, xml in (("common.xlsx", common), ("odd.xlsx", odd)):
        path = tmp_path / name
        _handmade(path, xml, ["姓名", "身份证号", "王 &amp; 五"])
        with Workbook(path) as book:
            assert list(book.rows(0)) == expected, name
        data = read_sheet(path, COLUMNS, min_score=2)
        assert data.rows[0].values == {"name": "王 & 五", "id_number": "15230119800501123X"}


def test_row_issue_text_names_row_column_and_cell():
    issue = S.RowIssue(12, "身份证号", "身份证号校验位不正确", "J12")
    assert str(issue) == "第12行“身份证号”列（J12）：身份证号校验位不正确"
