"""Visits (走访, 敲门行动, 院坝会/田埂会): who went where, what they found, what people need.

A need raised on a visit becomes a ledger problem in one action
(:func:`problem_from_visit`: source 走访发现, the visit's households linked,
one transaction). A visit may set when the next one is due. A visit is *due*
when that day has come (``next_due <= today``) and it has not been followed
up: no later visit reached any of its households (for a visit recorded
without households: no later visit in the same village on or after the due
day). So the due list empties as the follow-up visits are recorded.

The 登记 event of a problem made from a visit carries the marker
``走访记录：{visit id}`` in its note, so :func:`visit_detail` can list them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Sequence

from ledgerdesk.core.dates import date_arg, stored_date
from ledgerdesk.core.errors import NotFoundError, ValidationError
from ledgerdesk.core.ids import link_id
from ledgerdesk.core.lifecycle import REGISTER, check_permission
from ledgerdesk.core.text import clean
from ledgerdesk.core.vocab import VISIT_KINDS
from ledgerdesk.services import ledger
from ledgerdesk.services.ledger_queries import _month_range
from ledgerdesk.services.permissions import EDITORS, require, require_village
from ledgerdesk.services.sql import Where, rows_by_id
from ledgerdesk.store.models import Visit, VisitHousehold

VISIT_SOURCE = "走访发现"
VISIT_MARKER = "走访记录："

@dataclass(frozen=True)
class VisitQuery:
    """Filters of the visit list (None = any). ``due``: True only visits due, False only the others."""

    village_id: str | None = None
    month: str | None = None  # "YYYY-MM" of the visit
    due: bool | None = None
    household_id: str | None = None
    kind: str | None = None
    descending: bool = True  # newest first


@dataclass(frozen=True)
class VisitRow:
    id: str
    village_id: str
    village: str
    visited_on: dt.date
    kind: str
    visitors: str
    households: int
    findings: str
    needs: str
    next_due: dt.date | None
    due: bool


@dataclass(frozen=True)
class VisitDetail:
    row: VisitRow
    household_ids: tuple[str, ...]
    households: tuple[str, ...]  # "户号 户主" labels
    problems: tuple[ledger.ProblemRef, ...]  # problems registered from this visit


def _text(value) -> str:
    return ledger._text(value, "text", "内容")


# -- writing ------------------------------------------------------------------------------------


def record_visit(session, *, village_id, visited_on, kind="走访", visitors="", household_ids=(), findings="",
                 needs="", next_due=None) -> str:
    """A visit with the households visited; returns its id. One transaction.

    The households must be live households of ``village_id``; ``visited_on``
    may not be in the future and ``next_due`` may not be before it.
    """
    require(session, EDITORS, "记录走访")
    day = date_arg(visited_on, "visited_on", "走访日期", required=True, not_after=session.ledger.clock.today())
    due = date_arg(next_due, "next_due", "下次走访日期")
    if due is not None and due < day:
        raise ValidationError("下次走访日期不能早于本次走访日期", field="next_due")
    kind = clean(kind) or "走访"
    if kind not in VISIT_KINDS:
        raise ValidationError(f"走访形式应为{'、'.join(VISIT_KINDS)}之一，实际为“{kind}”", field="kind")
    households = tuple(dict.fromkeys(h for h in (household_ids or ()) if h))
    with session.writing() as w:
        db = session.ledger.db
        if not village_id or db.execute_sql("SELECT 1 FROM village WHERE id = ? AND deleted = 0",
                                            (village_id,)).fetchone() is None:
            raise ValidationError("请选择走访的村（社区）", field="village_id")
        require_village(session, village_id, "记录走访")
        for hid in households:
            row = db.execute_sql("SELECT village_id, hh_no FROM household WHERE id = ? AND deleted = 0",
                                 (hid,)).fetchone()
            if row is None:
                raise ValidationError("所选的户不存在或已删除", field="household_ids")
            if row[0] != village_id:
                raise ValidationError(f"户号“{row[1]}”不属于所选村（社区）", field="household_ids")
        visit_id = ledger._insert(w, Visit, {
            "village_id": village_id, "visited_on": day.isoformat(), "kind": kind, "visitors": clean(visitors),
            "findings": _text(findings), "needs": _text(needs), "next_due": due.isoformat() if due else None})
        for hid in households:
            ledger._insert(w, VisitHousehold, {"visit_id": visit_id, "household_id": hid},
                           link_id("visit_household", visit_id, hid))
    return visit_id


def problem_from_visit(session, visit_id, *, title, description="", category_id=None, urgency="一般",
                       household_ids=None) -> ledger.ProblemRef:
    """A need raised on a visit becomes a ledger problem (source 走访发现), in one transaction.

    The visit's village and households (or the given subset of them) are
    copied; the visitors are the reporters; the description defaults to the
    needs written on the visit.
    """
    check_permission(session.role, REGISTER)
    with session.writing():
        row = session.ledger.db.execute_sql(
            "SELECT village_id, visited_on, visitors, needs FROM visit WHERE id = ? AND deleted = 0",
            (visit_id,)).fetchone()
        if row is None:
            raise NotFoundError("找不到该走访记录，可能已被删除")
        village_id, visited_on, visitors, needs = row
        linked = _household_ids(session.ledger.db, visit_id)
        if household_ids is None:
            chosen = linked
        else:
            chosen = tuple(dict.fromkeys(household_ids))
            stray = [h for h in chosen if h not in linked]
            if stray:
                raise ValidationError("所选的户不在这次走访的户中", field="household_ids")
        return ledger.register_problem(
            session, title=title, source=VISIT_SOURCE, description=description or needs,
            category_id=category_id, urgency=urgency, village_id=village_id, household_ids=chosen,
            reporter=visitors, note=f"来源：{VISIT_SOURCE}（{visited_on}走访，{VISIT_MARKER}{visit_id}）")


def _household_ids(db, visit_id: str) -> tuple[str, ...]:
    rows = db.execute_sql("SELECT household_id FROM visit_household WHERE visit_id = ? AND deleted = 0 "
                          "ORDER BY household_id", (visit_id,)).fetchall()
    return tuple(r[0] for r in rows)


# -- reading ------------------------------------------------------------------------------------

# Due: the day has come and no later visit has reached any of its households (or, without
# households, no later visit in the same village on or after the due day).
_DUE_SQL = (
    "(v.next_due IS NOT NULL AND v.next_due <= ? AND NOT EXISTS ("
    "  SELECT 1 FROM visit_household a JOIN visit_household b ON b.household_id = a.household_id AND b.deleted = 0 "
    "  JOIN visit w ON w.id = b.visit_id AND w.deleted = 0 "
    "  WHERE a.visit_id = v.id AND a.deleted = 0 AND w.id != v.id AND w.visited_on > v.visited_on) "
    "AND (EXISTS (SELECT 1 FROM visit_household a WHERE a.visit_id = v.id AND a.deleted = 0) OR NOT EXISTS ("
    "  SELECT 1 FROM visit w WHERE w.village_id = v.village_id AND w.deleted = 0 AND w.id != v.id "
    "  AND w.visited_on >= v.next_due)))")


def visit_ids(session, query: VisitQuery | None = None, *, today: dt.date | None = None) -> list[str]:
    """Ids of the live visits matching ``query``, newest first (filters in SQL)."""
    q = query or VisitQuery()
    today = today or session.ledger.clock.today()
    where = Where("v.deleted = 0").equal("v.village_id", q.village_id).equal("v.kind", q.kind)
    if q.month:
        where.add("v.visited_on >= ? AND v.visited_on < ?", *_month_range(q.month))
    if q.household_id is not None:
        where.add("v.id IN (SELECT visit_id FROM visit_household WHERE household_id = ? AND deleted = 0)",
                  q.household_id)
    if q.due is not None:
        where.add(_DUE_SQL if q.due else f"NOT {_DUE_SQL}", today.isoformat())
    direction = "DESC" if q.descending else "ASC"
    with session.reading():
        return [r[0] for r in session.ledger.db.execute_sql(
            f"SELECT v.id FROM visit v WHERE {where} ORDER BY v.visited_on {direction}, v.id {direction}",
            where.params)]


_ROW_SQL = ("SELECT v.id, v.village_id, coalesce(g.name, ''), v.visited_on, v.kind, v.visitors, "
            "(SELECT count(*) FROM visit_household a WHERE a.visit_id = v.id AND a.deleted = 0), "
            f"v.findings, v.needs, v.next_due, {_DUE_SQL} "
            "FROM visit v LEFT JOIN village g ON g.id = v.village_id "
            "WHERE v.deleted = 0 AND v.id IN ({marks})")


def visit_rows(session, ids: Sequence[str], *, today: dt.date | None = None) -> list[VisitRow]:
    """Rows for ``ids``, in the same order; missing or deleted visits are left out."""
    today = today or session.ledger.clock.today()
    def make(r: tuple) -> VisitRow:
        return VisitRow(r[0], r[1], r[2], dt.date.fromisoformat(r[3]), r[4], r[5], r[6], r[7], r[8],
                        stored_date(r[9]), bool(r[10]))

    with session.reading():
        return rows_by_id(session, _ROW_SQL, ids, make, before=[today.isoformat()])


def visit_detail(session, visit_id: str, *, today: dt.date | None = None) -> VisitDetail:
    """One visit with its households and the problems registered from it."""
    rows = visit_rows(session, [visit_id], today=today)
    if not rows:
        raise NotFoundError("找不到该走访记录，可能已被删除")
    row = rows[0]
    db = session.ledger.db
    with session.reading():
        households = db.execute_sql(
            "SELECT h.id, h.hh_no, coalesce(p.name, '') FROM visit_household vh JOIN household h "
            "ON h.id = vh.household_id LEFT JOIN person p ON p.id = h.head_person_id "
            "WHERE vh.visit_id = ? AND vh.deleted = 0 ORDER BY h.hh_no, h.id", (visit_id,)).fetchall()
        problems = db.execute_sql(
            "SELECT p.id, p.ledger_no, p.provisional_no FROM problem p JOIN problem_event e ON e.problem_id = p.id "
            "WHERE p.deleted = 0 AND p.source = ? AND p.village_id = ? AND e.kind = '登记' AND e.deleted = 0 "
            "AND e.note LIKE ? ORDER BY p.registered_at, p.id",
            (VISIT_SOURCE, row.village_id, f"%{VISIT_MARKER}{visit_id}%")).fetchall()
    return VisitDetail(row, tuple(h[0] for h in households), tuple(f"{h[1]} {h[2]}".strip() for h in households),
                       tuple(ledger.ProblemRef(p[0], p[1] or p[2]) for p in problems))


def visits_due(session, *, today: dt.date | None = None, village_id: str | None = None) -> list[str]:
    """Ids of the visits whose follow-up visit is due (``next_due <= today``, not followed up), oldest first."""
    return visit_ids(session, VisitQuery(village_id=village_id, due=True, descending=False), today=today)
