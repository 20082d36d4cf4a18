"""党员中心户 and 联户长: designation rules, assignment, bounds and roles."""

import datetime as dt

import pytest

from ledgerdesk.core.errors import NotFoundError, PermissionDeniedError, ValidationError
from ledgerdesk.core.idcard import make_id_number
from ledgerdesk.core.ids import link_id
from ledgerdesk.services import registry as reg
from ledgerdesk.store.models import Setting
from ledger_checks import q, refused, row




@pytest.fixture
def village(memory_session):
    """A village with a party-member household and 20 more households; a second village with one."""
    s = memory_session
    t = {"s": s}
    t["v"] = reg.create_village(s, name="红旗村")
    t["other_v"] = reg.create_village(s, name="东风村")
    t["home"] = reg.create_household(s, village_id=t["v"], hh_no="000")
    t["pm"] = reg.add_person(s, t["home"], name="王党员", is_party_member=True, make_head=True,
                             id_number=make_id_number("152530", dt.date(1970, 1, 2), 5, True)).id
    t["spouse"] = reg.add_person(s, t["home"], name="李配偶", relation="配偶").id
    t["hh"] = [reg.create_household(s, village_id=t["v"], hh_no=f"{i:03d}") for i in range(1, 21)]
    t["far"] = reg.create_household(s, village_id=t["other_v"], hh_no="900")
    return t


def set_setting(session, key, value):
    with session.writing() as w:
        w.update(Setting, link_id("setting", key), {"value": value})


# -- designating a 中心户 -----------------------------------------------------------------------


def test_designate_center_assigns_its_own_household_and_stores_type_codes(village):
    s = village["s"]
    cid = reg.designate_center(s, household_id=village["home"], person_id=village["pm"],
                               types=["zhifu", "理论政策宣传员"])
    c = row(s, "party_center", cid)
    assert (c["village_id"], c["household_id"], c["person_id"]) == (village["v"], village["home"], village["pm"])
    assert c["types"] == "xuanchuan,zhifu"  # labels become codes, in vocabulary order
    assert c["designated_on"] == "2026-11-20" and c["ended_on"] is None
    assert row(s, "household", village["home"])["center_id"] == cid


@pytest.mark.parametrize("case, needle", [
    ("not_member", "不是党员"),
    ("other_household", "不是该户成员"),
    ("dead", "去世"),
    ("unknown_type", "未知的中心户类型"),
    ("household_gone", "迁出"),
    ("future", "晚于今天"),
])
def test_center_person_must_be_a_living_party_member_of_that_household(village, case, needle):
    s = village["s"]
    kwargs = {"household_id": village["home"], "person_id": village["pm"], "types": ["xietiao"]}
    if case == "not_member":
        kwargs["person_id"] = village["spouse"]
    elif case == "other_household":
        kwargs["household_id"] = village["hh"][0]
    elif case == "dead":
        reg.set_person_status(s, village["pm"], "去世")
    elif case == "unknown_type":
        kwargs["types"] = ["xietiao", "会计"]
    elif case == "household_gone":
        pid = reg.add_person(s, village["hh"][0], name="赵党员", is_party_member=True).id
        reg.deactivate_household(s, village["hh"][0])
        kwargs = {"household_id": village["hh"][0], "person_id": pid}
    elif case == "future":
        kwargs["designated_on"] = "2026-12-01"
    centers = q(s, "SELECT count(*) FROM party_center")
    err = refused(s, ValidationError, reg.designate_center, s, **kwargs)
    assert needle in err.message
    assert q(s, "SELECT count(*) FROM party_center") == centers
    assert row(s, "household", kwargs["household_id"])["center_id"] is None


def test_a_party_member_who_works_away_may_be_the_center_person(village):
    s = village["s"]
    reg.set_person_status(s, village["pm"], "外出")
    assert reg.designate_center(s, household_id=village["home"], person_id=village["pm"])


def test_one_active_center_per_household(village):
    s = village["s"]
    cid = reg.designate_center(s, household_id=village["home"], person_id=village["pm"])
    err = refused(s, ValidationError, reg.designate_center, s, household_id=village["home"],
                  person_id=village["pm"])
    assert "已是党员中心户" in err.message
    reg.end_center(s, cid)
    again = reg.designate_center(s, household_id=village["home"], person_id=village["pm"])
    assert again != cid


