import collections
import datetime as dt
import random

import pytest
from hypothesis import settings, strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from ledgerdesk.core.errors import LedgerDeskError, ValidationError
from ledgerdesk.core.ledger_errors import IllegalTransitionError, PermissionDeniedError
from ledgerdesk.core.lifecycle import (
    KINDS, RESOLVED_STATES, ROLES, STATES, TERMINAL_STATES, TRANSITIONS, UNREGISTERED, UNRESOLVED_STATES,
    Event, ProblemState, apply, check_permission, derive, legal_kinds, validate,
)

T0 = dt.datetime(2026, 3, 2, 9, 0)
D = dt.date

# The lifecycle as the brief states it, one legal step per line: state, event kind → resulting state.
# Written independently of lifecycle.TRANSITIONS so each checks the other.
SPEC = """
未登记 登记 登记
登记 交办 已交办
已交办 交办 已交办
已交办 办理 办理中
办理中 办理 办理中
已交办 办结 已办结
办理中 办结 已办结
已办结 评价 已评价
已评价 销号 已销号
已办结 退回 已交办
已评价 退回 已交办
已交办 延期 已交办
办理中 延期 办理中
已评价 重新打开 办理中
已销号 重新打开 办理中
已办结 回访 已办结
已评价 回访 已评价
已销号 回访 已销号
登记 合并 已合并
已交办 合并 已合并
办理中 合并 已合并
登记 撤销 已撤销
已交办 撤销 已撤销
办理中 撤销 已撤销
已办结 撤销 已撤销
已评价 撤销 已撤销
"""
SPEC_STEPS = {(s, k): t for s, k, t in (line.split() for line in SPEC.strip().splitlines())}

# Complete fields for each kind that needs any.
FIELDS = {
    "交办": dict(responsible_person="张建国", responsible_unit="民政办", deadline=D(2026, 3, 20), deadline_kind="工作日"),
    "延期": dict(reason="需协调县水务局", approved_by="李书记", deadline=D(2026, 4, 30)),
    "评价": dict(rating="满意", rated_by="王秀兰", rating_method="上门"),
    "撤销": dict(reason="重复登记"),
    "合并": dict(merged_into_id="problem-earlier"),
    "回访": dict(revisit_result="问题未反弹"),
    "办结": dict(note="已修复"),
}


def event(kind: str, at: dt.datetime, seq: int = 0, **overrides) -> Event:
    return Event(kind, at, id=f"e{seq:05d}", **{**FIELDS.get(kind, {}), **overrides})


def story(*steps) -> list[Event]:
    """Events one hour apart; a step is a kind or (kind, {field overrides})."""
    out = []
    for i, step in enumerate(steps):
        kind, overrides = (step, {}) if isinstance(step, str) else step
        out.append(event(kind, T0 + dt.timedelta(hours=i), i, **overrides))
    return out


def state_of(*steps) -> ProblemState:
    return derive(story(*steps), strict=True)


def next_event(state: ProblemState, kind: str, **overrides) -> Event:
    return event(kind, state.updated_at + dt.timedelta(hours=1), 999, **overrides)


UNHAPPY = ("评价", {"rating": "不满意"})
PATHS = {  # a shortest story reaching each state
    UNREGISTERED: (),
    "登记": ("登记",),
    "已交办": ("登记", "交办"),
    "办理中": ("登记", "交办", "办理"),
    "已办结": ("登记", "交办", "办结"),
    "已评价": ("登记", "交办", "办结", "评价"),
    "已销号": ("登记", "交办", "办结", "评价", "销号"),
    "已合并": ("登记", "合并"),
    "已撤销": ("登记", "撤销"),
}


# -- the table -------------------------------------------------------------------------------------

def test_the_table_is_the_spec():
    table = {(s, k): t for k, row in TRANSITIONS.items() for s, t in row.items()}
    assert table == SPEC_STEPS
    assert set(TRANSITIONS) == set(KINDS)
    assert set(s for s, _ in table) | set(table.values()) == set(STATES) | {UNREGISTERED}


