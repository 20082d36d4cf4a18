"""The problem ledger services: every step, the role matrix, refusals that write nothing, deadlines, reads."""

import datetime as dt

import chinese_calendar
import pytest

from ledgerdesk.core import lifecycle as L
from ledgerdesk.core.errors import NotFoundError, PermissionDeniedError, ValidationError
from ledgerdesk.core.ids import link_id
from ledgerdesk.core.ledger_errors import IllegalTransitionError
from ledgerdesk.services import ledger as LG
from ledgerdesk.services.ledger_queries import state_values, stored_state
from ledgerdesk.store.models import Grid, Household, PartyCenter, Person
from ledger_checks import q, refusal_check

# -- helpers ------------------------------------------------------------------------------------


def snapshot(session):
    """Everything a refused call must leave untouched: the version log and the derived state table."""
    db = session.ledger.db
    return (q(session, "SELECT count(*) FROM version"),
            db.execute_sql("SELECT * FROM problem_state ORDER BY problem_id").fetchall(),
            db.execute_sql("SELECT id, ledger_no, provisional_no FROM problem ORDER BY id").fetchall())


refused = refusal_check(snapshot)


def as_role(session, role):
    session.role = role
    return session


def state_matches_events(session, problem_id):
    events = LG.load_events(session.ledger.db, problem_id)
    assert stored_state(session.ledger.db, problem_id) == state_values(problem_id, L.derive(events))


@pytest.fixture
def town(villages):
    """A village with a grid, two households, a person and a party center, written through the writer."""
    s = villages
    ids = {"s": s, "v": "v-1", "v2": "v-2", "grid": "grid-1", "h1": "h-1", "h2": "h-2", "p": "p-1", "c": "c-1"}
    with s.writing() as w:
        w.insert_many(Grid, ["id", "village_id", "name"], [("grid-1", "v-1", "第一网格")])
        w.insert_many(Household, ["id", "village_id", "hh_no", "grid_id", "head_person_id"],
                      [("h-1", "v-1", "001", "grid-1", "p-1"), ("h-2", "v-1", "002", "grid-1", None)])
        w.insert_many(Person, ["id", "household_id", "name", "is_party_member"], [("p-1", "h-1", "王建国", 1)])
        w.insert_many(PartyCenter, ["id", "village_id", "household_id", "person_id"], [("c-1", "v-1", "h-1", "p-1")])
    return ids


def new_problem(s, **kw):
    args = dict(title="村道路灯损坏", source="群众反映", village_id="v-1")
    args.update(kw)
    return LG.register_problem(s, **args).id


def dispatched(s, **kw):
    pid = new_problem(s)
    LG.dispatch(s, pid, responsible_person="李明", responsible_unit="村委会", days=5, **kw)
    return pid


def resolved(s):
    pid = dispatched(s)
    LG.resolve(s, pid, "已更换灯泡")
    return pid


def rated(s, rating="满意"):
    pid = resolved(s)
    LG.rate(s, pid, rating=rating, rated_by="张大妈", method="电话")
    return pid


# -- registration -----------------------------------------------------------------------------


def test_register_writes_the_problem_its_households_and_one_event(town):
    s = town["s"]
    before = q(s, "SELECT count(*) FROM version")
    ref = LG.register_problem(s, title=" 村道 路灯损坏 ", source="网格员巡查", grid_id="grid-1",
                              household_ids=["h-1", "h-2", "h-1"], reporter="赵网格", reporter_phone="138 0000 1234",
                              category_id=link_id("category", "民生服务", "道路交通"), urgency="紧急")
    assert q(s, "SELECT count(*) FROM version") == before + 4  # problem, 2 links, 1 event
    d = LG.problem_detail(s, ref.id)
    assert (d.title, d.village, d.grid, d.category, d.category_domain) == ("村道 路灯损坏", "红旗村", "第一网格",
                                                                           "道路交通", "民生服务")
    assert d.household_ids == ("h-1", "h-2") and d.households == ("001 王建国", "002")
    assert d.reporter_phone == "138****1234"
    assert LG.problem_detail(s, ref.id, reveal=True).reporter_phone == "13800001234"
    assert d.state == L.REGISTERED and [e.kind for e in d.events] == ["登记"]
    assert d.events[0].actor == "tester" and d.number == ref.number
    state_matches_events(s, ref.id)


