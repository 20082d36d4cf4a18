"""Problem-ledger statistics: ledgers built by hand where every figure is known, plus the demo and the CLI."""

from __future__ import annotations

import datetime as dt
import functools
import json
from collections import defaultdict

import pytest

from ledgerdesk.core import lifecycle
from ledgerdesk.core.errors import NotFoundError, ValidationError
from ledgerdesk.core.ids import link_id, uuid7
from ledgerdesk.services import problem_stats as ps
from ledgerdesk.services.problem_stats import Period, overlap, problem_stats, problem_stats_json
from ledgerdesk.store.models import Household, Problem, ProblemEvent, ProblemHousehold, Village

D = dt.date
T = dt.datetime
ROAD = link_id("category", "民生服务", "道路交通")
WATER = link_id("category", "民生服务", "饮水安全")
OCT = Period.month("2026-10")
TODAY = D(2026, 11, 20)


class Book:
    """A tiny ledger written by hand through the versioned writer."""

    def __init__(self, session):
        self.s = session
        self.township = session.ledger.get_meta("township_id")
        self.n = 0
        with session.writing() as w:
            self.v1 = w.insert(Village, {"township": self.township, "name": "一村", "sort_order": 1})
            self.v2 = w.insert(Village, {"township": self.township, "name": "二村", "sort_order": 2})
            self.hh = [w.insert(Household, {"village": self.v1, "hh_no": f"H{i}"}) for i in range(3)]

    def problem(self, registered: T, *, source="群众反映", category=ROAD, village=None, households=(),
                dispatch: T | None = None, deadline: D | None = None, person="张书记", unit="一村村委",
                events=()) -> str:
        """A problem with its 登记 (and 交办 when ``deadline``), then ``events``: (kind, at, fields)."""
        self.n += 1
        pid = uuid7(self.s.ledger.clock.now_ms())
        # insert_many takes column values as stored (ISO text); insert() would pass datetimes through
        # peewee's DateTimeField.db_value, which the version log cannot encode.
        with self.s.writing() as w:
            w.insert_many(Problem, ("id", "township_id", "year", "ledger_no", "title", "source", "category_id",
                                    "village_id", "registered_at"),
                          [(pid, self.township, registered.year, f"测试镇-{registered.year}-{self.n:05d}",
                            f"问题{self.n}", source, category, village or self.v1, registered.isoformat(" "))])
            for h in households:
                w.insert(ProblemHousehold, {"problem": pid, "household": h}, id=link_id("problem_household", pid, h))
            steps = [("登记", registered, {})]
            if deadline is not None:
                steps.append(("交办", dispatch or registered + dt.timedelta(hours=1),
                              {"responsible_person": person, "responsible_unit": unit, "deadline": deadline,
                               "deadline_kind": "自然日"}))
            for kind, at, fields in [*steps, *events]:
                fields = {k: v.isoformat() if isinstance(v, D) else v for k, v in fields.items()}
                cols = ("problem_id", "kind", "at", *fields)
                w.insert_many(ProblemEvent, cols, [(pid, kind, at.isoformat(" "), *fields.values())])
        return pid


def resolved_story(resolved: T, rating: str | None = None, close: bool = False) -> list:
    out = [("办结", resolved, {"note": "已解决"})]
    if rating:
        out.append(("评价", resolved + dt.timedelta(hours=2), {"rating": rating, "rated_by": "群众"}))
    if close:
        out.append(("销号", resolved + dt.timedelta(hours=3), {}))
    return out


def figures(stats) -> tuple:
    return tuple(getattr(stats, k) for k in ps.FIGURE_KEYS)


# -- the period -------------------------------------------------------------------------------------


def test_period_month_year_and_parse():
    assert Period.month("2026-02") == Period(D(2026, 2, 1), D(2026, 2, 28))
    assert Period.month("2024-2") == Period(D(2024, 2, 1), D(2024, 2, 29))
    assert Period.month("2026-12") == Period(D(2026, 12, 1), D(2026, 12, 31))
    assert Period.year(2026) == Period(D(2026, 1, 1), D(2026, 12, 31))
    assert Period.parse("2026-03-05", D(2026, 3, 5)) == Period(D(2026, 3, 5), D(2026, 3, 5))
    for bad in ("2026-13", "2026/11", "十一月", ""):
        with pytest.raises(ValidationError):
            Period.month(bad)
    with pytest.raises(ValidationError, match="早于"):
        Period.parse("2026-03-05", "2026-03-01")
    with pytest.raises(ValidationError):
        Period.parse("2026-02-30", "2026-03-01")
    assert OCT.cutoff(TODAY) == D(2026, 10, 31) and Period.month("2026-11").cutoff(TODAY) == TODAY