def test_the_normal_path_to_closure():
    s = state_of("登记", "交办", "办理", "办结", "评价", "销号")
    assert s.state == "已销号"
    assert s.responsible_person == "张建国" and s.responsible_unit == "民政办"
    assert s.deadline == s.original_deadline == D(2026, 3, 20) and s.deadline_kind == "工作日"
    assert s.registered_at == T0 and s.dispatched_at == T0 + dt.timedelta(hours=1)
    assert s.last_note_at == T0 + dt.timedelta(hours=2)
    assert s.resolved_at == T0 + dt.timedelta(hours=3) and s.resolution_note == "已修复"
    assert (s.rating, s.rated_by, s.rating_method) == ("满意", "王秀兰", "上门")
    assert s.closed_at == T0 + dt.timedelta(hours=5)
    assert s.is_resolved and not s.is_terminal and s.flags == ()


@pytest.mark.parametrize("state", list(PATHS))
def test_every_step_outside_the_table_is_refused_with_a_message(state):
    s = state_of(*PATHS[state])
    assert s.state == state
    for kind in KINDS:
        if (state, kind) in SPEC_STEPS:
            continue
        with pytest.raises(IllegalTransitionError) as info:
            apply(s, next_event(s, kind) if s.updated_at else event(kind, T0))
        assert info.value.message == f"当前状态为“{state}”，不能“{kind}”"
        assert info.value.key == "illegal-transition"


def test_the_message_names_state_and_action():
    s = state_of(*PATHS["已销号"])
    with pytest.raises(IllegalTransitionError, match="当前状态为“已销号”，不能“办结”"):
        apply(s, next_event(s, "办结"))


def test_apply_is_pure_and_derive_matches_stepwise_apply():
    events = story("登记", "交办", "办理", "办结")
    s = None
    for e in events:
        s = apply(s, e)
    assert derive(events, strict=True) == s
    registered = state_of("登记")
    assert apply(registered, next_event(registered, "交办")).state == "已交办"
    assert registered == state_of("登记")


# -- guards --------------------------------------------------------------------------------------------

def test_dispatch_again_only_after_a_return():
    s = state_of("登记", "交办")
    with pytest.raises(IllegalTransitionError, match="只有退回后才能重新交办"):
        apply(s, next_event(s, "交办"))
    s = state_of("登记", "交办", "办结", "退回")
    assert s.state == "已交办" and s.returned and s.returns == 1
    assert s.responsible_person == "张建国"  # the same responsible
    assert s.resolved_at is None
    s = apply(s, next_event(s, "延期"))  # an extension keeps the return pending
    s = apply(s, next_event(s, "交办", responsible_person="赵志刚", deadline=D(2026, 5, 8)))
    assert s.responsible_person == "赵志刚" and s.deadline == s.original_deadline == D(2026, 5, 8)
    assert not s.returned


def test_work_after_a_return_ends_the_return():
    s = state_of("登记", "交办", "办结", "退回", "办理")
    assert s.state == "办理中" and not s.returned
    assert "交办" not in legal_kinds(s)


def test_a_dissatisfied_rating_needs_a_decision_and_can_never_be_closed():
    s = state_of("登记", "交办", "办结", UNHAPPY)
    assert s.state == "已评价" and s.needs_decision
    with pytest.raises(IllegalTransitionError, match="不满意"):
        apply(s, next_event(s, "销号"))
    assert "销号" not in legal_kinds(s)
    assert {"重新打开", "退回", "撤销", "回访"} <= set(legal_kinds(s))


def test_reopen_after_dissatisfied_rating_then_resolve_and_close():
    s = state_of("登记", "交办", "办结", UNHAPPY, "重新打开", "办理", "办结", "评价", "销号")
    assert s.state == "已销号" and s.reopened == 1 and s.rating == "满意"
    assert s.resolved_at == T0 + dt.timedelta(hours=6)


def test_reopen_needs_a_dissatisfied_rating_or_a_revisit():
    s = state_of(*PATHS["已销号"])
    with pytest.raises(IllegalTransitionError, match="回访后才能重新打开"):
        apply(s, next_event(s, "重新打开"))
    s = state_of(*PATHS["已销号"], ("回访", {"revisit_result": "问题反弹"}), "重新打开")
    assert s.state == "办理中" and s.closed_at is None and s.resolved_at is None and s.rating is None
    assert s.last_revisit.result == "问题反弹" and len(s.revisits) == 1