def test_reveal_needs_a_role_that_may_see_phones(town):
    s = town["s"]
    pid = new_problem(s, reporter_phone="13800001234")
    assert LG.problem_detail(as_role(s, "录入员"), pid, reveal=True).reporter_phone == "138****1234"


@pytest.mark.parametrize("kwargs, field", [
    (dict(title=" "), "title"),
    (dict(source="电话"), "source"),
    (dict(source="12345热线"), "hotline_no"),
    (dict(urgency="很急"), "urgency"),
    (dict(reporter_phone="12345"), "reporter_phone"),
    (dict(category_id="nope"), "category_id"),
    (dict(village_id="nope"), "village_id"),
    (dict(grid_id="nope"), "grid_id"),
    (dict(village_id="v-2", grid_id="grid-1"), "grid_id"),
    (dict(household_ids=["nope"]), "household_ids"),
    (dict(registered_at=dt.datetime(2026, 11, 21, 8, 0)), "registered_at"),
    (dict(registered_at="昨天"), "registered_at"),
])
def test_bad_registrations_are_refused_and_write_nothing(town, kwargs, field):
    s = town["s"]
    args = dict(title="村道路灯损坏", source="群众反映", village_id="v-1")
    args.update(kwargs)
    error = refused(s, ValidationError, LG.register_problem, s, **args)
    assert error.field == field and error.message


def test_hotline_tickets_keep_their_number_and_are_not_registered_twice(town):
    s = town["s"]
    pid = new_problem(s, source="12345热线", hotline_no="ｇｄ２０２６-1120-001")
    assert LG.problem_detail(s, pid).hotline_no == "GD20261120001"
    error = refused(s, ValidationError, new_problem, s, source="12345热线", hotline_no="GD20261120001")
    assert error.field == "hotline_no" and "已登记" in error.message


def test_registration_may_be_back_dated_and_the_village_comes_from_the_household(town, clock):
    s = town["s"]
    pid = new_problem(s, village_id=None, household_ids=["h-2"], registered_at="2026-11-18")
    d = LG.problem_detail(s, pid)
    assert d.village_id == "v-1" and d.registered_at == dt.datetime(2026, 11, 18)
    assert d.events[0].at == dt.datetime(2026, 11, 18)


# -- every step ----------------------------------------------------------------------------------


def test_the_whole_lifecycle_register_to_close_and_revisit(town):
    s = town["s"]
    pid = new_problem(s)
    r = LG.dispatch(s, pid, responsible_person="李明", responsible_unit="村委会", days=10, note="请尽快")
    assert r.state == L.DISPATCHED and r.deadline == dt.date(2026, 12, 4) and not r.deadline_approximate
    assert LG.add_note(s, pid, "已联系供电所").state == L.IN_PROGRESS
    assert LG.resolve(s, pid, "已更换灯泡").state == L.RESOLVED
    assert LG.rate(s, pid, rating="满意", rated_by="张大妈", method="上门").state == L.RATED
    assert LG.close(s, pid, "同意销号").state == L.CLOSED
    assert LG.revisit(s, pid, result="路灯正常", on="2026-11-20").state == L.CLOSED
    d = LG.problem_detail(s, pid)
    assert [e.kind for e in d.events] == ["登记", "交办", "办理", "办结", "评价", "销号", "回访"]
    assert d.status.rating == "满意" and d.status.rated_by == "张大妈" and d.status.last_revisit.result == "路灯正常"
    assert d.status.resolved_on_time
    assert "交办给村委会、李明，期限2026-12-04" in d.events[1].summary
    state_matches_events(s, pid)


