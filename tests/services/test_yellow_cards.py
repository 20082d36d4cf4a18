"""Yellow cards (黄牌预警): derived from the events, tied to the responsible, cleared on resolution."""

import datetime as dt

from hypothesis import given, settings, strategies as st

from ledgerdesk.core import lifecycle as L
from ledgerdesk.core.ids import link_id
from ledgerdesk.services import ledger as LG
from ledgerdesk.services.yellow_cards import card_runs, card_threshold
from ledgerdesk.store.models import Setting

D = dt.date


def new(s, title="问题"):
    return LG.register_problem(s, title=title, source="群众反映").id


def dispatch(s, pid, person="李明", unit="村委会", days=5, kind="自然日"):
    return LG.dispatch(s, pid, responsible_person=person, responsible_unit=unit, days=days, deadline_kind=kind)


def set_stale(s, days):
    with s.writing() as w:
        w.update(Setting, link_id("setting", "yellow_card.stale_days"), {"value": str(days)})


def test_no_card_until_the_deadline_has_passed(memory_session, clock):
    s = memory_session
    pid = new(s)
    dispatch(s, pid, days=5)  # due 25 Nov
    clock.set(dt.datetime(2026, 11, 25, 18, 0))
    assert LG.yellow_cards(s) == []
    clock.set(dt.datetime(2026, 11, 26, 8, 0))
    (card,) = LG.yellow_cards(s)
    assert (card.problem_id, card.person, card.unit, card.since, card.kind) == (pid, "李明", "村委会", D(2026, 11, 26), "超期")
    assert card.reason == "超期未办结：办理期限2026-11-25，已超期1天"
    detail = LG.problem_detail(s, pid)
    assert detail.yellow and detail.yellow_since == D(2026, 11, 26) and detail.overdue


def test_the_card_clears_on_resolution_and_survives_progress_notes(memory_session, clock):
    s = memory_session
    pid = new(s)
    dispatch(s, pid, days=5)
    clock.set(dt.datetime(2026, 11, 28, 9, 0))
    LG.add_note(s, pid, "还在协调")
    (card,) = LG.yellow_cards(s)
    assert card.since == D(2026, 11, 26)
    LG.resolve(s, pid, "已解决")
    assert LG.yellow_cards(s) == []
    assert not LG.problem_detail(s, pid).yellow
    assert LG.problem_rows(s, [pid])[0].yellow is False


def test_an_extension_clears_the_card_and_a_new_one_follows_the_new_deadline(memory_session, clock):
    s = memory_session
    pid = new(s)
    dispatch(s, pid, days=5)  # due 25 Nov
    clock.set(dt.datetime(2026, 11, 27, 9, 0))
    assert len(LG.yellow_cards(s)) == 1
    LG.extend(s, pid, reason="等配件", approved_by="书记", deadline="2026-12-02")
    assert LG.yellow_cards(s) == []
    clock.set(dt.datetime(2026, 12, 5, 9, 0))
    (card,) = LG.yellow_cards(s)
    assert card.since == D(2026, 12, 3)
    counts = LG.yellow_card_counts(s, "2026-11")
    assert counts.total == 1 and counts.by_person == (("李明", 1),)
    assert LG.yellow_card_counts(s, "2026-12").total == 1


def test_stale_days_raise_a_card_without_progress_notes(memory_session, clock):
    s = memory_session
    pid = new(s)
    dispatch(s, pid, days=30)
    set_stale(s, 7)
    clock.set(dt.datetime(2026, 11, 26, 9, 0))
    assert LG.yellow_cards(s) == []
    clock.set(dt.datetime(2026, 11, 27, 9, 0))
    (card,) = LG.yellow_cards(s)
    assert (card.kind, card.since, card.reason) == ("无进展", D(2026, 11, 27), "已7天无办理进展")
    assert LG.problem_ids(s, LG.ProblemQuery(yellow=True)) == [pid]
    assert LG.problem_ids(s, LG.ProblemQuery(overdue=True)) == []
    LG.add_note(s, pid, "已上门")
    assert LG.yellow_cards(s) == []
    assert LG.problem_ids(s, LG.ProblemQuery(yellow=True)) == []


