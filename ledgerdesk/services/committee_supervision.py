"""六会 supervision (纳入常态化督导): the per-village checklist and the stats figures.

Per village, as of a day (``today``, injected; default the ledger clock's today):

* **all six formed** — a current committee (founded on or before the day, not dissolved by
  then) of each of the six kinds;
* **member minimum** — each current committee has at least ``committee.min_members``
  (setting, default 5) current members whose person is 在册 or 外出;
* **last activity** — the latest activity date of the village's current committees;
* **activities this quarter** — activities held from the first day of the calendar quarter
  to the day;
* **inactive** — a current committee is inactive when it has had no activity for
  ``committee.inactive_months`` months (setting, default 3): its last activity (or, with
  none, its founding date) is before the day N months back. A committee founded less than
  N months ago is not yet inactive.

Custom committees are listed and counted, but the "six formed" check is about the six.
Everything is read with a handful of GROUP BY queries (county: 217 villages, 1,302
committees).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from ledgerdesk.core.dates import stored_date
from ledgerdesk.core.vocab import COMMITTEE_KINDS, CUSTOM_COMMITTEE
from ledgerdesk.services.committees import kind_label
from ledgerdesk.services.registry_common import setting_int

MIN_MEMBERS_KEY = "committee.min_members"
INACTIVE_MONTHS_KEY = "committee.inactive_months"
SIX = tuple(COMMITTEE_KINDS)


@dataclass(frozen=True)
class CommitteeStatus:
    """One current committee as the checklist sees it."""

    id: str
    kind: str
    name: str
    founded_on: dt.date | None
    members: int
    under_minimum: bool
    last_activity: dt.date | None
    activities_this_quarter: int
    inactive: bool

    @property
    def ok(self) -> bool:
        return not (self.under_minimum or self.inactive)


@dataclass(frozen=True)
class VillageChecklist:
    """The supervision checklist of one village."""

    village_id: str
    village: str
    six: tuple[CommitteeStatus | None, ...]  # in COMMITTEE_KINDS order; None: not formed
    custom: tuple[CommitteeStatus, ...]
    last_activity: dt.date | None
    activities_this_quarter: int
    min_members: int
    inactive_months: int

    @property
    def formed(self) -> int:
        """How many of the six are formed."""
        return sum(1 for c in self.six if c is not None)

    @property
    def all_six_formed(self) -> bool:
        return self.formed == len(SIX)

    @property
    def missing(self) -> tuple[str, ...]:
        """Chinese names of the six not formed."""
        return tuple(COMMITTEE_KINDS[k] for k, c in zip(SIX, self.six) if c is None)

    @property
    def committees(self) -> tuple[CommitteeStatus, ...]:
        """Every current committee: the six formed, then the custom ones."""
        return tuple(c for c in self.six if c is not None) + self.custom

    @property
    def members_ok(self) -> bool:
        """Every current committee meets the member minimum."""
        return not any(c.under_minimum for c in self.committees)

    @property
    def inactive(self) -> bool:
        """Some current committee has been without an activity for N months."""
        return any(c.inactive for c in self.committees)

    @property
    def inactive_committees(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.committees if c.inactive)

    @property
    def under_minimum(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.committees if c.under_minimum)

    @property
    def ok(self) -> bool:
        return self.all_six_formed and self.members_ok and not self.inactive

    def issues(self) -> tuple[str, ...]:
        """What the supervisor should follow up, in Chinese."""
        out = []
        if self.missing:
            out.append("未成立：" + "、".join(self.missing))
        if self.under_minimum:
            out.append(f"成员不足 {self.min_members} 人：" + "、".join(self.under_minimum))
        if self.inactive_committees:
            out.append(f"超过 {self.inactive_months} 个月没有活动：" + "、".join(self.inactive_committees))
        return tuple(out)


def add_months(day: dt.date, months: int) -> dt.date:
    """``day`` moved by ``months`` calendar months (the day clamped to the month's end)."""
    y, m = divmod(day.month - 1 + months, 12)
    year, month = day.year + y, m + 1
    for d in (day.day, 30, 29, 28):
        try:
            return dt.date(year, month, d)
        except ValueError:
            continue
    raise AssertionError("unreachable")


def quarter_start(day: dt.date) -> dt.date:
    return dt.date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def _statuses(session, as_of: dt.date, village_id: str | None, since: dt.date):
    """(villages [(id, name)], {village_id: [CommitteeStatus]}, min_members, inactive_months) as of ``as_of``."""
    db = session.ledger.db
    min_members = setting_int(session, MIN_MEMBERS_KEY)
    months = setting_int(session, INACTIVE_MONTHS_KEY)
    cutoff = add_months(as_of, -months).isoformat()
    day, since_s = as_of.isoformat(), since.isoformat()
    v_where, v_params = ("AND id = ?", [village_id]) if village_id else ("", [])
    c_where, c_params = ("AND c.village_id = ?", [village_id]) if village_id else ("", [])
    villages = db.execute_sql(f"SELECT id, name FROM village WHERE deleted = 0 {v_where} ORDER BY sort_order, name, id",
                              v_params).fetchall()
    committees = db.execute_sql(
        "SELECT c.id, c.village_id, c.kind, c.name, c.founded_on FROM committee c WHERE c.deleted = 0 "
        f"AND (c.founded_on IS NULL OR c.founded_on <= ?) AND (c.dissolved_on IS NULL OR c.dissolved_on > ?) {c_where} "
        "ORDER BY c.founded_on, c.id", [day, day, *c_params]).fetchall()
    members = dict(db.execute_sql(
        "SELECT m.committee_id, count(DISTINCT m.person_id) FROM committee_member m "
        "JOIN person p ON p.id = m.person_id AND p.deleted = 0 AND p.status IN ('在册', '外出') "
        "WHERE m.deleted = 0 AND (m.joined_on IS NULL OR m.joined_on <= ?) AND (m.left_on IS NULL OR m.left_on > ?) "
        + ("AND m.committee_id IN (SELECT c.id FROM committee c WHERE c.deleted = 0 AND c.village_id = ?) "
           if village_id else "")
        + "GROUP BY m.committee_id", [day, day, *c_params]).fetchall())
    activity = {r[0]: (r[1], r[2]) for r in db.execute_sql(
        "SELECT a.committee_id, max(a.held_on), sum(a.held_on >= ?) FROM committee_activity a "
        "WHERE a.deleted = 0 AND a.held_on <= ? "
        + ("AND a.committee_id IN (SELECT c.id FROM committee c WHERE c.deleted = 0 AND c.village_id = ?) "
           if village_id else "")
        + "GROUP BY a.committee_id", [since_s, day, *c_params])}
    by_village: dict[str, list[CommitteeStatus]] = {}
    for cid, vid, kind, name, founded in committees:
        last, quarter = activity.get(cid, (None, 0))
        count = members.get(cid, 0)
        reference = last or founded
        by_village.setdefault(vid, []).append(CommitteeStatus(
            cid, kind, name or kind_label(kind), stored_date(founded), count, count < min_members, stored_date(last), quarter or 0,
            reference is None or reference < cutoff))
    return villages, by_village, min_members, months


def checklist(session, *, today: dt.date | None = None, village_id: str | None = None) -> list[VillageChecklist]:
    """The supervision checklist of every village (or one), in the registry's village order."""
    as_of = today or session.ledger.clock.today()
    with session.reading():
        villages, by_village, min_members, months = _statuses(session, as_of, village_id, quarter_start(as_of))
    out = []
    for vid, name in villages:
        found = by_village.get(vid, [])
        six: dict[str, CommitteeStatus] = {}
        custom = []
        for c in found:
            if c.kind in COMMITTEE_KINDS and c.kind not in six:
                six[c.kind] = c
            else:
                custom.append(c)  # custom ones (and, from a merge, a second current one of a kind)
        lasts = [c.last_activity for c in found if c.last_activity]
        out.append(VillageChecklist(
            vid, name, tuple(six.get(k) for k in SIX), tuple(sorted(custom, key=lambda c: (c.kind != CUSTOM_COMMITTEE,
                                                                                           c.name, c.id))),
            max(lasts) if lasts else None, sum(c.activities_this_quarter for c in found), min_members, months))
    return out


def committee_stats_json(session, period_start: dt.date, period_end: dt.date, village_id: str | None = None, *,
                         today: dt.date | None = None) -> dict:
    """The ``committees`` object of ``stats --json``.

    Formed/inactive are as of the period's end (or today when the period ends later);
    ``activities_in_period`` counts activities held within the period (inclusive).
    """
    now = today or session.ledger.clock.today()
    as_of = min(period_end, now)
    with session.reading():
        villages, by_village, min_members, months = _statuses(session, as_of, village_id, quarter_start(as_of))
        params = [period_start.isoformat(), period_end.isoformat()]
        extra = ""
        if village_id:
            extra = "AND a.committee_id IN (SELECT c.id FROM committee c WHERE c.deleted = 0 AND c.village_id = ?)"
            params.append(village_id)
        in_period = session.ledger.db.execute_sql(
            f"SELECT count(*) FROM committee_activity a WHERE a.deleted = 0 AND a.held_on >= ? AND a.held_on <= ? "
            f"{extra}", params).fetchone()[0]
    village_ids = {v[0] for v in villages}
    current = [c for vid, cs in by_village.items() if vid in village_ids for c in cs]
    all_six = sum(1 for vid, _ in villages if {c.kind for c in by_village.get(vid, ())} >= set(SIX))
    return {
        "villages": len(villages),
        "villages_all_six_formed": all_six,
        "committees_formed": len(current),
        "committees_inactive": sum(1 for c in current if c.inactive),
        "activities_in_period": in_period,
        "six_formed": sum(1 for c in current if c.kind in COMMITTEE_KINDS),
        "custom_formed": sum(1 for c in current if c.kind not in COMMITTEE_KINDS),
        "committees_under_minimum": sum(1 for c in current if c.under_minimum),
        "as_of": as_of.isoformat(),
        "min_members": min_members,
        "inactive_months": months,
    }


def stats_lines(figures: dict) -> list[str]:
    """The committee figures of :func:`committee_stats_json` as Chinese lines (``stats`` without --json)."""
    return [
        f"六会：{figures['villages']} 个村中 {figures['villages_all_six_formed']} 个六会齐全；"
        f"现有组织 {figures['committees_formed']} 个（六会 {figures['six_formed']}，其他 {figures['custom_formed']}）",
        f"  超过 {figures['inactive_months']} 个月没有活动 {figures['committees_inactive']} 个；"
        f"成员不足 {figures['min_members']} 人 {figures['committees_under_minimum']} 个；"
        f"本期活动 {figures['activities_in_period']} 次",
    ]