# -- the seed figures ----------------------------------------------------------------------------------


def build_seed(book: Book) -> dict:
    """196 received, 188 resolved (179 on time), 150 rated (147 satisfied), 5 overdue; known days and cards."""
    days, cards = [], 0
    for i in range(196):
        reg = T(2026, 10, 1 + i % 15, 9, 0) + dt.timedelta(minutes=i)
        deadline = reg.date() + dt.timedelta(days=10)
        village = book.v1 if i % 2 else book.v2
        if i < 179:  # on time, 3..9 days
            done = reg + dt.timedelta(days=3 + i % 7)
        elif i < 188:  # 9 late: 2 days after the deadline (card raised the day after the deadline)
            done = T.combine(deadline + dt.timedelta(days=2), dt.time(10))
            cards += 1
        else:
            done = None
        events = []
        if done is not None:
            days.append((done.date() - reg.date()).days)
            rating = None if i >= 150 else ("不满意" if i < 3 else ("基本满意" if i % 5 == 0 else "满意"))
            events = resolved_story(done, rating, close=rating not in (None, "不满意"))
        elif i < 193:  # 5 open, deadline passed before the end of October
            reg = T(2026, 10, 2, 9, 0) + dt.timedelta(minutes=i)
            deadline = D(2026, 10, 12)
            cards += 1
        else:  # 3 open, deadline in November: not overdue
            reg = T(2026, 10, 28, 9, 0) + dt.timedelta(minutes=i)
            deadline = D(2026, 11, 8)
        book.problem(reg, village=village, deadline=deadline, person="李四" if i % 3 else "王五",
                     source="12345热线" if i % 4 == 0 else "群众反映", events=events)
    # not received: voided, merged, and registered just outside October
    keep = book.problem(T(2026, 10, 3, 9), deadline=D(2026, 10, 30), events=[
        ("撤销", T(2026, 10, 4, 9), {"reason": "重复登记"})])
    book.problem(T(2026, 10, 3, 10), events=[("合并", T(2026, 10, 3, 11), {"merged_into_id": keep})])
    book.problem(T(2026, 9, 30, 23, 59, 59), deadline=D(2026, 10, 20))
    book.problem(T(2026, 11, 1, 0, 0, 0), deadline=D(2026, 11, 20))
    return {"avg": round(sum(days) / len(days), 1), "cards": cards}


def test_seed_ledger_figures_and_json(memory_session):
    book = Book(memory_session)
    known = build_seed(book)
    stats = problem_stats(memory_session, OCT, today=TODAY)
    assert stats.as_of == D(2026, 10, 31)
    assert (stats.received, stats.resolved, stats.resolved_on_time, stats.rated, stats.satisfied) == (
        196, 188, 179, 150, 147)
    assert stats.resolution_rate == 0.9592 and stats.on_time_rate == 0.9521 and stats.satisfaction_rate == 0.98
    assert f"{stats.on_time_rate:.1%}" == "95.2%"
    assert stats.overdue_open == 5
    # the 9 late ones and the 5 open overdue ones, plus the one registered 09-30 (deadline 10-20, open)
    assert stats.yellow_cards == known["cards"] + 1
    assert stats.avg_days_to_resolve == known["avg"]

    data = problem_stats_json(stats)
    assert set(data) == set(ps.FIGURE_KEYS) | {"by_source", "by_category", "by_village", "by_responsible", "overlap"}
    assert json.loads(json.dumps(data))["on_time_rate"] == 0.9521
    assert [r["name"] for r in data["by_village"]] == ["一村", "二村"]
    assert all(set(r) >= {"name", *ps.FIGURE_KEYS} for k in ("by_source", "by_category", "by_village",
                                                             "by_responsible") for r in data[k])
    assert sum(r["received"] for r in data["by_village"]) == 196
    assert sum(r["received"] for r in data["by_responsible"]) == 196
    assert {r["name"] for r in data["by_responsible"] if r["received"]} == {"李四", "王五"}
    assert [r["name"] for r in data["by_source"]][:4] == ["网格员巡查", "群众反映", "走访发现", "12345热线"]
    hotline = next(r for r in data["by_source"] if r["name"] == "12345热线")
    assert hotline["received"] == 49
    grid = data["by_source"][0]
    assert grid["received"] == 0 and grid["resolution_rate"] is None  # empty rows: null rates, not 0
    assert data["by_category"][0]["name"] == "民生服务/道路交通"