def test_a_revisit_of_an_earlier_resolution_does_not_license_a_reopen():
    s = state_of("登记", "交办", "办结", "回访", "退回", "办结", "评价")
    assert not s.revisited_since_resolved
    assert "重新打开" not in legal_kinds(s)


def test_revisit_records_without_changing_state():
    for state in ("已办结", "已评价", "已销号"):
        s = state_of(*PATHS[state], "回访")
        assert s.state == state and s.last_revisit.result == "问题未反弹"


def test_extension_moves_the_deadline_later_only():
    s = state_of("登记", "交办", "延期")
    assert s.deadline == D(2026, 4, 30) and s.original_deadline == D(2026, 3, 20) and s.extensions == 1
    assert s.deadline_kind == "工作日"  # kept when the extension does not say
    for not_later in (D(2026, 4, 30), D(2026, 4, 1)):
        with pytest.raises(ValidationError) as info:
            apply(s, next_event(s, "延期", deadline=not_later))
        assert info.value.field == "deadline"


def test_merge_and_void_are_terminal():
    merged = state_of("登记", "合并")
    assert merged.state == "已合并" and merged.merged_into_id == "problem-earlier" and merged.is_terminal
    voided = state_of("登记", "交办", "办结", "撤销")
    assert voided.state == "已撤销" and voided.voided_reason == "重复登记"
    assert legal_kinds(merged) == legal_kinds(voided) == ()


# -- required fields -----------------------------------------------------------------------------------

@pytest.mark.parametrize("kind, overrides, field", [
    ("交办", dict(responsible_person="", responsible_unit=""), "responsible_person"),
    ("交办", dict(responsible_person="  ", responsible_unit=""), "responsible_person"),
    ("交办", dict(deadline=None), "deadline"),
    ("延期", dict(reason=""), "reason"),
    ("延期", dict(approved_by=""), "approved_by"),
    ("延期", dict(deadline=None), "deadline"),
    ("评价", dict(rating=None), "rating"),
    ("评价", dict(rating="很好"), "rating"),
    ("撤销", dict(reason=" "), "reason"),
    ("合并", dict(merged_into_id=None), "merged_into_id"),
    ("办理", dict(deadline_kind="小时"), "deadline_kind"),
    ("催办", {}, "kind"),
])
def test_missing_required_fields_are_refused(kind, overrides, field):
    e = event(kind, T0, **overrides)
    with pytest.raises(ValidationError) as info:
        validate(e)
    assert info.value.field == field and info.value.message
    s = state_of(*PATHS["已交办"])
    with pytest.raises(ValidationError):  # apply validates before anything else
        apply(s, e)


def test_dispatch_needs_only_one_of_person_or_unit():
    validate(event("交办", T0, responsible_person=""))
    validate(event("交办", T0, responsible_unit=""))


@pytest.mark.parametrize("kind", KINDS)
def test_complete_events_validate(kind):
    validate(event(kind, T0))


# -- permissions ---------------------------------------------------------------------------------------

CLERK_MAY = {"登记", "办理", "办结", "评价", "回访"}


@pytest.mark.parametrize("role", ROLES)
def test_permissions(role):
    may = {"管理员": set(KINDS), "书记": set(KINDS), "录入员": CLERK_MAY, "只读": set()}[role]
    for kind in KINDS:
        if kind in may:
            check_permission(role, kind)
            continue
        with pytest.raises(PermissionDeniedError) as info:
            check_permission(role, kind)
        assert role in info.value.message and kind in info.value.message
        assert info.value.key == "permission-denied"


def test_unknown_role_is_denied():
    with pytest.raises(PermissionDeniedError):
        check_permission("访客", "登记")


# -- figures -------------------------------------------------------------------------------------------

def dispatched(deadline=D(2026, 3, 20), *more) -> ProblemState:
    return state_of("登记", ("交办", {"deadline": deadline}), *more)