def test_return_and_redispatch_extend_reopen_void_merge(town):
    s = town["s"]
    pid = resolved(s)
    assert LG.return_problem(s, pid, "群众反映灯仍不亮").state == L.DISPATCHED
    r = LG.dispatch(s, pid, responsible_person="刘强", responsible_unit="供电所", deadline="2026-12-31")
    assert r.deadline == dt.date(2026, 12, 31)
    r = LG.extend(s, pid, reason="需等配件", approved_by="书记", days=5)
    # 5 working days after 31 Dec (an explicit date has no kind, so 工作日): 1 Jan off, then 4–8 Jan
    assert r.deadline == dt.date(2027, 1, 8)
    assert r.deadline_approximate  # 2027 is not in the official calendar
    d = LG.problem_detail(s, pid)
    assert d.status.extensions == 1 and d.status.original_deadline == dt.date(2026, 12, 31)
    assert "2027年" in d.deadline_notice

    other = rated(s, rating="不满意")
    assert LG.reopen(s, other, "群众不满意").state == L.IN_PROGRESS

    dup = new_problem(s, title="路灯又坏了")
    assert LG.merge(s, dup, pid, note="同一问题").state == L.MERGED
    assert LG.problem_detail(s, dup).merged_into == LG.problem_detail(s, pid).number
    assert "合并到问题" in LG.problem_detail(s, dup).events[-1].summary

    gone = new_problem(s)
    assert LG.void(s, gone, "重复登记").state == L.VOIDED
    for p in (pid, other, dup, gone):
        state_matches_events(s, p)


def test_extension_must_move_the_deadline_later_and_needs_reason_and_approver(town):
    s = town["s"]
    pid = dispatched(s)
    refused(s, ValidationError, LG.extend, s, pid, reason="", approved_by="书记", days=3)
    refused(s, ValidationError, LG.extend, s, pid, reason="等待", approved_by="", days=3)
    refused(s, ValidationError, LG.extend, s, pid, reason="等待", approved_by="书记")
    refused(s, ValidationError, LG.extend, s, pid, reason="等待", approved_by="书记", deadline="2026-11-21")


def test_merge_refuses_itself_a_missing_target_and_a_closed_off_target(town):
    s = town["s"]
    a, b = new_problem(s), new_problem(s)
    refused(s, ValidationError, LG.merge, s, a, a)
    refused(s, ValidationError, LG.merge, s, a, "nope")
    LG.void(s, b, "无效")
    error = refused(s, ValidationError, LG.merge, s, a, b)
    assert "已撤销" in error.message


def test_rating_must_be_one_of_the_three_and_the_method_known(town):
    s = town["s"]
    pid = resolved(s)
    assert refused(s, ValidationError, LG.rate, s, pid, rating="很好").field == "rating"
    assert refused(s, ValidationError, LG.rate, s, pid, rating="满意", method="微信").field == "method"


def test_notes_and_reasons_are_required(town):
    s = town["s"]
    pid = dispatched(s)
    assert refused(s, ValidationError, LG.add_note, s, pid, "  ").field == "note"
    assert refused(s, ValidationError, LG.resolve, s, pid, "").field == "note"
    assert refused(s, ValidationError, LG.void, s, pid, "").field == "reason"


def test_unknown_problem_is_not_found_and_writes_nothing(town):
    s = town["s"]
    refused(s, NotFoundError, LG.add_note, s, "nope", "x")
    with pytest.raises(NotFoundError):
        LG.problem_detail(s, "nope")
    with pytest.raises(NotFoundError):
        LG.legal_actions(s, "nope")


# -- illegal transitions ------------------------------------------------------------------------


@pytest.mark.parametrize("make, step", [
    (new_problem, lambda s, p, t: LG.resolve(s, p, "办好了")),
    (new_problem, lambda s, p, t: LG.rate(s, p, rating="满意")),
    (new_problem, lambda s, p, t: LG.close(s, p)),
    (dispatched, lambda s, p, t: LG.dispatch(s, p, responsible_person="x", responsible_unit="y", days=3)),
    (dispatched, lambda s, p, t: LG.reopen(s, p, "x")),
    (resolved, lambda s, p, t: LG.close(s, p)),
    (resolved, lambda s, p, t: LG.add_note(s, p, "x")),
    (resolved, lambda s, p, t: LG.extend(s, p, reason="x", approved_by="y", days=3)),
    (resolved, lambda s, p, t: LG.merge(s, p, t)),
    (rated, lambda s, p, t: LG.reopen(s, p, "满意也重开")),
    (lambda s: rated(s, "不满意"), lambda s, p, t: LG.close(s, p)),
])
def test_illegal_steps_are_refused_and_write_nothing(town, make, step):
    s = town["s"]
    pid, target = make(s), new_problem(s)
    error = refused(s, IllegalTransitionError, step, s, pid, target)
    assert "不能" in error.message
    state_matches_events(s, pid)


