"""Yellow cards (黄牌预警): derived from the problem events, never stored.

A problem has a yellow card while :meth:`ProblemState.yellow_card
<ledgerdesk.core.lifecycle.ProblemState.yellow_card>` gives a reason: it is
unresolved past its (extended) deadline, or — when the setting
``yellow_card.stale_days`` is above 0 — dispatched and without a progress note
for that many days. The card is tied to the problem's responsible person and
unit, is cleared by 办结 (or 合并/撤销, or a 延期 that moves the deadline past
today), and is raised again if the condition returns.

Cards are reconstructed by replaying the events (:func:`card_runs`): between
two events the state is constant, and both conditions only grow with time, so
each stretch between events either raises a card on a known day, continues
the current one, or clears it. The same replay gives the current cards'
``since`` and the monthly counts (:func:`yellow_card_counts`: cards *raised*
in that month, per person and per unit at the time they were raised). The
stale-days setting in force now is used for the whole history.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass
from typing import Sequence

from ledgerdesk.core import lifecycle as L
from ledgerdesk.core.errors import ValidationError
from ledgerdesk.core.lifecycle import Event, ProblemState
from ledgerdesk.services import ledger_queries as Q
from ledgerdesk.services.sql import marks

OVERDUE = "超期"
STALE = "无进展"
UNNAMED = "（未填写）"


@dataclass(frozen=True)
class YellowCard:
    problem_id: str
    number: str
    title: str
    person: str
    unit: str
    since: dt.date  # the day the card was raised (became overdue / reached the stale limit)
    reason: str  # Chinese, from ProblemState.yellow_card
    kind: str = OVERDUE  # 超期 | 无进展
    village: str = ""
    deadline: dt.date | None = None


@dataclass(frozen=True)
class CardRun:
    """One yellow card in a problem's history: raised on a day, cleared on a day (None = still shown)."""

    raised: dt.date
    cleared: dt.date | None
    person: str
    unit: str


@dataclass(frozen=True)
class YellowCardCounts:
    """Cards raised in ``month``, per responsible person and per unit (most first)."""

    month: str
    total: int
    by_person: tuple[tuple[str, int], ...]
    by_unit: tuple[tuple[str, int], ...]


# -- the replay ---------------------------------------------------------------------------------


def card_threshold(state: ProblemState, stale_days: int | None) -> dt.date | None:
    """The first day on which ``state`` shows a yellow card (None: never, as long as nothing happens).

    Equivalent to the least ``d`` with ``state.yellow_card(d, stale_days)`` not None.
    """
    days = []
    if state.state in L.UNRESOLVED_STATES and state.deadline is not None:
        days.append(state.deadline + dt.timedelta(days=1))
    if stale_days is not None and state.state in (L.DISPATCHED, L.IN_PROGRESS):
        marks = [t for t in (state.last_note_at, state.handling_since) if t is not None]
        if marks:
            days.append(max(marks).date() + dt.timedelta(days=stale_days))
    return min(days) if days else None


def card_runs(events: Sequence[Event], until: dt.date, stale_days: int | None) -> list[CardRun]:
    """Every yellow card a problem's events gave it up to ``until`` (today), oldest first.

    Events the lifecycle refuses are skipped, as :func:`lifecycle.derive` does.
    """
    ordered = sorted(events, key=lambda e: e.order_key)
    state = ProblemState()
    runs: list[CardRun] = []
    active: CardRun | None = None
    for i, event in enumerate(ordered):
        start = event.at.date()
        if start > until:
            break
        try:
            state = L.apply(state, event)
        except (L.IllegalTransitionError, ValidationError):
            continue
        end = min(ordered[i + 1].at.date(), until) if i + 1 < len(ordered) else until
        threshold = card_threshold(state, stale_days)
        if active is not None:
            if threshold is not None and threshold <= start:
                continue  # the same card goes on
            runs.append(CardRun(active.raised, start, active.person, active.unit))
            active = None
        if threshold is not None and max(start, threshold) <= end:
            active = CardRun(max(start, threshold), None, state.responsible_person, state.responsible_unit)
    if active is not None:
        runs.append(active)
    return runs


