"""Problem-ledger statistics (问题台账统计) and cross-source overlap (数据比对, 重合度).

One definition everywhere (domain.md, "Statistics"): the dashboard, the
printed monthly sheets and ``stats --json`` all read the figures of
:func:`problem_stats`, so they always agree. The definitions below are the
contract:

Period and cut-off
    A :class:`Period` is a range of calendar days, both ends inclusive. Every
    figure is taken **as of the cut-off day** = the period's last day or today,
    whichever is earlier: a problem's state is derived (core.lifecycle) from its
    events recorded on or before the cut-off day only, so re-running the figures
    of a past month later gives the same numbers as were printed then.

受理数 received
    Problems registered (problem.registered_at) within the period and on or
    before the cut-off, that are not 已撤销 (voided) and not 已合并 (merged as a
    duplicate) as of the cut-off. A voided problem is not a real problem; a
    merged duplicate is counted once, in the problem it was merged into.
办结数 resolved
    Of those received, the ones whose state as of the cut-off is in
    lifecycle.RESOLVED_STATES (已办结, 已评价, 已销号). A problem resolved after
    the cut-off counts as received but not resolved; a problem returned (退回) or
    reopened (重新打开) counts as resolved only once resolved again.
办结率 resolution_rate = resolved / received.
按期办结数 resolved_on_time
    Of those resolved, the ones resolved on or before the effective deadline:
    the latest 交办's deadline as moved by every approved 延期
    (ProblemState.resolved_on_time; a problem without a deadline counts as on
    time). The resolution counted is the current one (after a 退回 or 重新打开,
    the latest 办结).
按期办结率 on_time_rate = resolved_on_time / resolved.
评价数 rated, 满意数 satisfied
    Of those resolved, the ones whose current resolution has a resident rating;
    satisfied = rated 满意 or 基本满意 (core.vocab.SATISFIED_RATINGS). A 不满意
    followed by 重新打开 counts by the rating of the new resolution.
满意率 satisfaction_rate = satisfied / rated.
超期未办结数 overdue_open
    Of those received, the ones unresolved (登记, 已交办, 办理中) as of the
    cut-off whose effective deadline is before the cut-off day
    (ProblemState.is_overdue(cut-off)).
黄牌数 yellow_cards
    Yellow cards (黄牌预警, overdue) raised within the period, up to the
    cut-off, on ANY problem, whenever registered: a card is raised on the first
    day a problem is unresolved past its effective deadline (deadline + 1 day,
    or the day of a 退回/重新打开 after the deadline); a problem extended and
    overdue again gets a new card. Counted against the responsible person and
    unit of that day. (Cards for "N days without progress" are not counted.)
平均办理天数 avg_days_to_resolve
    Mean of ProblemState.days_to_resolve (calendar days from 登记 to the current
    办结) over the resolved problems, rounded to 1 decimal.

Rates are fractions rounded to 4 places (0.9521 = 95.21%). A rate whose
denominator is 0 is None (null in JSON), never 0; so is the average with no
resolved problem.

Breakdowns (by_source, by_category, by_village, by_responsible) apply the same
definitions to the problems of each group; they add up to the totals. A
problem's responsible person/unit is that of its state as of the cut-off
(未交办 when not dispatched); a yellow card's, that of the day it was raised.

重合度 overlap (:func:`overlap`)
    Of the 12345热线 tickets and 信访 petitions received in the period (same
    definition as 受理数), the share that an EARLIER report from an early-warning
    source (网格员巡查, 走访发现: core.vocab.EARLY_WARNING_SOURCES) already
    covered: same category, registered at most ``window_days`` days before the
    ticket (strictly earlier), not voided as of the cut-off (a merged duplicate
    still shows the grid saw it), and the same household (problem_household)
    when both have households, else the same village. Each covered ticket is
    paired with the latest such report.

States are replayed with core.lifecycle exactly as lifecycle.derive(strict=False)
does (an illegal event is skipped), from ONE query over the events ordered by
(problem_id, at, id), streamed per problem without model objects.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Iterable

from ledgerdesk.core import lifecycle
from ledgerdesk.core.dates import date_arg
from ledgerdesk.core.errors import NotFoundError, ValidationError
from ledgerdesk.core.ledger_errors import IllegalTransitionError
from ledgerdesk.core.vocab import (EARLY_WARNING_SOURCES, HOTLINE_SOURCE, PETITION_SOURCE, SATISFIED_RATINGS,
                                   SOURCES)
from ledgerdesk.services.session import Session

FIGURE_KEYS = ("received", "resolved", "resolution_rate", "resolved_on_time", "on_time_rate", "rated", "satisfied",
               "satisfaction_rate", "overdue_open", "yellow_cards", "avg_days_to_resolve")

#: Chinese labels of the figures, for text output and sheets.
LABELS = {
    "received": "受理数", "resolved": "办结数", "resolution_rate": "办结率", "resolved_on_time": "按期办结数",
    "on_time_rate": "按期办结率", "rated": "评价数", "satisfied": "满意数（含基本满意）", "satisfaction_rate": "满意率",
    "overdue_open": "超期未办结数", "yellow_cards": "黄牌数", "avg_days_to_resolve": "平均办理天数",
}

TICKET_SOURCES = (HOTLINE_SOURCE, PETITION_SOURCE)
NO_CATEGORY = "未分类"
NO_VILLAGE = "未关联村"
NOT_DISPATCHED = "未交办"

_ONE_DAY = dt.timedelta(days=1)


# -- the period ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    """A range of calendar days, both ends inclusive."""

    start: dt.date
    end: dt.date

    def __post_init__(self):
        if self.end < self.start:
            raise ValidationError(f"统计期间有误：结束日期{self.end.isoformat()}早于开始日期{self.start.isoformat()}",
                                  field="period")

    @classmethod
    def month(cls, text: str) -> "Period":
        """The calendar month ``YYYY-MM`` (e.g. "2026-11")."""
        m = re.fullmatch(r"\s*(\d{4})-(\d{1,2})\s*", str(text))
        if not m or not 1 <= int(m.group(2)) <= 12:
            raise ValidationError(f"月份“{text}”格式有误，应为“年-月”，如 2026-11", field="month")
        year, month = int(m.group(1)), int(m.group(2))
        following = dt.date(year + month // 12, month % 12 + 1, 1)
        return cls(dt.date(year, month, 1), following - _ONE_DAY)

    @classmethod
    def year(cls, year: int | str) -> "Period":
        try:
            y = int(year)
            return cls(dt.date(y, 1, 1), dt.date(y, 12, 31))
        except (TypeError, ValueError):
            raise ValidationError(f"年份“{year}”有误，应为四位数字，如 2026", field="year") from None

    @classmethod
    def parse(cls, start: str | dt.date, end: str | dt.date) -> "Period":
        """From two dates, ISO text ``YYYY-MM-DD`` or dates."""
        return cls(date_arg(start, "from", "开始日期", required=True), date_arg(end, "to", "结束日期", required=True))

    def cutoff(self, today: dt.date) -> dt.date:
        """The day the figures are taken as of: the period's end or ``today``, whichever is earlier."""
        return min(self.end, today)

    def label(self) -> str:
        if self.start.day == 1 and self.end == Period.month(f"{self.start:%Y-%m}").end:
            return f"{self.start.year}年{self.start.month}月"
        return f"{self.start.isoformat()} 至 {self.end.isoformat()}"


