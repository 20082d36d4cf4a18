"""花名册 export (masked by default), the uncovered-households lists, the template, and import ⇄ export round trips."""

from __future__ import annotations

import datetime as dt

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ledgerdesk.core.idcard import make_id_number
from ledgerdesk.interchange.roster import (
    TEMPLATE_HEADERS,
    apply_roster_import,
    export_roster,
    export_uncovered,
    plan_roster_import,
    template_path,
    write_roster_template,
)
from ledgerdesk.services import registry
from ledgerdesk.services.coverage import uncovered_household_ids


def read_back(path, header_row=1):
    wb = openpyxl.load_workbook(path, read_only=True)
    rows = [list(r) for r in wb.worksheets[0].iter_rows(values_only=True)]
    wb.close()
    header = rows[header_row - 1]
    return header, [dict(zip(header, r)) for r in rows[header_row:]]


@pytest.fixture
def imported(memory_session, book, h):
    rows = [h.person(number=h.pid(1962, 4, 8, 11), phone="13800138000", group="一组", grid="网格1",
                     tags="低保、留守老人", level="黄", address="红旗村一组1号", party="是"),
            h.person(name="李秀英", relation="配偶", number=h.pid(1965, 9, 1, 12, False), status="外出"),
            h.person(village="新丰村", hh_no="H002", head="王五", name="王五", birth="1970-07-07")]
    apply_roster_import(memory_session, plan_roster_import(memory_session, book(rows)))
    return memory_session


def test_export_is_masked_by_default_and_in_the_import_layout(imported, tmp_path, h):
    result = export_roster(imported, tmp_path / "out.xlsx")
    assert (result.rows, result.households, result.masked) == (3, 2, True)
    header, rows = read_back(tmp_path / "out.xlsx")
    assert tuple(header) == TEMPLATE_HEADERS
    head = rows[0]
    assert head["姓名"] == "张建国" and head["与户主关系"] == "户主"
    assert head["身份证号"] == "1523**********" + h.pid(1962, 4, 8, 11)[-4:]
    assert head["联系电话"] == "138****8000"
    assert head["出生日期"] == dt.datetime(1962, 4, 8)
    assert (head["标签"], head["三色等级"], head["是否党员"], head["村民小组"], head["网格"]) == \
        ("低保、留守老人", "黄", "是", "一组", "网格1")
    assert rows[1]["人员状态"] == "外出" and rows[1]["户主姓名"] == "张建国"


def test_reveal_only_for_roles_allowed(imported, tmp_path, h):
    export_roster(imported, tmp_path / "full.xlsx", reveal=True)
    _, rows = read_back(tmp_path / "full.xlsx")
    assert rows[0]["身份证号"] == h.pid(1962, 4, 8, 11) and rows[0]["联系电话"] == "13800138000"
    imported.role = "录入员"
    assert export_roster(imported, tmp_path / "clerk.xlsx", reveal=True).masked
    _, rows = read_back(tmp_path / "clerk.xlsx")
    assert "*" in rows[0]["身份证号"]


def test_village_filter(imported, tmp_path):
    vid = imported.ledger.db.execute_sql("SELECT id FROM village WHERE name = '新丰村'").fetchone()[0]
    export_roster(imported, tmp_path / "one.xlsx", village_id=vid)
    _, rows = read_back(tmp_path / "one.xlsx")
    assert [r["姓名"] for r in rows] == ["王五"]


def test_masked_export_reimports_without_changes(imported, tmp_path):
    export_roster(imported, tmp_path / "masked.xlsx")
    before = imported.ledger.db.execute_sql("SELECT count(*) FROM version").fetchone()[0]
    plan = plan_roster_import(imported, tmp_path / "masked.xlsx")
    assert plan.ok and plan.counts.persons_unchanged == 3 and plan.counts.households_unchanged == 2
    apply_roster_import(imported, plan)
    assert imported.ledger.db.execute_sql("SELECT count(*) FROM version").fetchone()[0] == before


@pytest.mark.parametrize("kind", ["center", "link_head"])
def test_export_uncovered(imported, tmp_path, kind):
    result = export_uncovered(imported, tmp_path / f"{kind}.xlsx", kind)
    expected = uncovered_household_ids(imported, kind)
    assert result.rows == len(expected) == 2
    header, rows = read_back(tmp_path / f"{kind}.xlsx", header_row=2)
    assert header[:5] == ["村(社区)", "村民小组", "网格", "户号", "户主姓名"]
    assert {r["户号"] for r in rows} == {"H001", "H002"}
    assert all("*" in (r["联系电话"] or "*") for r in rows)


