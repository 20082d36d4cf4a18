"""A Hypothesis state machine over the ledger SERVICE API: random roles, random steps, a moving clock.

After every step the local problem_state table equals lifecycle.derive(events)
for every problem; a refused step (wrong role, illegal transition, bad input)
changes nothing at all; an accepted one writes exactly one event of its kind.
The role and transition checks are predicted from core.lifecycle.
"""

import datetime as dt

from hypothesis import HealthCheck, settings, strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from ledgerdesk.core import lifecycle as L
from ledgerdesk.core.clock import FixedClock
from ledgerdesk.core.errors import LedgerDeskError, PermissionDeniedError, ValidationError
from ledgerdesk.core.ledger_errors import IllegalTransitionError
from ledgerdesk.services import ledger as LG
from ledgerdesk.services import workspace
from ledgerdesk.services.ledger_queries import state_values
from ledgerdesk.services.permissions import REVIEWERS
from ledgerdesk.services.session import Session
from ledgerdesk.store.database import Ledger
from ledgerdesk.store.models import Household, PartyCenter, Person, Village
from ledgerdesk.store.verify import replay_mismatches

START = dt.datetime(2026, 11, 20, 9, 30)
RATINGS = ("满意", "基本满意", "不满意")

# action -> (event kind it records, call(session, problem_id, target_id, n, flag))
ACTIONS = {
    "dispatch": (L.DISPATCH, lambda s, p, t, n, f: LG.dispatch(
        s, p, responsible_person="李明", responsible_unit="村委会", days=n, deadline_kind="工作日" if f else "自然日")),
    "claim": (L.DISPATCH, lambda s, p, t, n, f: LG.claim_by_center(s, p, "c-1", days=n)),
    "note": (L.PROGRESS, lambda s, p, t, n, f: LG.add_note(s, p, f"进展{n}")),
    "study": (L.PROGRESS, lambda s, p, t, n, f: LG.branch_study(s, p, "研究")),
    "resolve": (L.RESOLVE, lambda s, p, t, n, f: LG.resolve(s, p, "已办结")),
    "feedback": (None, lambda s, p, t, n, f: LG.feedback(s, p, "已反馈", resolved=f)),
    "rate": (L.RATE, lambda s, p, t, n, f: LG.rate(s, p, rating=RATINGS[n % 3], rated_by="群众",
                                                    method="上门" if f else "电话")),
    "close": (L.CLOSE, lambda s, p, t, n, f: LG.close(s, p, "同意销号")),
    "return": (L.RETURN, lambda s, p, t, n, f: LG.return_problem(s, p, "返工")),
    "extend": (L.EXTEND, lambda s, p, t, n, f: LG.extend(s, p, reason="等待", approved_by="书记", days=n)),
    "reopen": (L.REOPEN, lambda s, p, t, n, f: LG.reopen(s, p, "不满意")),
    "merge": (L.MERGE, lambda s, p, t, n, f: LG.merge(s, p, t)),
    "void": (L.VOID, lambda s, p, t, n, f: LG.void(s, p, "撤销")),
    "revisit": (L.REVISIT, lambda s, p, t, n, f: LG.revisit(s, p, result="回访良好")),
}


def kind_of(action: str, flag: bool) -> str:
    kind = ACTIONS[action][0]
    if action == "feedback":
        return L.RESOLVE if flag else L.PROGRESS
    return kind