# -- results -----------------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class Figures:
    """The figures (FIGURE_KEYS) of a group of problems: of a breakdown row and of the whole statistics."""

    received: int
    resolved: int
    resolution_rate: float | None
    resolved_on_time: int
    on_time_rate: float | None
    rated: int
    satisfied: int
    satisfaction_rate: float | None
    overdue_open: int
    yellow_cards: int
    avg_days_to_resolve: float | None


@dataclass(frozen=True, kw_only=True)
class ProblemFigures(Figures):
    """The figures of one group of problems (a breakdown row); ``name`` names the group."""

    name: str
    unit: str = ""  # by_responsible only: the responsible unit


@dataclass(frozen=True)
class OverlapPair:
    """A ticket and the earlier early-warning report that covered it."""

    ticket_id: str
    ticket_no: str
    ticket_source: str
    early_id: str
    early_no: str
    early_source: str
    days_before: int
    match: str  # "同户" | "同村"


@dataclass(frozen=True)
class OverlapSource:
    name: str  # 12345热线 / 信访
    tickets: int
    covered: int
    rate: float | None


@dataclass(frozen=True)
class OverlapReport:
    period: Period
    as_of: dt.date
    window_days: int
    tickets: int
    covered: int
    rate: float | None
    by_source: tuple[OverlapSource, ...]
    pairs: tuple[OverlapPair, ...]


