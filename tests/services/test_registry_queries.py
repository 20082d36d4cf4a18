"""The registry read API (services/registry_queries.py): every household filter and sort, pages of rows with
their joined names, masking by role, details, 中心户/联户长 lists with bounds and invalid reasons."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings, strategies as st

from ledgerdesk.core.clock import FixedClock
from ledgerdesk.core.errors import NotFoundError, ValidationError
from ledgerdesk.core.ids import link_id, uuid7
from ledgerdesk.services import registry_queries as rq, workspace
from ledgerdesk.services.registry_queries import CenterQuery, HouseholdQuery
from ledgerdesk.services.session import Session
from ledgerdesk.store.database import Ledger
from ledgerdesk.store.models import (
    Grid, Household, HouseholdTag, LinkHead, PartyCenter, Person, Setting, Tag, Village, VillageGroup,
)

ID = "152530198005010011"
PHONE = "13812345678"


class Registry:
    """12 households in two villages with every attribute a filter looks at, varied by index."""

    def __init__(self, session):
        self.s = s = session
        with s.writing() as w:
            tid = s.ledger.get_meta("township_id")
            self.v1 = w.insert(Village, {"township_id": tid, "name": "东村", "sort_order": 1})
            self.v2 = w.insert(Village, {"township_id": tid, "name": "西村", "sort_order": 2})
            self.g1 = w.insert(VillageGroup, {"village_id": self.v1, "name": "第一村民小组"})
            self.g2 = w.insert(VillageGroup, {"village_id": self.v1, "name": "第二村民小组"})
            self.grid1 = w.insert(Grid, {"village_id": self.v1, "name": "东村一网格", "code": "01"})
            self.grid2 = w.insert(Grid, {"village_id": self.v2, "name": "西村一网格", "code": "02"})
            self.tag = link_id("tag", "低保")
            self.hh, self.heads = [], []
            for i in range(12):
                east = i < 8
                hid = w.insert(Household, {
                    "village_id": self.v1 if east else self.v2, "hh_no": f"{(i * 7) % 12:03d}",
                    "group_id": (self.g1 if i % 2 else self.g2) if east else None,
                    "grid_id": self.grid1 if east else self.grid2, "address": f"{'东西'[not east]}街{11 - i}号",
                    "phone": PHONE, "level": "绿黄红"[i % 3], "status": "迁出" if i == 11 else "在册"})
                head = w.insert(Person, {"household_id": hid, "name": f"户主{chr(0x4e00 + (i * 5) % 12)}",
                                         "id_number": ID, "id_status": "valid", "phone": PHONE, "relation": "户主",
                                         "is_party_member": i in (0, 4, 8)})
                for j in range(i % 3):
                    w.insert(Person, {"household_id": hid, "name": f"成员{i}{j}",
                                      "status": "去世" if j == 1 else "在册"})
                w.update(Household, hid, {"head_person_id": head})
                self.hh.append(hid)
                self.heads.append(head)
            for i in (1, 2, 5):
                w.insert(HouseholdTag, {"household_id": self.hh[i], "tag_id": self.tag},
                         id=link_id("household_tag", self.hh[i], self.tag))
            self.center = w.insert(PartyCenter, {"village_id": self.v1, "household_id": self.hh[0],
                                                 "person_id": self.heads[0], "types": "zhifu,xuanchuan"})
            self.ended = uuid7()
            w.insert_many(PartyCenter, ["id", "village_id", "household_id", "person_id", "ended_on"],
                          [(self.ended, self.v2, self.hh[8], self.heads[8], "2026-01-01")])
            self.link = w.insert(LinkHead, {"village_id": self.v1, "household_id": self.hh[4],
                                            "person_id": self.heads[4]})
            for i in range(6):
                w.update(Household, self.hh[i], {"center_id": self.center})
            w.update(Household, self.hh[9], {"center_id": self.ended})
            for i in range(0, 12, 2):
                w.update(Household, self.hh[i], {"link_head_id": self.link})

    def row(self, i):
        return self.s.ledger.db.execute_sql(
            "SELECT hh_no, village_id, group_id, grid_id, level, status, center_id, link_head_id, address "
            "FROM household WHERE id = ?", (self.hh[i],)).fetchone()


@pytest.fixture
def reg(memory_session):
    return Registry(memory_session)


def ids_of(reg, *indexes):
    return {reg.hh[i] for i in indexes}


def test_default_list_is_live_registered_households_by_hh_no(reg):
    ids = rq.household_ids(reg.s)
    assert set(ids) == ids_of(reg, *range(11))
    assert [reg.row(reg.hh.index(i))[0] for i in ids] == sorted(f"{(i * 7) % 12:03d}" for i in range(11))
    assert rq.household_ids(reg.s, HouseholdQuery(descending=True)) == ids[::-1]
    with reg.s.writing() as w:
        w.delete(Household, reg.hh[3])
    assert reg.hh[3] not in rq.household_ids(reg.s)


@pytest.mark.parametrize("query,expected", [
    (HouseholdQuery(village_id="v1"), range(8)),
    (HouseholdQuery(village_id="v2"), (8, 9, 10)),
    (HouseholdQuery(village_id="v2", status=None), (8, 9, 10, 11)),
    (HouseholdQuery(status="迁出"), (11,)),
    (HouseholdQuery(group_id="g1"), (1, 3, 5, 7)),
    (HouseholdQuery(grid_id="grid2"), (8, 9, 10)),
    (HouseholdQuery(tag_id="tag"), (1, 2, 5)),
    (HouseholdQuery(level="红"), (2, 5, 8)),
    (HouseholdQuery(center="covered"), range(6)),
    (HouseholdQuery(center="uncovered"), (6, 7, 8, 9, 10)),       # 9 names an ended center
    (HouseholdQuery(head="linked"), (0, 2, 4, 6, 8, 10)),
    (HouseholdQuery(head="unlinked"), (1, 3, 5, 7, 9)),
    (HouseholdQuery(center_id="center"), range(6)),
    (HouseholdQuery(link_head_id="link", village_id="v2"), (8, 10)),
    (HouseholdQuery(village_id="v1", level="绿", center="covered", head="linked"), (0,)),
    (HouseholdQuery(grid_id="grid1", tag_id="tag", level="红"), (2, 5)),
])
def test_each_filter(reg, query, expected):
    names = {"v1": reg.v1, "v2": reg.v2, "g1": reg.g1, "grid2": reg.grid2, "grid1": reg.grid1, "tag": reg.tag,
             "center": reg.center, "link": reg.link}
    q = HouseholdQuery(**{k: names.get(v, v) if isinstance(v, str) else v for k, v in vars(query).items()})
    assert set(rq.household_ids(reg.s, q)) == ids_of(reg, *expected)


def test_bad_query_values_are_refused(reg):
    for q in (HouseholdQuery(sort="nonsense"), HouseholdQuery(center="some"), HouseholdQuery(head="x")):
        with pytest.raises(ValidationError):
            rq.household_ids(reg.s, q)
    with pytest.raises(ValidationError):
        rq.center_ids(reg.s, CenterQuery(problem="odd"))
    with pytest.raises(ValidationError):
        rq.bounds(reg.s, "grid")


SORT_KEYS = {   # a Python oracle per sort: the key of household i (None sorts first, as in SQLite)
    "hh_no": lambda r, i: r.row(i)[0],
    "address": lambda r, i: r.row(i)[8],
    "level": lambda r, i: "绿黄红".index(r.row(i)[4]),
    "head_name": lambda r, i: f"户主{chr(0x4e00 + (i * 5) % 12)}",
    "members": lambda r, i: 1 + (1 if i % 3 >= 1 else 0),   # 户主 + the living member (the second one died)
    "village": lambda r, i: 0 if i < 8 else 1,
    "center_name": lambda r, i: (1, "户主一") if i < 6 else (0, ""),
}


@settings(max_examples=60, deadline=None)
@given(sort=st.sampled_from(sorted(SORT_KEYS)), descending=st.booleans(),
       village=st.sampled_from([None, "v1", "v2"]), level=st.sampled_from([None, "绿", "黄", "红"]),
       center=st.sampled_from([None, "covered", "uncovered"]), head=st.sampled_from([None, "linked", "unlinked"]))
def test_filters_and_sorts_against_a_python_oracle(shared_registry, sort, descending, village, level, center, head):
    r = shared_registry
    q = HouseholdQuery(village_id={"v1": r.v1, "v2": r.v2}.get(village), level=level, center=center, head=head,
                       sort=sort, descending=descending)
    keep = []
    for i in range(11):
        hh_no, vid, _, _, lvl, _, cid, lid, _ = r.row(i)
        if (q.village_id and vid != q.village_id) or (level and lvl != level):
            continue
        if center and (cid == r.center) != (center == "covered"):
            continue
        if head and (lid == r.link) != (head == "linked"):
            continue
        keep.append(i)
    keep.sort(key=lambda i: (SORT_KEYS[sort](r, i), r.row(i)[0], r.hh[i]), reverse=descending)
    assert rq.household_ids(r.s, q) == [r.hh[i] for i in keep]
    for limit in (1, 3):  # the first screen is the start of the whole list
        assert rq.household_ids(r.s, q, limit=limit) == [r.hh[i] for i in keep][:limit]


@pytest.fixture(scope="module")
def shared_registry():
    session = Session(Ledger.memory(clock=FixedClock(dt.datetime(2026, 11, 20, 9, 30))), "tester")
    workspace.seed_reference_data(session, "测试镇")
    yield Registry(session)
    session.close()


def test_rows_join_names_keep_the_order_given_and_skip_unknown_ids(reg):
    order = [reg.hh[5], "no-such-id", reg.hh[9], reg.hh[0]]
    rows = rq.household_rows(reg.s, order)
    assert [r.id for r in rows] == [reg.hh[5], reg.hh[9], reg.hh[0]]
    five, nine, zero = rows
    assert (five.village, five.group, five.grid, five.level) == ("东村", "第一村民小组", "东村一网格", "红")
    assert five.head_name == f"户主{chr(0x4e00 + 25 % 12)}" and five.members == 2   # the dead member is left out
    assert five.tags == ("低保",) and zero.tags == ()
    assert five.center_name == "户主一" and zero.link_head_name == f"户主{chr(0x4e00 + 20 % 12)}"
    assert nine.center_name == "" and nine.center_id == reg.ended    # ended: no name shown
    assert (nine.village, nine.group) == ("西村", "")


@pytest.mark.parametrize("role,reveal,full", [
    ("管理员", True, True), ("书记", True, True), ("管理员", False, False), ("录入员", True, False),
    ("只读", True, False),
])
def test_masking_by_role(reg, role, reveal, full):
    reg.s.role = role
    row = rq.household_rows(reg.s, [reg.hh[0]], reveal=reveal)[0]
    detail = rq.household_detail(reg.s, reg.hh[0], reveal=reveal)
    head = detail.persons[0]
    if full:
        assert row.phone == PHONE and head.id_number == ID and head.phone == PHONE
    else:
        assert row.phone == "138****5678" and head.phone == "138****5678"
        assert head.id_number == "1525**********0011"


def test_household_detail(reg):
    d = rq.household_detail(reg.s, reg.hh[2])
    assert [p.name for p in d.persons] == [f"户主{chr(0x4e00 + 10 % 12)}", "成员20", "成员21"]   # head first
    assert d.persons[2].status == "去世" and d.row.members == 2
    assert d.center_id == reg.center and d.link_head_id == reg.link and d.tag_ids == (reg.tag,)
    assert d.group_id == reg.g2 and d.head_person_id == reg.heads[2] and not d.is_center_household
    assert rq.household_detail(reg.s, reg.hh[0]).is_center_household
    assert rq.household_detail(reg.s, reg.hh[9]).center_id is None     # names an ended center
    with reg.s.writing() as w:
        w.delete(Household, reg.hh[3])
    with pytest.raises(NotFoundError):
        rq.household_detail(reg.s, reg.hh[3])


def test_villages_and_tags(reg):
    vs = rq.villages(reg.s)
    assert [v.name for v in vs] == ["东村", "西村"]
    assert vs[0].groups == ((reg.g1, "第一村民小组"), (reg.g2, "第二村民小组"))
    assert vs[1].grids == ((reg.grid2, "西村一网格"),) and vs[1].groups == ()
    tags = {t.name: t for t in rq.tags(reg.s)}
    assert tags["低保"].households == 3 and tags["低保"].builtin and tags["残疾"].households == 0
    with reg.s.writing() as w:
        w.update(Household, reg.hh[1], {"status": "迁出"})
        custom = w.insert(Tag, {"name": "自定义"})
    tags = {t.name: t for t in rq.tags(reg.s)}
    assert tags["低保"].households == 2 and not tags["自定义"].builtin and tags["自定义"].id == custom
    uncounted = rq.tags(reg.s, counts=False)
    assert [(t.id, t.name, t.builtin) for t in uncounted] == [(t.id, t.name, t.builtin) for t in rq.tags(reg.s)]
    assert {t.households for t in uncounted} == {None}


def test_center_rows_bounds_and_invalid_reasons(reg):
    s = reg.s
    assert rq.center_ids(s) == [reg.center]
    assert rq.center_ids(s, CenterQuery(include_ended=True)) == [reg.center, reg.ended]
    (row,) = rq.center_rows(s, [reg.center])
    assert (row.village, row.hh_no, row.person_name, row.types) == ("东村", "000", "户主一", ("xuanchuan", "zhifu"))
    assert (row.households, row.minimum, row.maximum, row.within_bounds, row.invalid_reason) == (6, 5, 15, True, "")
    assert rq.center_ids(s, CenterQuery(problem="out_of_bounds")) == []
    with s.writing() as w:
        w.update(Setting, link_id("setting", "center.min_households"), {"value": "7"})
    assert rq.bounds(s, "center") == (7, 15)
    assert rq.center_ids(s, CenterQuery(problem="out_of_bounds")) == [reg.center]
    assert not rq.center_rows(s, [reg.center])[0].within_bounds
    assert rq.center_ids(s, CenterQuery(problem="invalid")) == []
    for change, reason in [({"is_party_member": False}, rq.NOT_PARTY_MEMBER),
                           ({"household_id": reg.hh[1]}, rq.CENTER_NOT_IN_HOUSEHOLD),
                           ({"status": "迁出"}, rq.CENTER_MOVED),
                           ({"status": "去世"}, rq.CENTER_DIED)]:
        with s.writing() as w:
            w.update(Person, reg.heads[0], change)
        assert rq.center_rows(s, [reg.center])[0].invalid_reason == reason
        assert rq.center_ids(s, CenterQuery(problem="invalid", village_id=reg.v1)) == [reg.center]
    assert rq.center_ids(s, CenterQuery(problem="invalid", village_id=reg.v2)) == []


def test_link_head_rows(reg):
    s = reg.s
    (hid,) = rq.link_head_ids(s)
    (row,) = rq.link_head_rows(s, [hid])
    assert (row.village, row.person_name, row.households, row.within_bounds, row.invalid_reason) == (
        "东村", f"户主{chr(0x4e00 + 20 % 12)}", 6, True, "")
    with s.writing() as w:
        w.update(Person, reg.heads[4], {"status": "迁出"})
    assert rq.link_head_rows(s, [hid])[0].invalid_reason == rq.HEAD_MOVED
    assert rq.link_head_ids(s, CenterQuery(problem="invalid")) == [hid]
    assert rq.bounds(s, "link_head") == (5, 15)


# -- the township demo ----------------------------------------------------------------------


def test_fast_default_list_equals_the_order_by_form(demo_session):
    """household_ids' index-order aggregate must give exactly what ORDER BY gives (SQLite promises no order)."""
    s = demo_session
    villages = [None, *(v.id for v in rq.villages(s))]
    with s.reading():
        for vid in villages:
            for desc in (False, True):
                q = HouseholdQuery(village_id=vid, descending=desc)
                assert rq._plain_list_sql(q) is not None
                sql, params = rq.household_sql(q)
                expected = [r[0] for r in s.ledger.db.execute_sql(sql, params).fetchall()]
                assert rq.household_ids(s, q) == expected and expected
                assert rq.household_ids(s, q, limit=200) == expected[:200]


