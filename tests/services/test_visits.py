"""Visits: recording them, turning a need into a problem in one action, listing, and what is due."""

import datetime as dt

import pytest

from ledgerdesk.core.errors import NotFoundError, PermissionDeniedError, ValidationError
from ledgerdesk.core.ids import link_id
from ledgerdesk.services import ledger as LG
from ledgerdesk.services import visits as V
from ledgerdesk.store.models import Household, Person
from ledger_checks import refused, versions


@pytest.fixture
def town(villages):
    s = villages
    with s.writing() as w:
        w.insert_many(Household, ["id", "village_id", "hh_no", "head_person_id"],
                      [("h-1", "v-1", "001", "p-1"), ("h-2", "v-1", "002", None), ("h-9", "v-2", "901", None)])
        w.insert_many(Person, ["id", "household_id", "name"], [("p-1", "h-1", "王建国")])
    return s


def visit(s, **kw):
    args = dict(village_id="v-1", visited_on="2026-11-10", visitors="李书记、张委员", household_ids=["h-1", "h-2"],
                findings="老人独居", needs="院门口路面坑洼，需修补", next_due="2026-11-17")
    args.update(kw)
    return V.record_visit(s, **args)


def test_record_visit_and_read_it_back(town):
    s = town
    before = versions(s)
    vid = visit(s, kind="敲门行动")
    assert versions(s) == before + 3  # the visit and two household links
    assert s.ledger.db.execute_sql("SELECT id FROM visit_household WHERE visit_id = ? ORDER BY household_id",
                                   (vid,)).fetchall() == [(link_id("visit_household", vid, "h-1"),),
                                                          (link_id("visit_household", vid, "h-2"),)]
    (row,) = V.visit_rows(s, [vid])
    assert (row.village, row.visited_on, row.kind, row.households, row.next_due) == (
        "红旗村", dt.date(2026, 11, 10), "敲门行动", 2, dt.date(2026, 11, 17))
    assert row.due  # today is 20 Nov
    detail = V.visit_detail(s, vid)
    assert detail.households == ("001 王建国", "002") and detail.problems == ()


@pytest.mark.parametrize("kwargs, field", [
    (dict(village_id="nope"), "village_id"),
    (dict(visited_on=""), "visited_on"),
    (dict(visited_on="2026-11-21"), "visited_on"),
    (dict(visited_on="十一月"), "visited_on"),
    (dict(next_due="2026-11-01"), "next_due"),
    (dict(kind="座谈"), "kind"),
    (dict(household_ids=["nope"]), "household_ids"),
    (dict(household_ids=["h-9"]), "household_ids"),
])
def test_bad_visits_are_refused_and_write_nothing(town, kwargs, field):
    assert refused(town, ValidationError, visit, town, **kwargs).field == field


def test_read_only_cannot_record_visits(town):
    town.role = "只读"
    refused(town, PermissionDeniedError, visit, town)


def test_a_need_becomes_a_problem_in_one_action(town):
    s = town
    vid = visit(s)
    before = versions(s)
    ref = V.problem_from_visit(s, vid, title="修补院门口路面", urgency="紧急",
                               category_id=link_id("category", "民生服务", "道路交通"))
    assert versions(s) == before + 4  # problem, two household links, the 登记 event
    d = LG.problem_detail(s, ref.id)
    assert (d.source, d.village_id, d.household_ids, d.reporter, d.urgency) == (
        "走访发现", "v-1", ("h-1", "h-2"), "李书记、张委员", "紧急")
    assert d.description == "院门口路面坑洼，需修补" and d.state == "登记"
    assert V.visit_detail(s, vid).problems == (LG.ProblemRef(ref.id, ref.number),)
    only_one = V.problem_from_visit(s, vid, title="独居老人照料", household_ids=["h-1"])
    assert LG.problem_detail(s, only_one.id).household_ids == ("h-1",)
    assert len(V.visit_detail(s, vid).problems) == 2


def test_problem_from_visit_refusals_write_nothing(town):
    s = town
    vid = visit(s)
    refused(s, NotFoundError, V.problem_from_visit, s, "nope", title="x")
    refused(s, ValidationError, V.problem_from_visit, s, vid, title=" ")
    refused(s, ValidationError, V.problem_from_visit, s, vid, title="x", household_ids=["h-9"])
    s.role = "只读"
    refused(s, PermissionDeniedError, V.problem_from_visit, s, vid, title="x")


def test_visit_list_filters_and_due(town):
    s = town
    old = visit(s, visited_on="2026-10-08", next_due="2026-10-15", household_ids=["h-1"])
    followed = visit(s, visited_on="2026-10-20", next_due="2026-12-01", household_ids=["h-1"])  # follows up `old`
    due = visit(s, visited_on="2026-11-02", next_due="2026-11-09", household_ids=["h-2"])
    other = visit(s, village_id="v-2", visited_on="2026-11-05", household_ids=["h-9"], next_due=None)
    meeting = visit(s, visited_on="2026-11-06", kind="院坝会", household_ids=[], next_due="2026-11-20")
    assert V.visit_ids(s) == [meeting, other, due, followed, old]  # newest first
    assert V.visit_ids(s, V.VisitQuery(village_id="v-2")) == [other]
    assert V.visit_ids(s, V.VisitQuery(month="2026-10")) == [followed, old]
    assert V.visit_ids(s, V.VisitQuery(household_id="h-1")) == [followed, old]
    assert V.visit_ids(s, V.VisitQuery(kind="院坝会")) == [meeting]
    assert V.visits_due(s) == [due, meeting]
    assert set(V.visit_ids(s, V.VisitQuery(due=False))) == {old, followed, other}
    assert V.visits_due(s, today=dt.date(2026, 12, 1)) == [followed, due, meeting]
    rows = {r.id: r.due for r in V.visit_rows(s, V.visit_ids(s))}
    assert rows == {old: False, followed: False, due: True, other: False, meeting: True}
    visit(s, visited_on="2026-11-20", household_ids=["h-2"], next_due=None)  # follows up `due` and the meeting
    assert V.visits_due(s) == []


def test_visit_detail_of_a_missing_visit(town):
    with pytest.raises(NotFoundError):
        V.visit_detail(town, "nope")