def card_since(events: Sequence[Event], today: dt.date, stale_days: int | None) -> dt.date | None:
    """The day the problem's current card was raised; None when it has none."""
    runs = card_runs(events, today, stale_days)
    return runs[-1].raised if runs and runs[-1].cleared is None else None


# -- the current cards --------------------------------------------------------------------------


def yellow_cards(session, *, today: dt.date | None = None, village_id: str | None = None) -> list[YellowCard]:
    """The yellow cards shown today, most overdue first."""
    today = Q.today_of(session, today)
    db = session.ledger.db
    with session.reading():
        stale = Q.stale_days(session)
        sql, params = Q._yellow_sql(today, stale)
        where = f"p.deleted = 0 AND {sql}"
        if village_id is not None:
            where += " AND p.village_id = ?"
            params.append(village_id)
        rows = db.execute_sql(
            "SELECT p.id, p.ledger_no, p.provisional_no, p.title, coalesce(v.name, '') FROM problem p "
            "JOIN problem_state s ON s.problem_id = p.id LEFT JOIN village v ON v.id = p.village_id "
            f"WHERE {where}", params).fetchall()
        events = Q.events_of(db, [r[0] for r in rows])
    cards = []
    for pid, ledger_no, provisional_no, title, village in rows:
        history = events.get(pid, [])
        state = Q.fold(history)
        reason = state.yellow_card(today, stale)
        if reason is None:  # problem_state was stale; the events decide
            continue
        since = card_since(history, today, stale) or today
        cards.append(YellowCard(pid, ledger_no or provisional_no, title, state.responsible_person,
                                state.responsible_unit, since, reason,
                                OVERDUE if state.is_overdue(today) else STALE, village, state.deadline))
    cards.sort(key=lambda c: (c.since, c.number))
    return cards


# -- monthly counts -----------------------------------------------------------------------------


def yellow_card_counts(session, month: str, *, today: dt.date | None = None,
                       village_id: str | None = None) -> YellowCardCounts:
    """Cards raised in ``month`` ("YYYY-MM"), counted per responsible person and per unit.

    A card raised and cleared within the month counts; a card raised earlier
    and still shown does not count again. Days after ``today`` are not counted.
    """
    start_iso, end_iso = Q._month_range(month)
    start = dt.date.fromisoformat(start_iso)
    last = dt.date.fromisoformat(end_iso) - dt.timedelta(days=1)
    today = Q.today_of(session, today)
    until = min(today, last)
    db = session.ledger.db
    unresolved = sorted(L.UNRESOLVED_STATES)
    with session.reading():
        stale = Q.stale_days(session)
        # A card raised in the month needs a dispatched problem registered before the month ended that
        # is still unresolved or had an event since the month began.
        sql = ("SELECT p.id FROM problem p JOIN problem_state s ON s.problem_id = p.id "
               "WHERE p.deleted = 0 AND s.dispatched_at IS NOT NULL AND p.registered_at < ? "
               f"AND (s.state IN ({marks(len(unresolved))}) OR s.updated_at >= ?)")
        params: list = [end_iso, *unresolved, start_iso]
        if village_id is not None:
            sql += " AND p.village_id = ?"
            params.append(village_id)
        ids = [r[0] for r in db.execute_sql(sql, params)]
        events = Q.events_of(db, ids)
    persons: Counter = Counter()
    units: Counter = Counter()
    for history in events.values():
        for run in card_runs(history, until, stale):
            if start <= run.raised <= until:
                persons[run.person or UNNAMED] += 1
                units[run.unit or UNNAMED] += 1

    def ranked(counter: Counter) -> tuple[tuple[str, int], ...]:
        return tuple(sorted(counter.items(), key=lambda kv: (-kv[1], kv[0])))

    return YellowCardCounts(month, sum(persons.values()), ranked(persons), ranked(units))
