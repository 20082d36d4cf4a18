"""The data of the printed sheets (reports.md): plain dataclasses for ledgerdesk.reports.

Every figure on a sheet comes from the same service call as the screen and
``stats --json``: problem figures from :func:`problem_stats.problem_stats`,
coverage from :func:`coverage.coverage`, committee figures from
:mod:`committee_supervision`. Rows come from the list services (ledger,
registry_queries, committees, visits). Personal data is always masked here
(``reveal`` is never passed): every sheet may be posted or handed out.

The monthly ledger lists the problems of the period that count as 受理
(registered in the period, not 已撤销/已合并 as of the cut-off) with each
problem's state **as of the cut-off day** (the period's last day, or today):
the same rule as problem_stats, so the rows add up to the summary figures and a
past month reprints as it was printed then.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Sequence

from ledgerdesk.core import lifecycle as L
from ledgerdesk.core.errors import NotFoundError, ValidationError
from ledgerdesk.core.vocab import CENTER_TYPES, COMMITTEE_KINDS
from ledgerdesk.services import committee_supervision, committees, coverage as coverage_service, ledger
from ledgerdesk.services import registry_queries as rq
from ledgerdesk.services import visits as visit_service
from ledgerdesk.services.ledger_queries import ProblemQuery, events_of
from ledgerdesk.services.problem_stats import (Period, ProblemStats, problem_stats, problem_stats_json,
                                               village_id_by_name)
from ledgerdesk.services.session import Session
from ledgerdesk.services.sql import chunks, marks, rows as sql_rows
from ledgerdesk.services.workspace import ledger_info

SHEETS = {
    "ledger-monthly": "月度问题台账",
    "coverage-notice": "党员中心户联系户公示表",
    "linkage-notice": "联户长公示表",
    "committees": "六会组织及活动情况表",
    "bulletin": "月度工作简报",
    "household-card": "户情卡",
}
_URGENCY_RANK = {"急难险重": 0, "紧急": 1}


# -- common -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SheetHeader:
    title: str
    unit: str  # the township (乡镇/街道), plus the village when the sheet is for one village
    period: str  # "2026年11月", or "" for sheets without a period
    printed_on: dt.date
    as_of: dt.date | None = None  # figures taken as of this day
    village: str = ""


def _unit(session: Session, village: str | None) -> str:
    township = ledger_info(session).township
    return f"{township}{village}" if village else township


def resolve_village(session: Session, name: str | None) -> tuple[str | None, str]:
    """(village id, name) for a village name (None/empty: the whole ledger)."""
    if not name or not str(name).strip():
        return None, ""
    return village_id_by_name(session, str(name)), str(name).strip()


def previous_month(period: Period) -> Period:
    return Period.month(f"{period.start - dt.timedelta(days=1):%Y-%m}")


# -- 月度问题台账 -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LedgerLine:
    id: str
    number: str
    source: str
    village: str
    category: str
    urgency: str
    title: str
    responsible: str  # person（unit）
    registered: dt.date
    deadline: dt.date | None
    state: str  # as of the cut-off
    resolved: dt.date | None
    rating: str  # "" when not rated
    overdue: bool  # 超期未办结 as of the cut-off


@dataclass(frozen=True)
class LedgerSheet:
    header: SheetHeader
    period: Period
    stats: ProblemStats
    figures: dict  # problem_stats_json(stats): the same dict as stats --json's "problems"
    lines: Sequence[LedgerLine]
    left_out: int = 0  # problems of the period 已撤销/已合并 as of the cut-off (not 受理)


def _responsible(person: str, unit: str) -> str:
    if person and unit and person != unit:
        return f"{person}（{unit}）"
    return person or unit or ""


def ledger_lines(session: Session, period: Period, *, village_id: str | None = None,
                 today: dt.date | None = None) -> tuple[list[LedgerLine], int]:
    """The received problems of ``period`` (by number) with their state as of the cut-off; and how many were left out."""
    today = today or session.ledger.clock.today()
    cutoff = period.cutoff(today)
    if period.start.year == period.end.year and period.start == dt.date(period.start.year, 1, 1) \
            and period.end == dt.date(period.start.year, 12, 31):
        query = ProblemQuery(year=period.start.year, village_id=village_id, sort="number", descending=False)
    elif Period.month(f"{period.start:%Y-%m}") == period:
        query = ProblemQuery(month=f"{period.start:%Y-%m}", village_id=village_id, sort="number", descending=False)
    else:
        raise ValidationError("台账期间应为一个自然月或一个自然年", field="period")
    ids = ledger.problem_ids(session, query, today=today)
    first, end_next = period.start.isoformat(), (cutoff + dt.timedelta(days=1)).isoformat()
    out: list[LedgerLine] = []
    left_out = 0
    db = session.ledger.db
    for part in chunks(ids):
        rows = ledger.problem_rows(session, part, today=today)
        with session.reading():
            events = events_of(db, [r.id for r in rows])
        for r in rows:
            registered = r.registered_at.isoformat()
            if not first <= registered < end_next:
                continue
            st = L.derive([e for e in events.get(r.id, ()) if e.at.date() <= cutoff])
            if st.state in L.TERMINAL_STATES or st.state == L.UNREGISTERED:
                left_out += 1
                continue
            out.append(LedgerLine(
                r.id, r.number, r.source, r.village, r.category, r.urgency, r.title,
                _responsible(st.responsible_person, st.responsible_unit), r.registered_at.date(), st.deadline,
                st.state, st.resolved_at.date() if st.is_resolved and st.resolved_at else None,
                (st.rating or "") if st.is_resolved else "", st.is_overdue(cutoff)))
    return out, left_out


def ledger_sheet(session: Session, period: Period, *, village: str | None = None,
                 today: dt.date | None = None) -> LedgerSheet:
    today = today or session.ledger.clock.today()
    village_id, vname = resolve_village(session, village)
    stats = problem_stats(session, period, village_id=village_id, today=today)
    lines, left_out = ledger_lines(session, period, village_id=village_id, today=today)
    header = SheetHeader(SHEETS["ledger-monthly"] if period.start.month == period.end.month else "年度问题台账",
                         _unit(session, vname), period.label(), today, stats.as_of, vname)
    return LedgerSheet(header, period, stats, problem_stats_json(stats), lines, left_out)


# -- 党员中心户联系户公示表 / 联户长公示表 ----------------------------------------------------------------


@dataclass(frozen=True)
class NoticeEntry:
    """One 中心户 or 联户长 and the households it covers / links."""

    name: str
    hh_no: str
    phone: str  # masked
    types: tuple[str, ...]  # 六大员 labels (centers only)
    households: tuple[str, ...]  # "户号 户主" of each covered/linked household
    record: str  # names the record for missing-glyph reports


@dataclass(frozen=True)
class NoticeVillage:
    village: str
    households: int  # 在册户数 of the village
    covered: int  # covered (centers) / linked (heads)
    rate: float
    entries: tuple[NoticeEntry, ...]


@dataclass(frozen=True)
class NoticeSheet:
    header: SheetHeader
    kind: str  # "center" | "link_head"
    villages: tuple[NoticeVillage, ...]
    households: int
    covered: int
    rate: float
    figures: dict  # coverage_json(report)


def _owner_households(session: Session, kind: str, owner_ids: Sequence[str]) -> dict[str, tuple[str, ...]]:
    """owner id -> "户号 户主" of the live 在册 households it covers / links, by 户号 (one query per chunk)."""
    column = "center_id" if kind == "center" else "link_head_id"
    out: dict[str, list[str]] = {}
    with session.reading():
        for part in chunks(owner_ids):
            for owner, hh_no, head in sql_rows(
                    session, f"SELECT h.{column}, h.hh_no, coalesce(hp.name, '') FROM household h "
                             f"LEFT JOIN person hp ON hp.id = h.head_person_id AND hp.deleted = 0 "
                             f"WHERE h.deleted = 0 AND h.status = '在册' AND h.{column} IN ({marks(len(part))}) "
                             f"ORDER BY h.hh_no, h.id", part):
                out.setdefault(owner, []).append(f"{hh_no} {head}".strip())
    return {owner: tuple(lines) for owner, lines in out.items()}


def notice_sheet(session: Session, kind: str, *, village: str | None = None,
                 today: dt.date | None = None) -> NoticeSheet:
    """党员中心户联系户公示表 (``kind`` "center") or 联户长公示表 ("link_head"), phones masked."""
    if kind not in ("center", "link_head"):
        raise ValidationError(f"未知的公示表类别“{kind}”", field="kind")
    today = today or session.ledger.clock.today()
    village_id, vname = resolve_village(session, village)
    report = coverage_service.coverage(session, village_id)
    query = rq.CenterQuery(village_id=village_id)
    owners = (rq.center_rows(session, rq.center_ids(session, query)) if kind == "center"
              else rq.link_head_rows(session, rq.link_head_ids(session, query)))
    phones = {h.id: h.phone for h in rq.household_rows(session, sorted({o.household_id for o in owners}))}
    covered_by = _owner_households(session, kind, [o.id for o in owners])
    by_village: dict[str, list[NoticeEntry]] = {}
    label = "中心户" if kind == "center" else "联户长"
    for o in owners:
        types = tuple(CENTER_TYPES[t] for t in getattr(o, "types", ()))
        by_village.setdefault(o.village_id, []).append(NoticeEntry(
            o.person_name, o.hh_no, phones.get(o.household_id, ""), types,
            covered_by.get(o.id, ()), f"{o.village} {label} {o.person_name}（户号 {o.hh_no}）"))
    villages = []
    for v in report.villages:
        covered = v.center_covered if kind == "center" else v.head_linked
        rate = v.center_coverage_rate if kind == "center" else v.head_linkage_rate
        villages.append(NoticeVillage(v.village, v.households, covered, rate, tuple(by_village.get(v.village_id, ()))))
    title = SHEETS["coverage-notice" if kind == "center" else "linkage-notice"]
    covered = report.center_covered if kind == "center" else report.head_linked
    rate = report.center_coverage_rate if kind == "center" else report.head_linkage_rate
    return NoticeSheet(SheetHeader(title, _unit(session, vname), f"{today.year}年{today.month}月", today, today, vname),
                       kind, tuple(villages), report.households, covered, rate,
                       coverage_service.coverage_json(report))


# -- 六会组织及活动情况表 ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class CommitteeLine:
    kind: str  # Chinese name (a custom committee: its own name)
    name: str
    founded_on: dt.date | None
    officers: tuple[str, ...]  # "会长 张三" …
    members: int
    activities_in_period: int
    last_activity: dt.date | None
    flags: tuple[str, ...]  # 未成立 / 成员不足 / 超过N个月没有活动
    formed: bool = True


@dataclass(frozen=True)
class CommitteeVillage:
    village: str
    lines: tuple[CommitteeLine, ...]  # the six in order (unformed ones too), then custom committees
    issues: tuple[str, ...]  # the checklist's follow-ups


@dataclass(frozen=True)
class CommitteesSheet:
    header: SheetHeader
    period: Period
    villages: tuple[CommitteeVillage, ...]
    figures: dict  # committee_stats_json: the same dict as stats --json's "committees"


def committees_sheet(session: Session, period: Period, *, village: str | None = None,
                     today: dt.date | None = None) -> CommitteesSheet:
    today = today or session.ledger.clock.today()
    as_of = period.cutoff(today)
    village_id, vname = resolve_village(session, village)
    checks = committee_supervision.checklist(session, today=as_of, village_id=village_id)
    figures = committee_supervision.committee_stats_json(session, period.start, period.end, village_id, today=today)
    in_period: dict[str, int] = {}
    for a in committees.activity_rows(session, committees.activity_ids(session, village_id=village_id,
                                                                       start=period.start, end=as_of)):
        in_period[a.committee_id] = in_period.get(a.committee_id, 0) + 1
    officers = committees.current_officers(session, [c.id for v in checks for c in v.committees])
    out = []
    for v in checks:
        lines = []
        for code, status in zip(committee_supervision.SIX, v.six):
            if status is None:
                lines.append(CommitteeLine(COMMITTEE_KINDS[code], "", None, (), 0, 0, None, ("未成立",), False))
            else:
                lines.append(_committee_line(status, officers, in_period, v))
        lines.extend(_committee_line(c, officers, in_period, v) for c in v.custom)
        out.append(CommitteeVillage(v.village, tuple(lines), v.issues()))
    return CommitteesSheet(SheetHeader(SHEETS["committees"], _unit(session, vname), period.label(), today, as_of,
                                       vname), period, tuple(out), figures)


def _committee_line(status, officers: dict[str, tuple[str, ...]], in_period: dict[str, int],
                    village) -> CommitteeLine:
    flags = []
    if status.under_minimum:
        flags.append(f"成员不足{village.min_members}人")
    if status.inactive:
        flags.append(f"超过{village.inactive_months}个月没有活动")
    return CommitteeLine(committees.kind_label(status.kind, status.name), status.name, status.founded_on,
                         officers.get(status.id, ()),
                         status.members, in_period.get(status.id, 0), status.last_activity, tuple(flags))


# -- 月度工作简报 ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class KeyFigure:
    key: str
    label: str
    value: float | int | None
    previous: float | int | None
    kind: str  # "count" | "rate" | "days"

    @property
    def change(self) -> float | None:
        if self.value is None or self.previous is None:
            return None
        return self.value - self.previous


@dataclass(frozen=True)
class TrendPoint:
    month: str  # "2026-11"
    received: int
    resolved: int
    resolution_rate: float | None


@dataclass(frozen=True)
class VillageShare:
    village: str
    center_coverage_rate: float
    head_linkage_rate: float


@dataclass(frozen=True)
class CardLine:
    number: str
    title: str
    person: str
    unit: str
    since: dt.date | None
    reason: str


@dataclass(frozen=True)
class Bulletin:
    header: SheetHeader
    period: Period
    stats: ProblemStats
    previous: ProblemStats
    figures: dict  # problem_stats_json(stats)
    key_figures: tuple[KeyFigure, ...]
    trend: tuple[TrendPoint, ...]  # oldest first, ending with the period's month
    coverage: tuple[VillageShare, ...]
    coverage_figures: dict  # coverage_json
    yellow_cards: tuple[CardLine, ...]
    closures: tuple[LedgerLine, ...]  # notable closures of the month
    committees: dict = field(default_factory=dict)


BULLETIN_FIGURES = (("received", "受理数", "count"), ("resolved", "办结数", "count"),
                    ("resolution_rate", "办结率", "rate"), ("on_time_rate", "按期办结率", "rate"),
                    ("satisfaction_rate", "满意率", "rate"), ("overdue_open", "超期未办结", "count"),
                    ("yellow_cards", "黄牌数", "count"), ("avg_days_to_resolve", "平均办理天数", "days"))


def bulletin(session: Session, period: Period, *, village: str | None = None, today: dt.date | None = None,
             trend_months: int = 12, progress=None) -> Bulletin:
    today = today or session.ledger.clock.today()
    village_id, vname = resolve_village(session, village)
    stats = problem_stats(session, period, village_id=village_id, today=today)
    prev = problem_stats(session, previous_month(period), village_id=village_id, today=today, with_overlap=False)
    keys = tuple(KeyFigure(k, label, getattr(stats, k), getattr(prev, k), kind) for k, label, kind in BULLETIN_FIGURES)
    trend = []
    month = period
    months = []
    for _ in range(max(1, trend_months)):
        months.append(month)
        month = previous_month(month)
    for n, m in enumerate(reversed(months)):
        s = stats if m == period else problem_stats(session, m, village_id=village_id, today=today,
                                                    with_overlap=False)
        trend.append(TrendPoint(f"{m.start:%Y-%m}", s.received, s.resolved, s.resolution_rate))
        if progress:
            progress(n + 1, len(months))
    report = coverage_service.coverage(session, village_id)
    shares = tuple(VillageShare(v.village, v.center_coverage_rate, v.head_linkage_rate) for v in report.villages)
    cards = tuple(CardLine(c.number, c.title, c.person, c.unit, c.since, c.reason)
                  for c in ledger.yellow_cards(session, today=period.cutoff(today), village_id=village_id))
    lines, _ = ledger_lines(session, period, village_id=village_id, today=today)
    done = [ln for ln in lines if ln.resolved is not None]
    done.sort(key=lambda ln: (_URGENCY_RANK.get(ln.urgency, 9), ln.rating not in ("满意", "基本满意"),
                              ln.number))
    try:
        committee_figures = committee_supervision.committee_stats_json(session, period.start, period.end, village_id,
                                                                       today=today)
    except Exception:  # noqa: BLE001 — the bulletin still prints without the committee line
        committee_figures = {}
    return Bulletin(SheetHeader(SHEETS["bulletin"], _unit(session, vname), period.label(), today, stats.as_of, vname),
                    period, stats, prev, problem_stats_json(stats), keys, tuple(trend), shares,
                    coverage_service.coverage_json(report), cards, tuple(done[:10]), committee_figures)


# -- 户情卡 -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CardPerson:
    name: str
    relation: str
    gender: str
    birth_date: dt.date | None
    id_number: str  # masked
    phone: str  # masked
    status: str
    party_member: bool


@dataclass(frozen=True)
class HouseholdCard:
    header: SheetHeader
    household_id: str
    hh_no: str
    head_name: str
    village: str
    group: str
    grid: str
    address: str
    phone: str  # masked
    level: str
    tags: tuple[str, ...]
    persons: tuple[CardPerson, ...]
    center: str  # center person's name ("" when not covered)
    link_head: str
    open_problems: tuple[tuple[str, str, str, dt.date | None], ...]  # (number, title, state, deadline)
    visits: tuple[tuple[dt.date, str, str, str], ...]  # (date, kind, visitors, findings), newest first
    record: str


def find_household(session: Session, ref: str, *, village: str | None = None) -> str:
    """The household id for ``ref``: a household id, or a 户号 (with ``village`` when 户号 repeats)."""
    ref = str(ref or "").strip()
    if not ref:
        raise ValidationError("请给出户的编号或户号（--household）", field="household")
    try:
        rq.household_detail(session, ref)
        return ref
    except NotFoundError:
        pass
    from ledgerdesk.services.search import search

    ids = {h.household_id for h in search(session, ref, limit=50) if h.kind == "household"}
    rows = [r for r in rq.household_rows(session, sorted(ids)) if r.hh_no == ref]
    if village:
        rows = [r for r in rows if r.village == village.strip()]
    if not rows:
        raise NotFoundError(f"找不到户号或编号为“{ref}”的户")
    if len(rows) > 1:
        raise ValidationError(f"户号“{ref}”在多个村都有，请用 --village 指定村", field="household")
    return rows[0].id


def household_card(session: Session, household: str, *, village: str | None = None,
                   today: dt.date | None = None, visits: int = 5) -> HouseholdCard:
    today = today or session.ledger.clock.today()
    hid = find_household(session, household, village=village)
    d = rq.household_detail(session, hid)
    r = d.row
    persons = tuple(CardPerson(p.name, p.relation, p.gender, p.birth_date, p.id_number, p.phone, p.status,
                               p.is_party_member) for p in d.persons if p.status in ("在册", "外出"))
    pids = ledger.problem_ids(session, ProblemQuery(household_id=hid, status="未办结", sort="registered_at",
                                                    descending=False), today=today)
    problems = tuple((p.number, p.title, p.state + ("（超期）" if p.overdue else ""), p.deadline)
                     for p in ledger.problem_rows(session, pids, today=today))
    vids = visit_service.visit_ids(session, visit_service.VisitQuery(household_id=hid), today=today)[:visits]
    vrows = tuple((v.visited_on, v.kind, v.visitors, v.findings or v.needs)
                  for v in visit_service.visit_rows(session, vids, today=today))
    return HouseholdCard(SheetHeader(SHEETS["household-card"], _unit(session, r.village), "", today, today, r.village),
                         hid, r.hh_no, r.head_name, r.village, r.group, r.grid, r.address, r.phone, r.level,
                         r.tags, persons, r.center_name, r.link_head_name, problems, vrows,
                         f"户 {r.hh_no}（{r.village}）")