def test_monthly_counts_per_person_and_unit(memory_session, clock):
    s = memory_session
    a, b, c, d = new(s, "甲"), new(s, "乙"), new(s, "丙"), new(s, "丁")
    dispatch(s, a, person="李明", unit="村委会", days=3)  # due 23 Nov, card 24 Nov
    dispatch(s, b, person="李明", unit="村委会", days=15)  # due 5 Dec, card 6 Dec
    dispatch(s, c, person="王芳", unit="派出所", days=4)  # due 24 Nov: resolved on 26 Nov, late
    dispatch(s, d, person="王芳", unit="派出所", days=5)  # resolved in time: no card
    clock.set(dt.datetime(2026, 11, 25, 9, 0))
    LG.resolve(s, d, "办好")
    clock.set(dt.datetime(2026, 11, 26, 9, 0))
    LG.resolve(s, c, "办好")
    clock.set(dt.datetime(2026, 12, 10, 9, 0))
    nov = LG.yellow_card_counts(s, "2026-11")
    assert nov.total == 2
    assert set(nov.by_person) == {("李明", 1), ("王芳", 1)} and set(nov.by_unit) == {("村委会", 1), ("派出所", 1)}
    dec = LG.yellow_card_counts(s, "2026-12")
    assert (dec.total, dec.by_person, dec.by_unit) == (1, (("李明", 1),), (("村委会", 1),))
    assert LG.yellow_card_counts(s, "2026-12", today=D(2026, 12, 5)).total == 0
    current = LG.yellow_cards(s)
    assert {card.problem_id for card in current} == {a, b}
    assert [card.problem_id for card in current] == [a, b]  # oldest card first


def test_merged_and_voided_problems_have_no_card(memory_session, clock):
    s = memory_session
    a, b = new(s), new(s)
    dispatch(s, a, days=1)
    dispatch(s, b, days=1)
    clock.advance(days=5)
    assert len(LG.yellow_cards(s)) == 2
    LG.void(s, a, "重复")
    LG.merge(s, b, new(s))
    assert LG.yellow_cards(s) == []


# -- the replay agrees with core.lifecycle ---------------------------------------------------------

T0 = dt.datetime(2026, 3, 2, 9, 0)
states = st.builds(
    L.ProblemState,
    state=st.sampled_from(L.STATES),
    deadline=st.one_of(st.none(), st.dates(D(2026, 3, 1), D(2026, 4, 30))),
    last_note_at=st.one_of(st.none(), st.datetimes(dt.datetime(2026, 3, 1), dt.datetime(2026, 4, 30))),
    handling_since=st.one_of(st.none(), st.datetimes(dt.datetime(2026, 3, 1), dt.datetime(2026, 4, 30))),
)


@settings(max_examples=300, deadline=None)
@given(states, st.one_of(st.none(), st.integers(1, 30)), st.dates(D(2026, 2, 1), D(2026, 6, 30)))
def test_threshold_is_the_first_day_lifecycle_shows_a_card(state, stale, day):
    threshold = card_threshold(state, stale)
    shows = state.yellow_card(day, stale) is not None
    assert shows == (threshold is not None and day >= threshold)


def event(kind, day, **kw):
    event.n += 1
    return L.Event(kind=kind, at=dt.datetime.combine(day, dt.time(10)), id=f"e{event.n:03d}", **kw)


event.n = 0


def test_card_runs_over_a_history():
    events = [
        event("登记", D(2026, 3, 2)),
        event("交办", D(2026, 3, 2), responsible_person="李明", responsible_unit="村委会", deadline=D(2026, 3, 10)),
        event("办理", D(2026, 3, 12)),
        event("延期", D(2026, 3, 13), reason="等", approved_by="书记", deadline=D(2026, 3, 20)),
        event("办结", D(2026, 3, 25), note="好"),
    ]
    runs = card_runs(events, D(2026, 4, 1), None)
    assert [(r.raised, r.cleared) for r in runs] == [(D(2026, 3, 11), D(2026, 3, 13)), (D(2026, 3, 21), D(2026, 3, 25))]
    assert all(r.person == "李明" for r in runs)
    assert card_runs(events[:2], D(2026, 3, 10), None) == []