@dataclass(frozen=True, kw_only=True)
class ProblemStats(Figures):
    period: Period
    as_of: dt.date
    village_id: str | None
    by_source: tuple[ProblemFigures, ...]
    by_category: tuple[ProblemFigures, ...]
    by_village: tuple[ProblemFigures, ...]
    by_responsible: tuple[ProblemFigures, ...]
    overlap: OverlapReport | None = None


def rate(numerator: int, denominator: int) -> float | None:
    """A fraction rounded to 4 places; None when the denominator is 0."""
    return round(numerator / denominator, 4) if denominator else None


class _Acc:
    __slots__ = ("received", "resolved", "on_time", "rated", "satisfied", "overdue", "yellow", "days")

    def __init__(self):
        self.received = self.resolved = self.on_time = self.rated = self.satisfied = 0
        self.overdue = self.yellow = self.days = 0

    def add(self, st: lifecycle.ProblemState, cutoff: dt.date) -> None:
        self.received += 1
        if st.is_resolved:
            self.resolved += 1
            self.on_time += st.resolved_on_time
            self.days += st.days_to_resolve or 0
            if st.rating is not None:
                self.rated += 1
                self.satisfied += st.rating in SATISFIED_RATINGS
        elif st.is_overdue(cutoff):
            self.overdue += 1

    def totals(self) -> dict:
        """The :class:`Figures` fields of what was added."""
        return dict(received=self.received, resolved=self.resolved, resolution_rate=rate(self.resolved, self.received),
                    resolved_on_time=self.on_time, on_time_rate=rate(self.on_time, self.resolved), rated=self.rated,
                    satisfied=self.satisfied, satisfaction_rate=rate(self.satisfied, self.rated),
                    overdue_open=self.overdue, yellow_cards=self.yellow,
                    avg_days_to_resolve=round(self.days / self.resolved, 1) if self.resolved else None)

    def figures(self, name: str = "", unit: str = "") -> ProblemFigures:
        return ProblemFigures(**self.totals(), name=name, unit=unit)


# -- the scan: one query over the events, replayed per problem ---------------------------------------------


@dataclass
class _Problem:
    id: str
    number: str
    source: str
    category_id: str | None
    village_id: str | None
    registered_at: str
    state: lifecycle.ProblemState = field(default_factory=lifecycle.ProblemState)
    cards: list = field(default_factory=list)  # [(day, person, unit)] yellow cards raised in the period


_EVENT_COLS = ("kind", "at", "id", "responsible_person", "responsible_unit", "deadline", "deadline_kind", "reason",
               "approved_by", "rating", "merged_into_id")


def _iso(d: dt.date) -> str:
    return d.isoformat()