def test_closed_problem_accepts_nothing_but_revisit_and_then_reopen(town):
    s = town["s"]
    pid = rated(s)
    LG.close(s, pid)
    assert LG.legal_actions(s, pid) == ("回访",)
    refused(s, IllegalTransitionError, LG.reopen, s, pid, "x")
    LG.revisit(s, pid, result="问题反弹")
    assert "重新打开" in LG.legal_actions(s, pid)
    assert LG.reopen(s, pid, "回访发现反弹").state == L.IN_PROGRESS


def test_terminal_problems_refuse_everything(town):
    s = town["s"]
    pid = new_problem(s)
    LG.void(s, pid, "重复")
    assert LG.legal_actions(s, pid) == ()
    refused(s, IllegalTransitionError, LG.void, s, pid, "again")
    refused(s, IllegalTransitionError, LG.dispatch, s, pid, responsible_person="a", responsible_unit="b", days=2)


# -- roles ----------------------------------------------------------------------------------------


def test_clerk_records_facts_but_cannot_dispatch_or_sign_off(town):
    s = town["s"]
    pid = rated(s)
    other = new_problem(s)
    as_role(s, "录入员")
    refused(s, PermissionDeniedError, LG.close, s, pid)
    refused(s, PermissionDeniedError, LG.dispatch, s, other, responsible_person="a", responsible_unit="b", days=3)
    refused(s, PermissionDeniedError, LG.void, s, other, "x")
    refused(s, PermissionDeniedError, LG.merge, s, other, pid)
    refused(s, PermissionDeniedError, LG.feedback, s, pid, "反馈")
    assert set(LG.legal_actions(s, pid)) == {"回访"}  # 销号/退回/撤销 are legal, but not for a clerk
    assert LG.register_problem(s, title="新问题", source="群众反映").number
    assert LG.revisit(s, pid, result="好").state == L.RATED


def test_read_only_records_nothing(town):
    s = town["s"]
    pid = dispatched(s)
    as_role(s, "只读")
    refused(s, PermissionDeniedError, new_problem, s)
    for step in (lambda: LG.add_note(s, pid, "x"), lambda: LG.resolve(s, pid, "x"),
                 lambda: LG.extend(s, pid, reason="x", approved_by="y", days=2), lambda: LG.void(s, pid, "x")):
        refused(s, PermissionDeniedError, step)
    assert LG.legal_actions(s, pid) == ()
    assert LG.problem_detail(s, pid).legal_actions == ()


@pytest.mark.parametrize("role", L.ROLES)
def test_legal_actions_are_lifecycle_kinds_within_the_role(town, role):
    s = town["s"]
    for make in (new_problem, dispatched, resolved, rated):
        pid = make(as_role(s, "管理员"))
        as_role(s, role)
        state = LG.problem_state(s, pid)
        expected = tuple(k for k in L.legal_kinds(state) if role in L.PERMISSIONS[k])
        assert LG.legal_actions(s, pid) == expected


def test_permission_is_checked_before_the_transition(town):
    s = town["s"]
    pid = new_problem(s)
    as_role(s, "录入员")
    refused(s, PermissionDeniedError, LG.close, s, pid)  # illegal too, but the role answers first


# -- deadlines ------------------------------------------------------------------------------------


def test_working_day_deadline_across_spring_festival_2026(town, clock):
    s = town["s"]
    clock.set(dt.datetime(2026, 2, 12, 10, 0))  # Thursday before the holiday (15–23 Feb, 14 Feb worked)
    assert chinese_calendar.is_workday(dt.date(2026, 2, 14)) and not chinese_calendar.is_workday(dt.date(2026, 2, 23))
    pid = new_problem(s)
    r = LG.dispatch(s, pid, responsible_person="李明", responsible_unit="村委会", days=5, deadline_kind="工作日")
    # 13 Feb (Fri), 14 Feb (Sat, 调休), 24, 25, 26 Feb
    assert r.deadline == dt.date(2026, 2, 26) and not r.deadline_approximate
    cal = dispatched_in(s, days=5, kind="自然日")
    assert cal == dt.date(2026, 2, 17)
    assert LG.problem_detail(s, pid).deadline_notice == ""