def test_set_center_types(village):
    s = village["s"]
    cid = reg.designate_center(s, household_id=village["home"], person_id=village["pm"])
    reg.set_center_types(s, cid, "wangge，daiban")
    assert row(s, "party_center", cid)["types"] == "daiban,wangge"
    refused(s, ValidationError, reg.set_center_types, s, cid, ["x"])
    reg.set_center_types(s, cid, [])
    assert row(s, "party_center", cid)["types"] == ""


# -- assigning households ---------------------------------------------------------------------


def test_assignment_counts_moves_and_reports_bounds(village):
    s = village["s"]
    hh = village["hh"]
    cid = reg.designate_center(s, household_id=village["home"], person_id=village["pm"])
    small = reg.assign_to_center(s, cid, hh[:2])
    assert (small.assigned, small.moved_from_other, small.total) == (2, 0, 3)
    assert (small.minimum, small.maximum, small.within_bounds) == (5, 15, False)
    assert small.message == "已分配 2 户；该中心户现联系 3 户，低于下限 5 户"

    ok = reg.assign_to_center(s, cid, hh[:8] + hh[:2])  # repeats and already-assigned ones count once
    assert (ok.assigned, ok.total, ok.within_bounds) == (6, 9, True)
    assert "在 5–15 户范围内" in ok.message

    big = reg.assign_to_center(s, cid, hh[8:16])
    assert (big.assigned, big.total, big.within_bounds) == (8, 17, False)
    assert big.message == "已分配 8 户；该中心户现联系 17 户，超出上限 15 户"
    assert q(s, "SELECT count(*) FROM household WHERE center_id = ?", cid) == 17


def test_assignment_moves_households_from_another_center(village):
    s = village["s"]
    hh = village["hh"]
    first = reg.designate_center(s, household_id=village["home"], person_id=village["pm"])
    reg.assign_to_center(s, first, hh[:6])
    pm2 = reg.add_person(s, hh[10], name="赵党员", is_party_member=True).id
    second = reg.designate_center(s, household_id=hh[10], person_id=pm2)
    result = reg.assign_to_center(s, second, hh[3:8])
    assert (result.assigned, result.moved_from_other, result.total) == (5, 3, 6)
    assert "其中 3 户从其他中心户转入" in result.message
    assert q(s, "SELECT count(*) FROM household WHERE center_id = ?", first) == 4


def test_assignment_is_village_scoped_and_only_for_registered_households(village):
    s = village["s"]
    hh = village["hh"]
    cid = reg.designate_center(s, household_id=village["home"], person_id=village["pm"])
    err = refused(s, ValidationError, reg.assign_to_center, s, cid, [hh[0], village["far"]])
    assert "户号 900" in err.message and "本村" in err.message
    assert row(s, "household", hh[0])["center_id"] is None  # nothing of the call was kept
    reg.deactivate_household(s, hh[1])
    err = refused(s, ValidationError, reg.assign_to_center, s, cid, [hh[1]])
    assert "迁出" in err.message
    refused(s, NotFoundError, reg.assign_to_center, s, cid, ["no-such-household"])
    refused(s, NotFoundError, reg.assign_to_center, s, "no-such-center", [hh[0]])


def test_bounds_come_from_settings(village):
    s = village["s"]
    set_setting(s, "center.min_households", "2")
    set_setting(s, "center.max_households", "3")
    cid = reg.designate_center(s, household_id=village["home"], person_id=village["pm"])
    result = reg.assign_to_center(s, cid, village["hh"][:3])
    assert (result.minimum, result.maximum, result.total, result.within_bounds) == (2, 3, 4, False)
    assert result.message.endswith("超出上限 3 户")