# -- edge cases ---------------------------------------------------------------------------------------------


def test_extension_counts_against_the_new_deadline(memory_session):
    b = Book(memory_session)
    ext = ("延期", T(2026, 10, 8, 9), {"reason": "需协调", "approved_by": "镇长", "deadline": D(2026, 10, 20)})
    b.problem(T(2026, 10, 1, 9), deadline=D(2026, 10, 10), events=[ext, *resolved_story(T(2026, 10, 15, 9))])
    b.problem(T(2026, 10, 1, 9), deadline=D(2026, 10, 10), events=[ext, *resolved_story(T(2026, 10, 25, 9))])
    # overdue on 10-06 (card 1), extended on 10-08 to 10-20, still open at the end: card 2 on 10-21
    b.problem(T(2026, 10, 1, 9), deadline=D(2026, 10, 5), events=[
        ("延期", T(2026, 10, 8, 9), {"reason": "需协调", "approved_by": "镇长", "deadline": D(2026, 10, 20)})])
    s = problem_stats(memory_session, OCT, today=TODAY)
    assert (s.received, s.resolved, s.resolved_on_time, s.overdue_open, s.yellow_cards) == (3, 2, 1, 1, 3)
    assert s.on_time_rate == 0.5 and s.avg_days_to_resolve == 19.0


def test_reopened_and_returned_problems_count_by_their_current_resolution(memory_session):
    b = Book(memory_session)
    first = resolved_story(T(2026, 10, 5, 9), "不满意")
    # reopened and not yet resolved again by the end of October
    b.problem(T(2026, 10, 1, 9), deadline=D(2026, 10, 10), events=[
        *first, ("重新打开", T(2026, 10, 6, 9), {"reason": "群众不满意"})])
    # reopened, resolved again after the deadline and rated 满意: resolved, late, satisfied
    b.problem(T(2026, 10, 1, 9), deadline=D(2026, 10, 10), events=[
        *first, ("重新打开", T(2026, 10, 6, 9), {"reason": "群众不满意"}),
        *resolved_story(T(2026, 10, 13, 9), "满意", close=True)])
    # returned after the deadline: unresolved again from 10-12, so a card that day
    b.problem(T(2026, 10, 1, 9), deadline=D(2026, 10, 10), events=[
        *resolved_story(T(2026, 10, 9, 9)), ("退回", T(2026, 10, 12, 9), {"reason": "未解决"})])
    s = problem_stats(memory_session, OCT, today=TODAY)
    assert (s.received, s.resolved, s.resolved_on_time, s.rated, s.satisfied) == (3, 1, 0, 1, 1)
    assert s.overdue_open == 2
    # card on 10-11 for the first (open since the reopening), 10-11 for the second (resolved 10-13),
    # and 10-12 for the returned one
    assert s.yellow_cards == 3
    # after the reopening, as of 10-07 (today) the first two are open, not yet overdue; no card yet
    early = problem_stats(memory_session, OCT, today=D(2026, 10, 7))
    assert (early.as_of, early.resolved, early.overdue_open, early.yellow_cards) == (D(2026, 10, 7), 0, 0, 0)


def test_period_boundaries_and_resolution_after_the_period(memory_session):
    b = Book(memory_session)
    b.problem(T(2026, 10, 31, 23, 59, 59), deadline=D(2026, 11, 10), events=resolved_story(T(2026, 11, 2, 9)))
    b.problem(T(2026, 10, 1, 0, 0, 0), deadline=D(2026, 10, 10), events=resolved_story(T(2026, 10, 31, 23, 59)))
    b.problem(T(2026, 11, 1, 0, 0, 0), deadline=D(2026, 11, 10))
    b.problem(T(2026, 9, 30, 23, 59, 59), deadline=D(2026, 10, 10), events=resolved_story(T(2026, 10, 2, 9)))
    octo = problem_stats(memory_session, OCT, today=TODAY)
    assert (octo.received, octo.resolved, octo.resolved_on_time) == (2, 1, 0)
    assert octo.yellow_cards == 1  # the one resolved 10-31 was overdue from 10-11
    both = problem_stats(memory_session, Period.parse("2026-10-01", "2026-11-30"), today=TODAY)
    assert both.as_of == TODAY and (both.received, both.resolved, both.resolved_on_time) == (3, 2, 1)
    assert both.overdue_open == 1  # registered 11-01, deadline 11-10, open on 11-20