def test_overdue_and_yellow_card():
    s = dispatched()
    assert not s.is_overdue(D(2026, 3, 20)) and s.yellow_card(D(2026, 3, 20)) is None
    assert s.is_overdue(D(2026, 3, 21))
    assert s.yellow_card(D(2026, 3, 23)) == "超期未办结：办理期限2026-03-20，已超期3天"
    resolved = dispatched(D(2026, 3, 20), "办结")
    assert not resolved.is_overdue(D(2026, 6, 1)) and resolved.yellow_card(D(2026, 6, 1), 5) is None
    for terminal in (state_of("登记", "交办", "撤销"), state_of("登记", "交办", "合并")):
        assert not terminal.is_overdue(D(2026, 6, 1)) and terminal.yellow_card(D(2026, 6, 1), 5) is None
    assert not state_of("登记").is_overdue(D(2030, 1, 1))  # no deadline yet


def test_extension_clears_overdue():
    s = dispatched(D(2026, 3, 20), ("延期", {"deadline": D(2026, 4, 10)}))
    assert not s.is_overdue(D(2026, 4, 1)) and s.is_overdue(D(2026, 4, 11))


def test_yellow_card_for_no_progress():
    s = dispatched(D(2026, 12, 31), "办理")  # note at T0 + 2h = 2026-03-02
    assert s.yellow_card(D(2026, 3, 8), stale_days=7) is None
    assert s.yellow_card(D(2026, 3, 9), stale_days=7) == "已7天无办理进展"
    assert s.yellow_card(D(2026, 3, 30)) is None  # staleness only when asked for
    assert dispatched(D(2026, 12, 31)).yellow_card(D(2026, 3, 12), stale_days=10) == "已10天无办理进展"


def test_on_time_and_days_to_resolve():
    on_time = state_of("登记", ("交办", {"deadline": D(2026, 3, 2)}), "办结")
    assert on_time.resolved_on_time and on_time.days_to_resolve == 0
    late = state_of("登记", ("交办", {"deadline": D(2026, 3, 1)}), "办结")
    assert late.is_resolved and not late.resolved_on_time
    extended = state_of("登记", ("交办", {"deadline": D(2026, 3, 1)}), ("延期", {"deadline": D(2026, 3, 3)}), "办结")
    assert extended.resolved_on_time  # against the approved, extended deadline
    assert not dispatched().resolved_on_time and dispatched().days_to_resolve is None
    events = story("登记", "交办")
    events.append(event("办结", T0 + dt.timedelta(days=9), 9))
    assert derive(events, strict=True).days_to_resolve == 9


# -- replay of synced logs -------------------------------------------------------------------------------

def two_devices() -> list[Event]:
    """Both devices saw 登记 and 交办; then A closed it while B, offline, kept working on it."""
    common = story("登记", "交办")
    day = dt.timedelta(days=1)
    a = [event("办结", T0 + 3 * day, 10), event("评价", T0 + 4 * day, 11), event("销号", T0 + 5 * day, 12)]
    b = [event("办理", T0 + 3.5 * day, 20, actor="乌云"), event("办结", T0 + 6 * day, 21, actor="乌云")]
    return common + a + b


def test_strict_replay_refuses_an_illegal_interleaving():
    with pytest.raises(IllegalTransitionError, match="当前状态为“已办结”，不能“办理”"):
        derive(two_devices(), strict=True)


def test_lenient_replay_skips_and_flags_illegal_events():
    s = derive(two_devices())
    assert s.state == "已销号"
    assert s.flags == (
        "并发操作：已办结后又有“办理”（2026-03-05 21:00，乌云）",
        "并发操作：已销号后又有“办结”（2026-03-08 09:00，乌云）",
    )


def test_lenient_replay_is_independent_of_input_order():
    events = two_devices()
    expected = derive(events)
    rng = random.Random(3)
    for _ in range(20):
        rng.shuffle(events)
        assert derive(events) == expected


def test_lenient_replay_flags_events_before_registration_and_invalid_ones():
    events = story("登记", "交办", ("撤销", {"reason": ""}))
    events.append(event("办理", T0 - dt.timedelta(hours=1), 50))
    s = derive(events)
    assert s.state == "已交办"
    assert s.flags[0].startswith("次序异常：登记之前已有“办理”")
    assert s.flags[1].startswith("无效记录：撤销须填写撤销理由")