def _scan(session: Session, period: Period, village_id: str | None, today: dt.date,
          early_window: int | None) -> tuple[dict[str, _Problem], dt.date]:
    """The problems the figures need, each with its state as of the cut-off and its yellow cards in the period.

    Reads: problems registered in the period (the received candidates); with
    ``early_window``, early-warning reports registered up to that many days
    before the period; and any problem that may raise a yellow card in the
    period (an event in the period, or a deadline falling due in it).
    """
    cutoff = period.cutoff(today)
    start, end_next = _iso(period.start), _iso(cutoff + _ONE_DAY)
    db = session.ledger.db
    village = " AND p.village_id = :village" if village_id else ""
    params = {"start": start, "end_next": end_next, "village": village_id,
              "early_start": _iso(period.start - dt.timedelta(days=early_window or 0)),
              "due_from": _iso(period.start - _ONE_DAY), "due_to": _iso(cutoff)}
    early = ""
    if early_window is not None:
        marks = ", ".join(f"'{s}'" for s in EARLY_WARNING_SOURCES)
        early = (f" OR (p.registered_at >= :early_start AND p.registered_at < :start AND p.source IN ({marks}))")
    ids_sql = f"""
        SELECT p.id, p.ledger_no, p.provisional_no, p.source, p.category_id, p.village_id, p.registered_at
        FROM problem p
        WHERE p.deleted = 0 AND p.registered_at < :end_next{village}
          AND ((p.registered_at >= :start){early}
               OR p.id IN (SELECT e.problem_id FROM problem_event e WHERE e.deleted = 0 AND (
                       (e.at >= :start AND e.at < :end_next)
                       OR (e.kind IN ('交办', '延期') AND e.deadline >= :due_from AND e.deadline < :due_to))))
    """
    problems: dict[str, _Problem] = {}
    with session.reading():
        for pid, ledger_no, provisional, source, cat, vil, reg in db.execute_sql(ids_sql, params):
            problems[pid] = _Problem(pid, ledger_no or provisional, source, cat, vil, reg)
        if not problems:
            return problems, cutoff
        cols = ", ".join(f"e.{c}" for c in _EVENT_COLS)
        events_sql = f"""
            SELECT e.problem_id, {cols} FROM problem_event e
            WHERE e.deleted = 0 AND e.at < :end_next AND e.problem_id IN (
                SELECT p.id FROM problem p
                WHERE p.deleted = 0 AND p.registered_at < :end_next{village}
                  AND ((p.registered_at >= :start){early}
                       OR p.id IN (SELECT e2.problem_id FROM problem_event e2 WHERE e2.deleted = 0 AND (
                               (e2.at >= :start AND e2.at < :end_next)
                               OR (e2.kind IN ('交办', '延期') AND e2.deadline >= :due_from
                                   AND e2.deadline < :due_to)))))
            ORDER BY e.problem_id, e.at, e.id
        """
        cursor = db.execute_sql(events_sql, params)
        _replay(cursor, problems, period.start, cutoff)
    return problems, cutoff


_Event = lifecycle.Event
_apply = lifecycle.apply
_SKIPPED = (IllegalTransitionError, ValidationError)
_UNRESOLVED = lifecycle.UNRESOLVED_STATES


def _replay(rows: Iterable[tuple], problems: dict[str, _Problem], first_day: dt.date, cutoff: dt.date) -> None:
    """Replay each problem's events (rows grouped by problem, in (at, id) order) as lifecycle.derive(strict=False).

    Tracks the state day by day (after the last event of each day) to find the
    yellow cards raised between ``first_day`` and ``cutoff``.
    """
    fromiso = dt.datetime.fromisoformat
    dates: dict[str, dt.date] = {}
    current = None
    batch: list[_Event] = []

    def finish(pid: str, events: list[_Event]) -> None:
        p = problems.get(pid)
        if p is None:
            return
        events.sort(key=_order_key)  # derive's order; the query already gives it, so this is linear
        state = lifecycle.ProblemState()
        day = None  # the day of the events applied so far
        overdue_before = False
        for event in events:
            event_day = event.at.date()
            if day is not None and event_day != day:
                overdue_before = _interval(p, state, day, event_day, overdue_before, first_day, cutoff)
            day = event_day
            try:
                state = _apply(state, event)
            except _SKIPPED:
                pass
        if day is not None:
            _interval(p, state, day, cutoff + _ONE_DAY, overdue_before, first_day, cutoff)
        p.state = state

    for row in rows:
        pid = row[0]
        if pid != current:
            if current is not None:
                finish(current, batch)
            current, batch = pid, []
        deadline = row[6]
        if deadline is not None:
            d = dates.get(deadline)
            if d is None:
                d = dates[deadline] = dt.date.fromisoformat(deadline)
            deadline = d
        batch.append(_Event(row[1], fromiso(row[2]), row[3], "", "", row[4], row[5], deadline, row[7], row[8],
                            row[9], row[10], merged_into_id=row[11]))
    if current is not None:
        finish(current, batch)