def test_export_uncovered_skips_covered_households(imported, tmp_path):
    db = imported.ledger.db
    hid, pid = db.execute_sql("SELECT h.id, h.head_person_id FROM household h WHERE hh_no = 'H001'").fetchone()
    center = registry.designate_center(imported, household_id=hid, person_id=pid)
    registry.assign_to_center(imported, center, [hid])
    assert export_uncovered(imported, tmp_path / "c.xlsx", "center").rows == 1
    _, rows = read_back(tmp_path / "c.xlsx", header_row=2)
    assert [r["户号"] for r in rows] == ["H002"]


def test_template_headers_and_the_shipped_template_imports_as_empty(memory_session, tmp_path):
    made = write_roster_template(tmp_path / "t.xlsx")
    for path in (made, template_path()):
        header, rows = read_back(path)
        assert tuple(header) == TEMPLATE_HEADERS and rows == []
        plan = plan_roster_import(memory_session, path)
        assert plan.ok and plan.counts.rows == 0 and plan.households == [] and plan.header_row == 1


_NAMES = st.text(alphabet="王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗建国秀英伟芳娜敏静强磊军洋勇艳杰", min_size=2, max_size=4)


@st.composite
def households(draw):
    n = draw(st.integers(1, 6))
    out = []
    for i in range(n):
        size = draw(st.integers(1, 4))
        members = []
        for k in range(size):
            birth = draw(st.dates(dt.date(1930, 1, 1), dt.date(2020, 12, 31)))
            male = draw(st.booleans())
            with_id = draw(st.booleans())
            members.append({
                "name": draw(_NAMES) + "甲乙丙丁"[k], "birth": birth, "male": male,
                "id": make_id_number("152301", birth, i * 20 + k * 2 + 1, male) if with_id else "",
                "phone": draw(st.sampled_from(["", "13800138000", "13912345678", "04713456789"])),
                "status": draw(st.sampled_from(["在册", "外出", "去世"])),
                "party": draw(st.booleans()),
                "ethnicity": draw(st.sampled_from(["汉族", "蒙古族", ""])),
            })
        out.append({"village": draw(st.sampled_from(["红旗村", "新丰村", "东风社区"])), "hh_no": f"H{i:03d}",
                    "members": members, "level": draw(st.sampled_from(["绿", "黄", "红"])),
                    "tags": draw(st.sampled_from(["", "低保", "低保、残疾"])),
                    "address": draw(st.sampled_from(["", "一组1号", "幸福路 8 号"]))})
    return out


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(households())
def test_import_then_export_round_trips(tmp_path_factory, clock, data):
    from ledgerdesk.services import workspace
    from ledgerdesk.services.session import Session
    from ledgerdesk.store.database import Ledger

    tmp = tmp_path_factory.mktemp("rt")
    session = Session(Ledger.memory(clock=clock), "tester")
    workspace.seed_reference_data(session, "测试镇")
    try:
        rows = []
        for hh in data:
            head = hh["members"][0]["name"]
            for k, m in enumerate(hh["members"]):
                rows.append([hh["village"], "", "", hh["hh_no"], head, m["name"], "户主" if k == 0 else "家属",
                             "男" if m["male"] else "女", m["birth"], m["id"], m["phone"], m["ethnicity"],
                             "是" if m["party"] else "否", hh["address"], m["status"], hh["tags"],
                             hh["level"]])
        wb = openpyxl.Workbook()
        wb.active.append(list(TEMPLATE_HEADERS))
        for r in rows:
            wb.active.append(r)
        wb.save(tmp / "in.xlsx")
        plan = plan_roster_import(session, tmp / "in.xlsx")
        assert plan.ok, plan.errors[:3]
        apply_roster_import(session, plan)
        export_roster(session, tmp / "out.xlsx", reveal=True)
        _, out = read_back(tmp / "out.xlsx")

        expected = sorted(((r[0], r[3], r[4], r[5], r[6], r[7], r[8], r[9], r[10], r[11], r[12], r[13], r[14],
                            r[15], r[16]) for r in rows), key=lambda t: (t[0], t[1], t[3], t[6]))
        got = sorted(((o["村(社区)"], o["户号"], o["户主姓名"], o["姓名"], o["与户主关系"], o["性别"],
                       o["出生日期"].date(), o["身份证号"] or "", o["联系电话"] or "", o["民族"] or "", o["是否党员"],
                       o["现住址"] or "", o["人员状态"], o["标签"] or "", o["三色等级"]) for o in out),
                     key=lambda t: (t[0], t[1], t[3], t[6]))
        assert got == expected
        # and importing the export changes nothing
        again = plan_roster_import(session, tmp / "out.xlsx")
        assert again.ok and again.counts.persons_unchanged == len(rows)
    finally:
        session.close()