def dispatched_in(s, *, days, kind):
    pid = new_problem(s)
    return LG.dispatch(s, pid, responsible_person="李明", responsible_unit="村委会", days=days,
                       deadline_kind=kind).deadline


def test_working_day_deadline_across_national_day_2026(town, clock):
    s = town["s"]
    clock.set(dt.datetime(2026, 9, 29, 10, 0))  # Tuesday; 1–7 Oct off, Sat 10 Oct worked
    assert chinese_calendar.is_workday(dt.date(2026, 10, 10))
    # 30 Sep, 8 Oct, 9 Oct, 10 Oct (Sat, 调休), 12 Oct
    assert dispatched_in(s, days=5, kind="工作日") == dt.date(2026, 10, 12)
    assert dispatched_in(s, days=1, kind="工作日") == dt.date(2026, 9, 30)
    assert dispatched_in(s, days=2, kind="工作日") == dt.date(2026, 10, 8)


def test_deadline_in_an_uncovered_year_is_flagged_approximate(town, clock):
    s = town["s"]
    clock.set(dt.datetime(2027, 3, 1, 9, 0))
    pid = new_problem(s)
    r = LG.dispatch(s, pid, responsible_person="李明", responsible_unit="村委会", days=10)
    assert r.deadline_approximate and r.deadline == dt.date(2027, 3, 15)
    notice = LG.problem_detail(s, pid).deadline_notice
    assert "2027年" in notice and "近似" in notice


def test_default_deadline_follows_urgency(town):
    s = town["s"]
    urgent = new_problem(s, urgency="急难险重")
    r = LG.dispatch(s, urgent, responsible_person="李明", responsible_unit="村委会")
    assert r.deadline == dt.date(2026, 11, 23)  # 3 calendar days
    normal = new_problem(s)
    r = LG.dispatch(s, normal, responsible_person="李明", responsible_unit="村委会")
    assert r.deadline == dt.date(2026, 12, 11)  # 15 working days


def test_bad_deadlines_are_refused(town):
    s = town["s"]
    pid = new_problem(s)
    for kw, field in ((dict(days=0), "days"), (dict(days="三"), "days"), (dict(deadline="2026-11-01"), "deadline"),
                      (dict(days=3, deadline_kind="月"), "deadline_kind")):
        error = refused(s, ValidationError, LG.dispatch, s, pid, responsible_person="李明", responsible_unit="村委会",
                        **kw)
        assert error.field == field
    error = refused(s, ValidationError, LG.dispatch, s, pid, responsible_person="", responsible_unit="", days=3)
    assert error.field == "responsible_person"


# -- 三定三问一反馈 ---------------------------------------------------------------------------------


def test_find_claim_study_feedback(town):
    s = town["s"]
    pid = new_problem(s, source="网格员巡查", reporter="赵网格", grid_id="grid-1")
    assert LG.problem_detail(s, pid).three_step_stage == "网格员找问题"
    LG.claim_by_center(s, pid, "c-1", days=7)
    d = LG.problem_detail(s, pid)
    assert (d.responsible_unit, d.responsible_person, d.three_step_stage) == ("党员中心户", "王建国", "党员中心户领问题")
    LG.branch_study(s, pid, "支部决定协调村集体资金维修")
    d = LG.problem_detail(s, pid)
    assert d.three_step_stage == "党支部研究问题" and d.events[-1].note == "支部研究：支部决定协调村集体资金维修"
    assert d.state == L.IN_PROGRESS
    as_role(s, "录入员")
    refused(s, PermissionDeniedError, LG.feedback, s, pid, "已修好")
    as_role(s, "书记")
    assert LG.feedback(s, pid, "已向群众反馈，道路已修好").state == L.RESOLVED
    d = LG.problem_detail(s, pid)
    assert d.three_step_stage == "支部书记反馈问题" and d.status.resolution_note.startswith("书记反馈：")