def test_voided_and_merged_are_not_received_as_of_the_cutoff(memory_session):
    b = Book(memory_session)
    target = b.problem(T(2026, 10, 2, 9), deadline=D(2026, 10, 20))
    b.problem(T(2026, 10, 2, 10), events=[("合并", T(2026, 10, 2, 11), {"merged_into_id": target})])
    b.problem(T(2026, 10, 3, 9), deadline=D(2026, 10, 20), events=[("撤销", T(2026, 10, 4, 9), {"reason": "误报"})])
    # voided only in November: a real problem as of October's end
    b.problem(T(2026, 10, 3, 9), deadline=D(2026, 10, 20), events=[("撤销", T(2026, 11, 4, 9), {"reason": "误报"})])
    assert problem_stats(memory_session, OCT, today=TODAY).received == 2
    assert problem_stats(memory_session, Period.month("2026-11"), today=TODAY).received == 0
    assert problem_stats(memory_session, Period.year(2026), today=TODAY).received == 1


def test_zero_denominators_give_null(memory_session):
    b = Book(memory_session)
    empty = problem_stats(memory_session, OCT, today=TODAY)
    assert figures(empty) == (0, 0, None, 0, None, 0, 0, None, 0, 0, None)
    data = json.loads(json.dumps(problem_stats_json(empty)))
    assert data["resolution_rate"] is None and data["avg_days_to_resolve"] is None
    assert data["overlap"]["rate"] is None and data["overlap"]["tickets"] == 0
    b.problem(T(2026, 10, 2, 9), deadline=D(2026, 10, 30), events=resolved_story(T(2026, 10, 3, 9)))
    s = problem_stats(memory_session, OCT, today=TODAY)
    assert (s.resolution_rate, s.on_time_rate, s.satisfaction_rate, s.avg_days_to_resolve) == (1.0, 1.0, None, 1.0)


def test_village_filter_and_lookup(memory_session):
    b = Book(memory_session)
    b.problem(T(2026, 10, 2, 9), village=b.v1, deadline=D(2026, 10, 30))
    b.problem(T(2026, 10, 2, 9), village=b.v2, deadline=D(2026, 10, 30))
    b.problem(T(2026, 10, 2, 9), village=b.v2, deadline=D(2026, 10, 30))
    v2 = ps.village_id_by_name(memory_session, "二村")
    s = problem_stats(memory_session, OCT, village_id=v2, today=TODAY)
    assert s.received == 2 and [r.name for r in s.by_village] == ["二村"]
    with pytest.raises(NotFoundError):
        ps.village_id_by_name(memory_session, "三村")


# -- overlap ----------------------------------------------------------------------------------------------


def test_overlap_pairs_inside_and_outside_the_window(memory_session):
    b = Book(memory_session)
    h0, h1 = b.hh[0], b.hh[1]
    early = b.problem(T(2026, 9, 20, 9), source="网格员巡查", households=[h0])
    b.problem(T(2026, 10, 5, 9), source="12345热线", households=[h0])          # 15 days: covered, 同户
    b.problem(T(2026, 10, 5, 9), source="12345热线", households=[h1])          # other household: not
    b.problem(T(2026, 10, 5, 9), source="信访", households=[h0], category=WATER)  # other category: not
    b.problem(T(2026, 10, 25, 9), source="信访", households=[h0])              # 35 days: outside 30
    b.problem(T(2026, 9, 1, 9), source="走访发现", village=b.v2, category=WATER)
    b.problem(T(2026, 10, 1, 8), source="信访", village=b.v2, category=WATER)   # 30 days: 同村, covered
    b.problem(T(2026, 10, 6, 9), source="走访发现", households=[h1])            # later than the ticket: not
    rep = overlap(memory_session, OCT, today=TODAY)
    assert (rep.tickets, rep.covered, rep.rate) == (5, 2, 0.4)
    assert {(s.name, s.tickets, s.covered) for s in rep.by_source} == {("12345热线", 2, 1), ("信访", 3, 1)}
    pairs = {(p.ticket_no, p.early_no, p.days_before, p.match) for p in rep.pairs}
    assert pairs == {("测试镇-2026-00002", "测试镇-2026-00001", 15, "同户"),
                     ("测试镇-2026-00007", "测试镇-2026-00006", 30, "同村")}
    assert early in {p.early_id for p in rep.pairs}
    assert overlap(memory_session, OCT, window_days=60, today=TODAY).covered == 3
    # the same report is part of the statistics JSON
    data = problem_stats_json(problem_stats(memory_session, OCT, today=TODAY))
    assert data["overlap"]["covered"] == 2 and len(data["overlap"]["pairs"]) == 2