def _order_key(e: _Event):
    return (e.at, e.id)


def _interval(p: _Problem, s: lifecycle.ProblemState, a: dt.date, b: dt.date, overdue_before: bool,
              first_day: dt.date, cutoff: dt.date) -> bool:
    """State ``s`` holds on days [a, b): record a yellow card if it starts then; whether day b-1 is overdue."""
    if s.state not in _UNRESOLVED or s.deadline is None:
        return False
    first = max(a, s.deadline + _ONE_DAY)
    if first >= b:
        return False
    if not (first == a and overdue_before) and first_day <= first <= cutoff:
        p.cards.append((first, s.responsible_person, s.responsible_unit))
    return True


# -- names ---------------------------------------------------------------------------------------------


def _names(session: Session) -> tuple[dict, dict]:
    db = session.ledger.db
    with session.reading():
        cats = {cid: (f"{domain}/{name}", (order, domain, name)) for cid, domain, name, order in db.execute_sql(
            "SELECT id, domain, name, sort_order FROM category WHERE deleted = 0")}
        vils = {vid: (name, (order, name)) for vid, name, order in db.execute_sql(
            "SELECT id, name, sort_order FROM village WHERE deleted = 0")}
    return cats, vils


def village_id_by_name(session: Session, name: str) -> str:
    """The id of the live village named ``name``; NotFoundError if there is none."""
    with session.reading():
        row = session.ledger.db.execute_sql(
            "SELECT id FROM village WHERE deleted = 0 AND name = ? ORDER BY sort_order, id LIMIT 1",
            (name.strip(),)).fetchone()
    if row is None:
        raise NotFoundError(f"没有名为“{name}”的村/社区/嘎查")
    return row[0]


def _today(session: Session, today: dt.date | None) -> dt.date:
    return today if today is not None else session.ledger.clock.today()


# -- the statistics -------------------------------------------------------------------------------------


def _received(p: _Problem, period: Period, end_next: str) -> bool:
    return (period.start.isoformat() <= p.registered_at < end_next
            and p.state.state not in lifecycle.TERMINAL_STATES)


def problem_stats(session: Session, period: Period, *, village_id: str | None = None, today: dt.date | None = None,
                  with_overlap: bool = True, window_days: int = 30) -> ProblemStats:
    """The statistics of the problems of ``period`` (optionally one village), as defined in the module docstring."""
    today = _today(session, today)
    problems, cutoff = _scan(session, period, village_id, today, window_days if with_overlap else None)
    cats, vils = _names(session)
    end_next = (cutoff + _ONE_DAY).isoformat()
    total = _Acc()
    groups: dict[str, dict] = {"source": defaultdict(_Acc), "category": defaultdict(_Acc),
                               "village": defaultdict(_Acc), "responsible": defaultdict(_Acc)}
    by_source, by_category, by_village, by_responsible = (groups[k] for k in groups)
    for p in problems.values():
        received = _received(p, period, end_next)
        if not (received or p.cards):
            continue  # context only (an earlier report for the overlap)
        keys = (by_source[p.source], by_category[p.category_id], by_village[p.village_id])
        if received:
            st = p.state
            for acc in (total, *keys, by_responsible[(st.responsible_person, st.responsible_unit)]):
                acc.add(st, cutoff)
        for _, person, unit in p.cards:
            for acc in (total, *keys, by_responsible[(person, unit)]):
                acc.yellow += 1
    for s in SOURCES:
        by_source[s]  # every source gets a row, even an empty one
    report = _overlap_report(session, problems, period, cutoff, window_days) if with_overlap else None
    source_order = {s: i for i, s in enumerate(SOURCES)}
    return ProblemStats(
        **total.totals(), period=period, as_of=cutoff, village_id=village_id,
        by_source=tuple(by_source[s].figures(s) for s in sorted(by_source, key=lambda s: (source_order.get(s, 99), s))),
        by_category=tuple(by_category[c].figures(cats.get(c, (NO_CATEGORY,))[0]) for c in sorted(
            by_category, key=lambda c: cats.get(c, (None, (1e9, "", c or "")))[1])),
        by_village=tuple(by_village[v].figures(vils.get(v, (NO_VILLAGE,))[0]) for v in sorted(
            by_village, key=lambda v: vils.get(v, (None, (1e9, v or "")))[1])),
        by_responsible=tuple(acc.figures(person or unit or NOT_DISPATCHED, unit) for (person, unit), acc in sorted(
            by_responsible.items(), key=lambda kv: (-kv[1].received, -kv[1].yellow, kv[0]))),
        overlap=report)