def test_feedback_before_resolution_is_a_progress_note(town):
    s = town["s"]
    pid = dispatched(s)
    assert LG.feedback(s, pid, "资金未到位，已向群众说明", resolved=False).state == L.IN_PROGRESS
    assert LG.problem_detail(s, pid).three_step_stage == "支部书记反馈问题"
    refused(s, IllegalTransitionError, LG.feedback, s, new_problem(s), "还没交办")


def test_ordinary_problems_are_not_in_the_three_step_flow(town):
    s = town["s"]
    assert LG.problem_detail(s, resolved(s)).three_step_stage == ""


def test_claim_needs_a_live_center(town):
    s = town["s"]
    pid = new_problem(s)
    refused(s, NotFoundError, LG.claim_by_center, s, pid, "nope", days=3)
    as_role(s, "录入员")
    refused(s, PermissionDeniedError, LG.claim_by_center, s, pid, "c-1", days=3)


# -- reads ------------------------------------------------------------------------------------------


def test_problem_list_filters_in_sql(town, clock):
    s = town["s"]
    a = dispatched(s)
    b = resolved(s)
    c = new_problem(s, source="12345热线", hotline_no="T1", title="噪音扰民", village_id="v-2")
    d = new_problem(s, registered_at="2026-10-05", title="十月的问题")
    ids = set(LG.problem_ids(s))
    assert ids == {a, b, c, d}
    assert set(LG.problem_ids(s, LG.ProblemQuery(status="未办结"))) == {a, c, d}
    assert set(LG.problem_ids(s, LG.ProblemQuery(status="办结"))) == {b}
    assert set(LG.problem_ids(s, LG.ProblemQuery(status="登记"))) == {c, d}
    assert set(LG.problem_ids(s, LG.ProblemQuery(status=["已交办", "已办结"]))) == {a, b}
    assert LG.problem_ids(s, LG.ProblemQuery(source="12345热线")) == [c]
    assert LG.problem_ids(s, LG.ProblemQuery(village_id="v-2")) == [c]
    assert set(LG.problem_ids(s, LG.ProblemQuery(responsible="李明"))) == {a, b}
    assert set(LG.problem_ids(s, LG.ProblemQuery(responsible="村委会"))) == {a, b}
    assert LG.problem_ids(s, LG.ProblemQuery(month="2026-10")) == [d]
    assert LG.problem_ids(s, LG.ProblemQuery(text="噪音")) == [c]
    assert LG.problem_ids(s, LG.ProblemQuery(text="T1")) == [c]
    assert LG.problem_ids(s, LG.ProblemQuery(text="100%")) == []
    assert LG.problem_ids(s, LG.ProblemQuery(overdue=True)) == []
    assert LG.problem_ids(s, LG.ProblemQuery(sort="registered_at", descending=False))[0] == d
    clock.advance(days=10)  # a's deadline (27 Nov) has passed
    assert LG.problem_ids(s, LG.ProblemQuery(overdue=True)) == [a]
    assert LG.problem_ids(s, LG.ProblemQuery(yellow=True)) == [a]
    assert set(LG.problem_ids(s, LG.ProblemQuery(overdue=False))) == {b, c, d}
    with pytest.raises(ValidationError):
        LG.problem_ids(s, LG.ProblemQuery(month="十月"))
    with pytest.raises(ValidationError):
        LG.problem_ids(s, LG.ProblemQuery(status="进行中"))
    with pytest.raises(ValidationError):
        LG.problem_ids(s, LG.ProblemQuery(sort="colour"))


def test_problem_rows_keep_the_order_and_show_derived_fields(town, clock):
    s = town["s"]
    a, b = dispatched(s), new_problem(s, category_id=link_id("category", "矛盾化解", "邻里纠纷"))
    clock.advance(days=8)
    rows = LG.problem_rows(s, [b, "missing", a])
    assert [r.id for r in rows] == [b, a]
    assert rows[0].category == "邻里纠纷" and rows[0].state == "登记" and rows[0].village == "红旗村"
    assert rows[1].overdue and rows[1].yellow and rows[1].deadline == dt.date(2026, 11, 27)
    assert rows[1].responsible_person == "李明" and rows[1].provisional