def test_no_events_give_the_blank_state():
    s = derive([])
    assert s == ProblemState() and s.state == UNREGISTERED
    assert legal_kinds(None) == ("登记",)


def test_ties_in_time_are_broken_by_id():
    events = [event(kind, T0, seq) for seq, kind in enumerate(("登记", "交办", "办理"))]
    assert derive(reversed(events), strict=True).state == "办理中"


def test_event_from_a_database_row():
    row = {"id": "x1", "problem_id": "p1", "vid": 3, "deleted": 0, "kind": "延期", "at": "2026-03-02 09:15:00",
           "actor": "李书记", "note": "", "responsible_person": "", "responsible_unit": "", "deadline": "2026-04-30",
           "deadline_kind": "工作日", "reason": "等待批复", "approved_by": "李书记", "rating": None, "rated_by": "",
           "rating_method": "", "revisit_result": "", "merged_into_id": None}
    e = Event.from_row(row)
    assert e.at == dt.datetime(2026, 3, 2, 9, 15) and e.deadline == D(2026, 4, 30) and e.id == "x1"
    assert Event.from_row({**row, "deadline": None}).deadline is None


def test_the_demo_ledger_replays_strictly(demo_session):
    cursor = demo_session.ledger.db.execute_sql("SELECT * FROM problem_event WHERE deleted = 0")
    columns = [c[0] for c in cursor.description]
    by_problem = collections.defaultdict(list)
    for values in cursor.fetchall():
        row = dict(zip(columns, values))
        by_problem[row["problem_id"]].append(Event.from_row(row))
    assert by_problem
    failures = {}
    states = collections.Counter()
    for problem_id, events in by_problem.items():
        try:
            states[derive(events, strict=True).state] += 1
        except LedgerDeskError as error:
            failures[problem_id] = f"{error.message}: {[e.kind for e in sorted(events, key=lambda e: e.order_key)]}"
    assert not failures, failures
    assert {"已销号", "办理中"} <= set(states)


# -- the state machine ---------------------------------------------------------------------------------

REFUSED = (IllegalTransitionError, ValidationError)
ENDINGS = ("合并", "撤销")


@st.composite
def event_fields(draw, kind: str, at: dt.datetime, current_deadline: dt.date | None):
    """Fields for an event of ``kind``: usually complete, sometimes with one required field left out.

    Returns (fields, complete).
    """
    fields = {"actor": draw(st.sampled_from(["张建国", "乌云", "李书记"]))}
    if kind == "交办":
        fields.update(responsible_person=draw(st.sampled_from(["张建国", "赵志刚", ""])),
                      responsible_unit=draw(st.sampled_from(["民政办", ""])),
                      deadline=at.date() + dt.timedelta(days=draw(st.integers(0, 30))),
                      deadline_kind=draw(st.sampled_from(["自然日", "工作日"])))
    elif kind == "延期":
        base = current_deadline or at.date()
        fields.update(reason="需协调", approved_by="李书记", deadline=base + dt.timedelta(days=draw(st.integers(-3, 20))))
    elif kind == "评价":
        fields.update(rating=draw(st.sampled_from(["满意", "基本满意", "不满意"])), rated_by="王秀兰")
    elif kind in ("撤销", "合并", "回访"):
        fields.update(FIELDS[kind])
    complete = True
    if kind in ("延期", "评价", "撤销", "合并") and draw(st.integers(0, 9)) == 0:
        drop = {"延期": "approved_by", "评价": "rating", "撤销": "reason", "合并": "merged_into_id"}[kind]
        fields[drop] = None if drop in ("rating", "merged_into_id") else ""
        complete = False
    if kind == "交办" and not (fields["responsible_person"] or fields["responsible_unit"]):
        complete = False
    return fields, complete