def test_demo_first_screen_and_filters(demo_session):
    s = demo_session
    ids = rq.household_ids(s)
    assert len(ids) == 12_000 and len(set(ids)) == 12_000
    rows = rq.household_rows(s, ids[:40])
    assert [r.id for r in rows] == ids[:40]
    assert all(r.head_name and r.village and "*" in r.phone for r in rows if r.phone)
    v = rq.villages(s)[0]
    in_village = rq.household_ids(s, HouseholdQuery(village_id=v.id))
    grid_ids = [rq.household_ids(s, HouseholdQuery(grid_id=g)) for g, _ in v.grids]
    assert sorted(sum(grid_ids, [])) == sorted(in_village)
    covered = rq.household_ids(s, HouseholdQuery(center="covered"))
    uncovered = rq.household_ids(s, HouseholdQuery(center="uncovered"))
    assert len(covered) + len(uncovered) == 12_000 and not set(covered) & set(uncovered)
    centers = rq.center_ids(s)
    assert len(centers) == 600
    assert sum(r.households for r in rq.center_rows(s, centers)) == len(covered)
    invalid = rq.center_rows(s, rq.center_ids(s, CenterQuery(problem="invalid")))
    assert invalid and all(r.invalid_reason in rq.CENTER_INVALID_REASONS for r in invalid)