def test_problem_state_table_is_rebuilt_from_events(town):
    s = town["s"]
    ids = [dispatched(s), resolved(s), rated(s), new_problem(s)]
    before = s.ledger.db.execute_sql("SELECT * FROM problem_state ORDER BY problem_id").fetchall()
    s.ledger.db.execute_sql("DELETE FROM problem_state")
    assert LG.rebuild_problem_state(s) == 4
    assert s.ledger.db.execute_sql("SELECT * FROM problem_state ORDER BY problem_id").fetchall() == before
    s.ledger.db.execute_sql("DELETE FROM problem_state WHERE problem_id = ?", (ids[0],))
    assert LG.problem_rows(s, [ids[0]])[0].state == L.DISPATCHED  # derived on the fly when missing
    assert LG.rebuild_problem_state(s, [ids[0]]) == 1
    assert s.ledger.db.execute_sql("SELECT * FROM problem_state ORDER BY problem_id").fetchall() == before


def test_an_event_dated_in_the_future_by_another_device_keeps_the_log_in_order(town, clock):
    s = town["s"]
    pid = dispatched(s)
    clock.advance(days=-2)  # this machine's clock is now behind the events already recorded
    LG.add_note(s, pid, "已联系")
    events = LG.load_events(s.ledger.db, pid)
    assert [e.kind for e in events] == ["登记", "交办", "办理"]
    assert events[-1].at > events[-2].at
    state_matches_events(s, pid)


def test_categories_are_the_seeded_ones_in_order(memory_session):
    cats = LG.categories(memory_session)
    assert cats[0].domain == "组织覆盖" and len(cats) == 17
    assert {c.domain for c in cats} == {"组织覆盖", "民生服务", "矛盾化解", "产业发展"}


def test_problems_of_households(town):
    s = town["s"]
    a = new_problem(s, household_ids=["h-1"])
    new_problem(s, household_ids=["h-2"])
    assert LG.problems_of_households(s, ["h-1"]) == [a]


# -- the township demo ledger ------------------------------------------------------------------------


def test_demo_ledger_state_table_is_the_fold_of_its_events(demo_session):
    s = demo_session
    db = s.ledger.db
    problems = db.execute_sql("SELECT count(*) FROM problem WHERE deleted = 0").fetchone()[0]
    assert db.execute_sql("SELECT count(*) FROM problem_state").fetchone()[0] == problems
    stored = db.execute_sql("SELECT * FROM problem_state ORDER BY problem_id").fetchall()
    LG.rebuild_problem_state(s)
    assert db.execute_sql("SELECT * FROM problem_state ORDER BY problem_id").fetchall() == stored
    sample = [r[0] for r in stored[::97]]
    for pid in sample:
        state_matches_events(s, pid)
    assert db.execute_sql("SELECT sum(flags) FROM problem_state").fetchone()[0] == 0  # the demo's stories are legal


def test_demo_ledger_lists_and_cards(demo_session):
    s = demo_session
    open_ids = LG.problem_ids(s, LG.ProblemQuery(status="未办结"))
    overdue = LG.problem_ids(s, LG.ProblemQuery(overdue=True))
    assert open_ids and overdue and set(overdue) <= set(open_ids)
    rows = LG.problem_rows(s, overdue[:50])
    assert all(r.overdue and r.yellow for r in rows)
    cards = LG.yellow_cards(s)
    assert {c.problem_id for c in cards} == set(overdue)
    assert all(c.since <= s.ledger.clock.today() and c.person for c in cards)
    month = s.ledger.clock.today().strftime("%Y-%m")
    assert LG.yellow_card_counts(s, month).total >= 0
    pid = open_ids[0]
    detail = LG.problem_detail(s, pid)
    assert detail.legal_actions and detail.events[0].kind == "登记"
    # A new registration on the copied demo file (a new site): a provisional number
    ref = LG.register_problem(s, title="新登记的问题", source="群众反映")
    assert ref.number.startswith("2026-")


@pytest.mark.parametrize("query", [LG.ProblemQuery(), LG.ProblemQuery(status="未办结"),
                                   LG.ProblemQuery(status="办结", sort="deadline", descending=True),
                                   LG.ProblemQuery(overdue=True)])
def test_the_first_screen_is_the_start_of_the_whole_list(demo_session, query):
    whole = LG.problem_ids(demo_session, query)
    assert len(whole) > 40
    assert LG.problem_ids(demo_session, query, limit=40) == whole[:40]