# -- overlap ------------------------------------------------------------------------------------------------


def overlap(session: Session, period: Period, *, village_id: str | None = None, window_days: int = 30,
            today: dt.date | None = None) -> OverlapReport:
    """重合度: how many hotline tickets and petitions of the period an earlier grid/visit report covered."""
    if window_days < 0:
        raise ValidationError("比对天数不能为负数", field="window_days")
    problems, cutoff = _scan(session, period, village_id, _today(session, today), window_days)
    return _overlap_report(session, problems, period, cutoff, window_days)


def _overlap(problems: dict[str, _Problem], period: Period, cutoff: dt.date, window_days: int,
             households: dict[str, tuple[str, ...]]) -> OverlapReport:
    end_next = (cutoff + _ONE_DAY).isoformat()
    tickets = [p for p in problems.values() if p.source in TICKET_SOURCES and _received(p, period, end_next)]
    early = [p for p in problems.values() if p.source in EARLY_WARNING_SOURCES and p.category_id is not None
             and p.state.state != lifecycle.VOIDED]
    by_key: dict[tuple, list[_Problem]] = defaultdict(list)
    for e in early:
        by_key[e.category_id, e.village_id].append(e)
    by_household: dict[tuple, list[_Problem]] = defaultdict(list)
    for e in early:
        for h in households.get(e.id, ()):
            by_household[e.category_id, h].append(e)
    window = dt.timedelta(days=window_days)
    pairs = []
    counts = {s: [0, 0] for s in TICKET_SOURCES}
    fromiso = dt.datetime.fromisoformat
    for t in sorted(tickets, key=lambda p: (p.registered_at, p.id)):
        counts[t.source][0] += 1
        if t.category_id is None:
            continue
        at = fromiso(t.registered_at)
        homes = households.get(t.id, ())
        candidates = []
        for h in homes:
            candidates.extend((e, "同户") for e in by_household.get((t.category_id, h), ()))
        if t.village_id is not None:
            candidates.extend((e, "同村") for e in by_key.get((t.category_id, t.village_id), ())
                              if not (homes and households.get(e.id)))
        best = None
        for e, match in candidates:
            e_at = fromiso(e.registered_at)
            if at - window <= e_at < at and (best is None or (e_at, e.id) > (best[1], best[0].id)):
                best = (e, e_at, match)
        if best is not None:
            e, e_at, match = best
            counts[t.source][1] += 1
            pairs.append(OverlapPair(t.id, t.number, t.source, e.id, e.number, e.source,
                                     (at.date() - e_at.date()).days, match))
    total = sum(c[0] for c in counts.values())
    covered = sum(c[1] for c in counts.values())
    return OverlapReport(period, cutoff, window_days, total, covered, rate(covered, total),
                         tuple(OverlapSource(s, c[0], c[1], rate(c[1], c[0])) for s, c in counts.items()),
                         tuple(pairs))