# -- the demo ledger -------------------------------------------------------------------------------------------


SUMMED = ("received", "resolved", "resolved_on_time", "rated", "satisfied", "overdue_open", "yellow_cards")


def test_demo_breakdowns_add_up_and_match_a_plain_derive(demo_session):
    s = demo_session
    year = problem_stats(s, Period.parse("2025-11-01", "2026-11-30"))
    assert year.as_of == TODAY and year.received > 2_500
    for rows in (year.by_village, year.by_source, year.by_category, year.by_responsible):
        for key in SUMMED:
            assert sum(getattr(r, key) for r in rows) == getattr(year, key), key
    assert year.resolved_on_time <= year.resolved <= year.received and year.satisfied <= year.rated

    # October, recomputed the plain way: every problem's events through Event.from_row and derive()
    octo = problem_stats(s, OCT)
    events = defaultdict(list)
    with s.reading():
        regs = {p.id: p.registered_at for p in Problem.select(Problem.id, Problem.registered_at)
                .where(Problem.deleted == 0).iterator()}
        for row in ProblemEvent.select().where(ProblemEvent.deleted == 0).dicts().iterator():
            if row["at"].date() <= D(2026, 10, 31):
                row["problem_id"] = row.pop("problem")
                events[row["problem_id"]].append(lifecycle.Event.from_row(row))
    counts = defaultdict(int)
    for pid, reg in regs.items():
        if not (D(2026, 10, 1) <= reg.date() <= D(2026, 10, 31)):
            continue
        st = lifecycle.derive(events[pid], strict=False)
        if st.is_terminal:
            continue
        counts["received"] += 1
        counts["resolved"] += st.is_resolved
        counts["resolved_on_time"] += st.resolved_on_time
        counts["rated"] += st.is_resolved and st.rating is not None
        counts["satisfied"] += st.is_resolved and st.rating in ("满意", "基本满意")
        counts["overdue_open"] += st.is_overdue(D(2026, 10, 31))
    assert {k: getattr(octo, k) for k in counts} == dict(counts)
    assert octo.received > 100


def test_cli_stats_json_month(demo_path, clock, monkeypatch, capsys):
    from ledgerdesk import cli
    from ledgerdesk.services import workspace

    monkeypatch.setattr(workspace, "open_ledger", functools.partial(workspace.open_ledger, clock=clock))
    assert cli.main(["--db", str(demo_path), "stats", "--json", "--month", "2026-10"]) == 0
    out = json.loads(capsys.readouterr().out)
    problems = out["problems"]
    assert (problems["from"], problems["to"], problems["as_of"]) == ("2026-10-01", "2026-10-31", "2026-10-31")
    session = workspace.open_ledger(demo_path)
    try:
        expected = json.loads(json.dumps(problem_stats_json(problem_stats(session, OCT, today=TODAY))))
    finally:
        session.close()
    assert {k: v for k, v in problems.items() if k not in ("from", "to", "as_of", "village")} == expected
    assert "counts" in out

    assert cli.main(["--db", str(demo_path), "stats", "--month", "2026-10"]) == 0
    text = capsys.readouterr().out
    assert f"受理 {expected['received']} 件" in text and "按期办结率" in text


@pytest.mark.parametrize("args,key", [
    (["--month", "2026-13"], "usage"),
    (["--from", "2026-10-05", "--to", "2026-10-01"], "usage"),
    (["--to", "2026-10-01"], "usage"),
    (["--month", "2026-10", "--from", "2026-10-01"], "usage"),
    (["--village", "没有这个村"], "not-found"),
])
def test_cli_stats_bad_period_or_village_is_one_line(demo_path, capsys, args, key):
    from ledgerdesk import cli

    code = cli.main(["--db", str(demo_path), "stats", *args])
    err = capsys.readouterr().err.strip().splitlines()
    assert code != 0 and len(err) == 1 and err[0].startswith("错误：") and err[0].endswith(f"({key})")