class LedgerMachine(RuleBasedStateMachine):
    def __init__(self):
        super().__init__()
        self.clock = FixedClock(START)
        self.s = Session(Ledger.memory(clock=self.clock), "machine")
        workspace.seed_reference_data(self.s, "测试镇")
        tid = self.s.ledger.get_meta("township_id")
        with self.s.writing() as w:
            w.insert_many(Village, ["id", "township_id", "name"], [("v-1", tid, "红旗村")])
            w.insert_many(Household, ["id", "village_id", "hh_no"], [("h-1", "v-1", "001")])
            w.insert_many(Person, ["id", "household_id", "name", "is_party_member"], [("p-1", "h-1", "王建国", 1)])
            w.insert_many(PartyCenter, ["id", "village_id", "household_id", "person_id"],
                          [("c-1", "v-1", "h-1", "p-1")])
        self.problems: list[str] = []
        self.accepted = 0
        self.refusals = 0

    def snapshot(self):
        db = self.s.ledger.db
        return (db.execute_sql("SELECT count(*) FROM version").fetchone()[0],
                db.execute_sql("SELECT * FROM problem_state ORDER BY problem_id").fetchall(),
                db.execute_sql("SELECT * FROM problem ORDER BY id").fetchall())

    def events(self, pid):
        return LG.load_events(self.s.ledger.db, pid)

    @rule(role=st.sampled_from(L.ROLES), source=st.sampled_from(("群众反映", "网格员巡查", "信访")))
    def register(self, role, source):
        self.s.role = role
        before = self.snapshot()
        try:
            ref = LG.register_problem(self.s, title="问题", source=source, village_id="v-1", household_ids=["h-1"])
        except PermissionDeniedError:
            assert role not in L.PERMISSIONS[L.REGISTER]
            assert self.snapshot() == before
            self.refusals += 1
            return
        assert role in L.PERMISSIONS[L.REGISTER]
        self.problems.append(ref.id)
        assert [e.kind for e in self.events(ref.id)] == [L.REGISTER]

    @precondition(lambda self: self.problems)
    @rule(data=st.data())
    def act(self, data):
        self._act(data)

    def _act(self, data):
        pid = data.draw(st.sampled_from(self.problems), label="problem")
        target = data.draw(st.sampled_from(self.problems), label="target")
        n = data.draw(st.integers(1, 20), label="n")
        flag = data.draw(st.booleans(), label="flag")
        # Mostly a step the lifecycle allows now (else the machine would rarely get past 登记), by a
        # role drawn with a lean towards those who may decide; sometimes anything at all.
        legal_now = L.legal_kinds(L.derive(self.events(pid)))
        options = sorted(a for a in ACTIONS if kind_of(a, flag) in legal_now)
        if options and data.draw(st.integers(0, 3), label="bias"):
            action = data.draw(st.sampled_from(options), label="action")
        else:
            action = data.draw(st.sampled_from(sorted(ACTIONS)), label="action")
        role = data.draw(st.sampled_from(("管理员", "书记", "书记", "录入员", "只读")), label="role")
        self.s.role = role
        history = self.events(pid)
        state = L.derive(history)
        kind = kind_of(action, flag)
        permitted = role in L.PERMISSIONS[kind] and (action != "feedback" or role in REVIEWERS)
        legal = kind in L.legal_kinds(state)
        before = self.snapshot()
        try:
            result = ACTIONS[action][1](self.s, pid, target, n, flag)
        except LedgerDeskError as error:
            assert self.snapshot() == before, f"refused {action} changed the ledger"
            self.refusals += 1
            if not permitted:
                assert isinstance(error, PermissionDeniedError)
            elif not legal:
                assert isinstance(error, IllegalTransitionError)
            else:  # allowed in principle, refused on its content: only a merge into itself or a closed problem
                assert isinstance(error, ValidationError) and action == "merge"
                assert target == pid or L.derive(self.events(target)).is_terminal
            return
        assert permitted and legal, f"{action} by {role} in {state.state} should have been refused"
        after = self.events(pid)
        assert len(after) == len(history) + 1 and after[-1].kind == kind and after[-1].id == result.event_id
        assert self.snapshot()[0] == before[0] + 1  # exactly one version: the event
        assert result.state == L.derive(after).state
        self.accepted += 1

    # Two more rules doing the same: most steps act on a problem.
    @precondition(lambda self: self.problems)
    @rule(data=st.data())
    def act_more(self, data):
        self._act(data)

    @precondition(lambda self: self.problems)
    @rule(data=st.data())
    def act_again(self, data):
        self._act(data)

    @rule(days=st.integers(0, 12), back=st.booleans())
    def tick(self, days, back):
        """Time passes; sometimes the clock goes back (a laptop with a wrong clock)."""
        self.clock.advance(days=-days if back and days < 3 else days)

    @invariant()
    def state_table_equals_the_fold_of_the_events(self):
        db = self.s.ledger.db
        stored = {r[0]: r for r in db.execute_sql("SELECT * FROM problem_state")}
        assert set(stored) == set(self.problems)
        for pid in self.problems:
            events = self.events(pid)
            assert stored[pid] == state_values(pid, L.derive(events))
            assert not L.derive(events).flags  # a single device's own log is always legal
            assert [e.order_key for e in events] == sorted(e.order_key for e in events)

    @invariant()
    def legal_actions_agree_with_the_lifecycle(self):
        if not self.problems:
            return
        pid = self.problems[-1]
        state = L.derive(self.events(pid))
        assert LG.legal_actions(self.s, pid) == tuple(
            k for k in L.legal_kinds(state) if self.s.role in L.PERMISSIONS[k])

    def teardown(self):
        try:
            assert replay_mismatches(self.s.ledger.db) == []
            if self.problems:
                db = self.s.ledger.db
                before = db.execute_sql("SELECT * FROM problem_state ORDER BY 1").fetchall()
                LG.rebuild_problem_state(self.s)
                assert db.execute_sql("SELECT * FROM problem_state ORDER BY 1").fetchall() == before
        finally:
            self.s.close()


LedgerMachine.TestCase.settings = settings(
    max_examples=30, stateful_step_count=60, deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
test_ledger_state_machine = LedgerMachine.TestCase