def _households(session: Session, ids: list[str]) -> dict[str, tuple[str, ...]]:
    """problem id → its live households (problem_household), for the given problems."""
    out: dict[str, list[str]] = defaultdict(list)
    if not ids:
        return {}
    with session.reading():
        for pid, hid in session.ledger.db.execute_sql(
                "SELECT problem_id, household_id FROM problem_household WHERE deleted = 0 "
                "AND problem_id IN (SELECT value FROM json_each(?))", (json.dumps(ids),)):
            out[pid].append(hid)
    return {pid: tuple(hs) for pid, hs in out.items()}


def _overlap_report(session: Session, problems: dict[str, _Problem], period: Period, cutoff: dt.date,
                    window_days: int) -> OverlapReport:
    ids = [p.id for p in problems.values() if p.source in TICKET_SOURCES or p.source in EARLY_WARNING_SOURCES]
    return _overlap(problems, period, cutoff, window_days, _households(session, ids))


# -- JSON --------------------------------------------------------------------------------------------------


def figures_json(f: ProblemFigures | ProblemStats) -> dict:
    """The figure keys of a total or a breakdown row, in FIGURE_KEYS order."""
    return {key: getattr(f, key) for key in FIGURE_KEYS}


def overlap_json(report: OverlapReport | None) -> dict | None:
    if report is None:
        return None
    return {
        "from": report.period.start.isoformat(), "to": report.period.end.isoformat(),
        "as_of": report.as_of.isoformat(), "window_days": report.window_days,
        "tickets": report.tickets, "covered": report.covered, "rate": report.rate,
        "by_source": [{"name": s.name, "tickets": s.tickets, "covered": s.covered, "rate": s.rate}
                      for s in report.by_source],
        "pairs": [{"ticket": p.ticket_no, "ticket_source": p.ticket_source, "early": p.early_no,
                   "early_source": p.early_source, "days_before": p.days_before, "match": p.match}
                  for p in report.pairs],
    }


def _row_json(f: ProblemFigures, with_unit: bool = False) -> dict:
    row = {"name": f.name, **figures_json(f)}
    if with_unit:
        row["unit"] = f.unit
    return row


def problem_stats_json(stats: ProblemStats) -> dict:
    """The ``problems`` object of ``stats --json``: the figure keys, the four breakdowns and ``overlap``."""
    return {
        **figures_json(stats),
        "by_source": [_row_json(f) for f in stats.by_source],
        "by_category": [_row_json(f) for f in stats.by_category],
        "by_village": [_row_json(f) for f in stats.by_village],
        "by_responsible": [_row_json(f, with_unit=True) for f in stats.by_responsible],
        "overlap": overlap_json(stats.overlap),
    }


def summary_lines(stats: ProblemStats) -> list[str]:
    """A few Chinese lines for text output (CLI)."""
    def pct(value):
        return "—" if value is None else f"{value * 100:.1f}%"

    lines = [
        f"问题台账 {stats.period.label()}（截至 {stats.as_of.isoformat()}）",
        f"  受理 {stats.received} 件，办结 {stats.resolved} 件，办结率 {pct(stats.resolution_rate)}",
        f"  按期办结 {stats.resolved_on_time} 件，按期办结率 {pct(stats.on_time_rate)}；"
        f"评价 {stats.rated} 件，满意 {stats.satisfied} 件，满意率 {pct(stats.satisfaction_rate)}",
        f"  超期未办结 {stats.overdue_open} 件，黄牌 {stats.yellow_cards} 张，平均办理天数 "
        f"{'—' if stats.avg_days_to_resolve is None else stats.avg_days_to_resolve}",
    ]
    if stats.overlap is not None:
        o = stats.overlap
        lines.append(f"  重合度：热线与信访 {o.tickets} 件中 {o.covered} 件已由网格巡查或走访先行发现"
                     f"（{pct(o.rate)}，{o.window_days} 天内）")
    return lines
