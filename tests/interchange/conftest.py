"""Builders of roster workbooks for the interchange tests."""

from __future__ import annotations

import datetime as dt

import openpyxl
import pytest

from ledgerdesk.core.idcard import make_id_number
from ledgerdesk.interchange.roster import TEMPLATE_HEADERS


def pid(year: int, month: int, day: int, seq: int, male: bool = True, area: str = "152301") -> str:
    """A valid 身份证号."""
    return make_id_number(area, dt.date(year, month, day), seq, male)


def write_book(path, rows, *, header=TEMPLATE_HEADERS, title_rows=()):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "花名册"
    for t in title_rows:
        ws.append(list(t))
    if header is not None:
        ws.append(list(header))
    for r in rows:
        if isinstance(r, dict):
            ws.append([r.get(h) for h in header])
        else:
            ws.append(list(r))
    wb.save(path)
    return path


@pytest.fixture
def book(tmp_path):
    """book(rows, name=..., header=..., title_rows=...) -> path of a new .xlsx."""
    counter = iter(range(1000))

    def make(rows, *, name=None, header=TEMPLATE_HEADERS, title_rows=()):
        return write_book(tmp_path / (name or f"roster{next(counter)}.xlsx"), rows, header=header,
                          title_rows=title_rows)

    return make


def person(village="红旗村", hh_no="H001", head="张建国", name="张建国", relation="户主", birth=None, number="",
           phone="", **extra):
    row = {"村(社区)": village, "户号": hh_no, "户主姓名": head, "姓名": name, "与户主关系": relation,
           "出生日期": birth, "身份证号": number, "联系电话": phone}
    labels = {"group": "村民小组", "grid": "网格", "gender": "性别", "ethnicity": "民族", "party": "是否党员",
              "address": "现住址", "status": "人员状态", "tags": "标签", "level": "三色等级"}
    for k, v in extra.items():
        row[labels[k]] = v
    return row


@pytest.fixture
def h():
    """The row builders: h.pid(...) a valid 身份证号, h.person(...) one roster row as a dict."""
    from types import SimpleNamespace

    return SimpleNamespace(pid=pid, person=person)