def allowed_by_history(history: list[Event], state: str, e: Event) -> bool:
    """The model: is ``e`` legal after ``history`` (already in state ``state``)? Guards from the brief."""
    if (state, e.kind) not in SPEC_STEPS:
        return False
    kinds = [h.kind for h in history]
    last_rating = next((h.rating for h in reversed(history) if h.kind == "评价"), None)
    since_resolved = kinds[len(kinds) - kinds[::-1].index("办结"):] if "办结" in kinds else []
    if e.kind == "交办" and state == "已交办":
        return [k for k in kinds if k != "延期"][-1] == "退回"
    if e.kind == "销号":
        return last_rating != "不满意"
    if e.kind == "重新打开":
        return last_rating == "不满意" or "回访" in since_resolved
    if e.kind == "延期":
        effective = next(h.deadline for h in reversed(history) if h.kind in ("交办", "延期"))
        return e.deadline > effective
    return True


class LifecycleMachine(RuleBasedStateMachine):
    """Random actions, legal or not, against the model; accepted events must replay to the same state."""

    def __init__(self):
        super().__init__()
        self.accepted: list[Event] = []
        self.state = ProblemState()
        self.at = T0
        self.seq = 0

    def attempt(self, kind: str, gap: int, data) -> None:
        self.at += dt.timedelta(minutes=gap)  # a zero gap makes a tie, broken by id
        self.seq += 1
        fields, complete = data.draw(event_fields(kind, self.at, self.state.deadline))
        e = Event(kind, self.at, id=f"e{self.seq:05d}", **fields)
        expected = complete and allowed_by_history(self.accepted, self.state.state, e)
        before = self.state
        try:
            after = apply(before, e)
        except REFUSED:
            assert not expected, f"refused a legal {kind} in {before.state}"
            assert self.state == before == derive(self.accepted, strict=True)
            return
        assert expected, f"accepted an illegal {kind} in {before.state}"
        assert after.state == SPEC_STEPS[before.state, kind]
        self.accepted.append(e)
        self.state = after

    @rule(data=st.data(), gap=st.integers(0, 3 * 24 * 60))
    def legal_kind(self, data, gap):
        """Mostly moves the story on: a legal kind, 合并/撤销 only when nothing else is legal."""
        legal = legal_kinds(self.state)
        onward = [k for k in legal if k not in ENDINGS] or list(legal) or list(KINDS)
        self.attempt(data.draw(st.sampled_from(onward)), gap, data)

    @rule(kind=st.sampled_from([k for k in KINDS if k not in ENDINGS] * 2 + list(ENDINGS)), data=st.data(),
          gap=st.integers(0, 3 * 24 * 60))
    def any_kind(self, kind, data, gap):
        """Any kind at all, legal or not (合并/撤销 rarer, so stories last)."""
        self.attempt(kind, gap, data)

    @invariant()
    def replay_gives_the_incremental_state(self):
        assert derive(self.accepted, strict=True) == self.state
        assert derive(list(reversed(self.accepted)), strict=True) == self.state

    @invariant()
    def terminal_and_closed_states_accept_little(self):
        allowed = set(legal_kinds(self.state))
        if self.state.state in TERMINAL_STATES:
            assert not allowed
        if self.state.state == "已销号":
            assert allowed <= {"回访", "重新打开"}

    @invariant()
    def resolution_fields_follow_the_state(self):
        s = self.state
        if s.state in RESOLVED_STATES:
            last_resolve = next(e for e in reversed(self.accepted) if e.kind == "办结")
            assert s.resolved_at == last_resolve.at
        if s.state in UNRESOLVED_STATES or s.state == UNREGISTERED:
            assert s.resolved_at is None
        assert (s.closed_at is not None) == (s.state == "已销号")

    @invariant()
    def extensions_never_move_the_deadline_earlier(self):
        s = self.state
        if s.original_deadline is not None:
            assert s.deadline >= s.original_deadline
        assert s.extensions == sum(e.kind == "延期" for e in self.accepted)

    @invariant()
    def a_dissatisfied_rating_is_never_closed(self):
        last_rating = None
        for e in self.accepted:
            if e.kind == "评价":
                last_rating = e.rating
            if e.kind == "销号":
                assert last_rating != "不满意"


LifecycleMachine.TestCase.settings = settings(max_examples=200, stateful_step_count=30, deadline=None)
TestLifecycleMachine = LifecycleMachine.TestCase