def test_unassign_and_end_center(village):
    s = village["s"]
    hh = village["hh"]
    cid = reg.designate_center(s, household_id=village["home"], person_id=village["pm"], designated_on="2024-03-01")
    reg.assign_to_center(s, cid, hh[:6])
    assert reg.unassign_from_center(s, hh[:2] + [village["far"]]) == 2
    assert row(s, "household", hh[0])["center_id"] is None
    refused(s, ValidationError, reg.end_center, s, cid, "2024-01-01")
    assert reg.end_center(s, cid, "2026-11-01") == 5  # 4 left + its own household
    assert row(s, "party_center", cid)["ended_on"] == "2026-11-01"
    assert q(s, "SELECT count(*) FROM household WHERE center_id = ?", cid) == 0
    err = refused(s, ValidationError, reg.end_center, s, cid)
    assert "已于 2026-11-01 结束" in err.message
    refused(s, ValidationError, reg.assign_to_center, s, cid, hh[:1])
    refused(s, ValidationError, reg.set_center_types, s, cid, ["zhifu"])


# -- 联户长 ----------------------------------------------------------------------------------------


def test_link_head_is_any_registered_resident_and_links_their_household(village):
    s = village["s"]
    hh = village["hh"]
    lid = reg.designate_link_head(s, person_id=village["spouse"])  # not a party member: fine
    h = row(s, "link_head", lid)
    assert (h["village_id"], h["household_id"], h["person_id"]) == (village["v"], village["home"], village["spouse"])
    assert row(s, "household", village["home"])["link_head_id"] == lid
    err = refused(s, ValidationError, reg.designate_link_head, s, person_id=village["spouse"])
    assert "已是联户长" in err.message

    result = reg.link_to_head(s, lid, hh[:12])
    assert (result.assigned, result.total, result.within_bounds) == (12, 13, True)
    assert result.message == "已分配 12 户；该联户长现联系 13 户，在 5–15 户范围内"
    more = reg.link_to_head(s, lid, hh[12:15])
    assert more.message == "已分配 3 户；该联户长现联系 16 户，超出上限 15 户"
    refused(s, ValidationError, reg.link_to_head, s, lid, [village["far"]])

    other = reg.add_person(s, hh[19], name="孙长").id
    second = reg.designate_link_head(s, person_id=other)
    moved = reg.link_to_head(s, second, hh[:2])
    assert (moved.assigned, moved.moved_from_other, moved.total) == (2, 2, 3)

    assert reg.unlink_from_head(s, [hh[0]]) == 1
    assert reg.end_link_head(s, lid) == 14  # its own household + 15, less the 2 moved to the second head
    assert row(s, "link_head", lid)["ended_on"] == "2026-11-20"


def test_link_head_must_be_registered_and_living_here(village):
    s = village["s"]
    pid = reg.add_person(s, village["hh"][0], name="钱外出").id
    reg.set_person_status(s, pid, "外出")
    err = refused(s, ValidationError, reg.designate_link_head, s, person_id=pid)
    assert "在册" in err.message
    refused(s, NotFoundError, reg.designate_link_head, s, person_id="nobody")


# -- roles -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["录入员", "只读"])
def test_only_reviewers_designate_and_end(village, role):
    s = village["s"]
    cid = reg.designate_center(s, household_id=village["home"], person_id=village["pm"])
    lid = reg.designate_link_head(s, person_id=village["spouse"])
    s.role = role
    for call in (lambda: reg.designate_center(s, household_id=village["home"], person_id=village["pm"]),
                 lambda: reg.set_center_types(s, cid, ["zhifu"]),
                 lambda: reg.end_center(s, cid),
                 lambda: reg.designate_link_head(s, person_id=village["pm"]),
                 lambda: reg.end_link_head(s, lid)):
        err = refused(s, PermissionDeniedError, call)
        assert role in err.message


def test_clerks_assign_households_but_readers_do_not(village):
    s = village["s"]
    cid = reg.designate_center(s, household_id=village["home"], person_id=village["pm"])
    lid = reg.designate_link_head(s, person_id=village["spouse"])
    s.role = "录入员"
    assert reg.assign_to_center(s, cid, village["hh"][:1]).assigned == 1
    assert reg.link_to_head(s, lid, village["hh"][:1]).assigned == 1
    s.role = "只读"
    refused(s, PermissionDeniedError, reg.assign_to_center, s, cid, village["hh"][1:2])
    refused(s, PermissionDeniedError, reg.link_to_head, s, lid, village["hh"][1:2])
    refused(s, PermissionDeniedError, reg.unassign_from_center, s, village["hh"][:1])
