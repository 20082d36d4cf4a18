"""Coverage analytics of 党员中心户 and 联户长 (domain.md), per village, township and county.

One definition everywhere (dashboard, coverage page, ``stats --json``, sheets):

* **households** — live households (``deleted = 0``) with status 在册.
* **center_covered** — those households whose ``center_id`` names a live
  (``deleted = 0``), not-ended (``ended_on`` empty) ``party_center``;
  **head_linked** likewise for ``link_head_id`` and ``link_head``.
* **center_coverage_rate** = center_covered / households, **head_linkage_rate** =
  head_linked / households; 0.0 when there are no households; rounded to 4
  places in JSON (:func:`coverage_json`), full precision in the report.
* **centers** / **heads** — live, not-ended 中心户 / 联户长.
* **centers_out_of_bounds** — live centers whose household count (live 在册
  households naming them, wherever those live) is below ``center.min_households``
  or above ``center.max_households`` (the ``setting`` table; defaults in
  services.workspace). ``heads_out_of_bounds`` likewise with ``link_head.*``.
* **invalid_centers** — live centers whose person died (去世), moved away
  (迁出, or is no longer in the center's household, or the person row is gone)
  or is no longer a party member (registry_queries.invalid_reason_sql).
* **types_present** — which 六大员 codes (core.vocab.CENTER_TYPES, in that
  order) occur among live centers.
* **four_posts** — 四岗一肩挑: distinct persons who are the center person of a
  live center AND hold a current 党小组长 post AND a current 村民小组长 or
  牧民小组长 post (person_post) AND are a current 网格长 (grid_worker role);
  "current" = live with no ``until`` or ``until`` after today.

Per village: households by the household's village; centers, heads, bounds,
invalid centers, types and four_posts by the center's / head's village. So the
village figures always sum to the totals. Households or centers whose village
is missing are reported under a village named "（未知村）".
A county ledger merges all townships: when it holds more than one township the
report also has one entry per township (sums of its villages).

Speed (quality.md: a 200K-household county in <= 300 ms): a handful of
aggregate queries — households per (center, village) and per (head, village)
are index-only GROUP BY scans of ``household_center_cover`` /
``household_head_cover`` (db/migrations/0003_registry_indexes.sql), then one
query each for live centers (with their person) and heads; Python only folds
the few thousand groups.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from ledgerdesk.core.errors import ValidationError
from ledgerdesk.core.vocab import CENTER_TYPES
from ledgerdesk.services.registry_queries import (
    LIVE_CENTERS_SQL,
    LIVE_HEADS_SQL,
    VILLAGE_ORDER,
    bounds,
    center_types,
    invalid_reason_sql,
    owner_count_sql,
)
from ledgerdesk.services.sql import rows

UNKNOWN_VILLAGE = "（未知村）"

# The JSON keys of coverage_json, in order (API.md).
JSON_KEYS = ("households", "center_covered", "center_coverage_rate", "head_linked", "head_linkage_rate",
             "centers", "heads", "centers_out_of_bounds", "invalid_centers", "types_present")

LABELS = {
    "households": "在册户数",
    "center_covered": "中心户覆盖户数",
    "center_coverage_rate": "中心户覆盖率",
    "head_linked": "联户长联系户数",
    "head_linkage_rate": "联户长联系率",
    "centers": "党员中心户",
    "heads": "联户长",
    "centers_out_of_bounds": "联系户数超出范围的中心户",
    "invalid_centers": "需调整的中心户",
    "types_present": "已有六大员类型",
    "heads_out_of_bounds": "联系户数超出范围的联户长",
    "four_posts": "四岗一肩挑",
}


def _rate(part: int, whole: int) -> float:
    return part / whole if whole else 0.0


@dataclass(frozen=True)
class _Figures:
    households: int = 0
    center_covered: int = 0
    head_linked: int = 0
    centers: int = 0
    heads: int = 0
    centers_out_of_bounds: int = 0
    invalid_centers: int = 0
    types_present: tuple[str, ...] = ()
    heads_out_of_bounds: int = 0
    four_posts: int = 0

    @property
    def center_coverage_rate(self) -> float:
        return _rate(self.center_covered, self.households)

    @property
    def head_linkage_rate(self) -> float:
        return _rate(self.head_linked, self.households)

    def figures_json(self) -> dict:
        out = {}
        for key in JSON_KEYS:
            value = getattr(self, key)
            if key.endswith("_rate"):
                value = round(value, 4)
            elif key == "types_present":
                value = list(value)
            out[key] = value
        return out


@dataclass(frozen=True)
class VillageCoverage(_Figures):
    village_id: str = ""
    village: str = ""
    township_id: str = ""


@dataclass(frozen=True)
class TownshipCoverage(_Figures):
    township_id: str = ""
    township: str = ""


@dataclass(frozen=True)
class CoverageReport(_Figures):
    villages: tuple[VillageCoverage, ...] = ()
    townships: tuple[TownshipCoverage, ...] = ()   # only when the ledger holds more than one township
    center_bounds: tuple[int, int] = (0, 0)
    head_bounds: tuple[int, int] = (0, 0)
    village_id: str | None = None                  # the village asked for, None for the whole ledger


class _Acc:
    """Mutable per-village accumulator."""

    __slots__ = ("households", "center_covered", "head_linked", "centers", "heads", "centers_out_of_bounds",
                 "invalid_centers", "types", "heads_out_of_bounds", "four_posts")

    def __init__(self):
        self.households = self.center_covered = self.head_linked = 0
        self.centers = self.heads = self.centers_out_of_bounds = self.invalid_centers = 0
        self.heads_out_of_bounds = self.four_posts = 0
        self.types: set[str] = set()   # stored comma lists (few distinct), parsed once in figures()

    def add(self, other: "_Acc") -> None:
        for name in self.__slots__:
            if name == "types":
                self.types |= other.types
            else:
                setattr(self, name, getattr(self, name) + getattr(other, name))

    def figures(self) -> dict:
        return dict(households=self.households, center_covered=self.center_covered, head_linked=self.head_linked,
                    centers=self.centers, heads=self.heads, centers_out_of_bounds=self.centers_out_of_bounds,
                    invalid_centers=self.invalid_centers, heads_out_of_bounds=self.heads_out_of_bounds,
                    four_posts=self.four_posts, types_present=center_types(",".join(self.types)))


def _households_per_owner(session, kind: str, village_id: str | None) -> list[tuple[str | None, str, int]]:
    """(owner id or None, household village, live 在册 households) groups."""
    column, index = ("center_id", "household_center_cover") if kind == "center" else (
        "link_head_id", "household_head_cover")
    if village_id is None:
        return rows(session, f"SELECT {column}, village_id, count(*) FROM household INDEXED BY {index} "
                              f"WHERE deleted = 0 AND status = '在册' GROUP BY {column}, village_id")
    return rows(session, f"SELECT {column}, village_id, count(*) FROM household INDEXED BY household_list_village "
                          f"WHERE deleted = 0 AND status = '在册' AND village_id = ? GROUP BY {column}", (village_id,))


def _owner_totals(session, kind: str, village_id: str) -> dict[str, int]:
    """Households per live owner of ``village_id`` (wherever the households live)."""
    table = "party_center" if kind == "center" else "link_head"
    return dict(rows(session, f"SELECT c.id, {owner_count_sql(kind, 'c')} FROM {table} c "
                               f"WHERE c.deleted = 0 AND c.ended_on IS NULL AND c.village_id = ?", (village_id,)))


def coverage(session, village_id: str | None = None) -> CoverageReport:
    """Coverage of the whole ledger, or of one village (``village_id``)."""
    today = session.ledger.clock.today().isoformat()
    c_lo, c_hi = bounds(session, "center")
    h_lo, h_hi = bounds(session, "link_head")
    with session.reading():
        village_rows = rows(session, f"SELECT v.id, v.name, v.township_id FROM village v WHERE v.deleted = 0 "
                                      f"ORDER BY {VILLAGE_ORDER}")
        if village_id is not None and village_id not in {r[0] for r in village_rows}:
            raise ValidationError(f"村不存在或已删除（{village_id}）", field="village_id")
        vfilter, vparams = ("AND c.village_id = ?", (village_id,)) if village_id else ("", ())
        center_groups = _households_per_owner(session, "center", village_id)
        head_groups = _households_per_owner(session, "link_head", village_id)
        centers = rows(session, f"""
            SELECT c.id, c.village_id, c.types, {invalid_reason_sql('c', 'p', center=True)}
              FROM party_center c LEFT JOIN person p ON p.id = c.person_id
             WHERE c.deleted = 0 AND c.ended_on IS NULL {vfilter}""", vparams)
        heads = rows(session, f"SELECT c.id, c.village_id FROM link_head c "
                               f"WHERE c.deleted = 0 AND c.ended_on IS NULL {vfilter}", vparams)
        if village_id is None:
            live_centers, live_heads = {r[0] for r in centers}, {r[0] for r in heads}
        else:   # the village's households may name a 中心户/联户长 of another village
            live_centers = {r[0] for r in rows(session, LIVE_CENTERS_SQL)}
            live_heads = {r[0] for r in rows(session, LIVE_HEADS_SQL)}
        current = "deleted = 0 AND (until IS NULL OR until > ?)"
        four = rows(session, f"""
            SELECT DISTINCT c.person_id, c.village_id FROM party_center c
             WHERE c.deleted = 0 AND c.ended_on IS NULL {vfilter}
               AND EXISTS (SELECT 1 FROM person_post pp WHERE pp.person_id = c.person_id AND pp.post = '党小组长'
                           AND pp.{current})
               AND EXISTS (SELECT 1 FROM person_post pp WHERE pp.person_id = c.person_id
                           AND pp.post IN ('村民小组长', '牧民小组长') AND pp.{current})
               AND EXISTS (SELECT 1 FROM grid_worker gw WHERE gw.person_id = c.person_id AND gw.role = '网格长'
                           AND gw.{current})""", (*vparams, today, today, today))
        if village_id is not None:
            center_totals = _owner_totals(session, "center", village_id)
            head_totals = _owner_totals(session, "link_head", village_id)
        townships = dict(rows(session, "SELECT id, name FROM township WHERE deleted = 0 ORDER BY id"))

    acc: dict[str, _Acc] = defaultdict(_Acc)
    if village_id is None:
        center_totals, head_totals = defaultdict(int), defaultdict(int)
    for owner, vid, n in center_groups:
        a = acc[vid]
        a.households += n
        if owner is not None and owner in live_centers:
            a.center_covered += n
            if village_id is None:
                center_totals[owner] += n
    for owner, vid, n in head_groups:
        if owner is not None and owner in live_heads:
            acc[vid].head_linked += n
            if village_id is None:
                head_totals[owner] += n
    for cid, vid, types, invalid in centers:
        a = acc[vid]
        a.centers += 1
        a.types.add(types)
        if invalid:
            a.invalid_centers += 1
        if not c_lo <= center_totals.get(cid, 0) <= c_hi:
            a.centers_out_of_bounds += 1
    for hid, vid in heads:
        a = acc[vid]
        a.heads += 1
        if not h_lo <= head_totals.get(hid, 0) <= h_hi:
            a.heads_out_of_bounds += 1
    for _person, vid in four:
        acc[vid].four_posts += 1

    known = {vid: (name, tid) for vid, name, tid in village_rows}
    order = [vid for vid, _, _ in village_rows if village_id is None or vid == village_id]
    order += sorted(v for v in acc if v not in known)   # households/centers of a missing village
    per_village = []
    total = _Acc()
    per_township: dict[str, _Acc] = defaultdict(_Acc)
    for vid in order:
        a = acc.get(vid) or _Acc()
        name, tid = known.get(vid, (UNKNOWN_VILLAGE, ""))
        per_village.append(VillageCoverage(**a.figures(), village_id=vid, village=name, township_id=tid))
        total.add(a)
        per_township[tid].add(a)
    township_list: tuple[TownshipCoverage, ...] = ()
    if village_id is None and len(townships) > 1:
        township_list = tuple(TownshipCoverage(**per_township[tid].figures(), township_id=tid, township=name)
                              for tid, name in townships.items() if tid in per_township)
    return CoverageReport(**total.figures(), villages=tuple(per_village), townships=township_list,
                          center_bounds=(c_lo, c_hi), head_bounds=(h_lo, h_hi), village_id=village_id)


def coverage_json(report: CoverageReport) -> dict:
    """The ``coverage`` object of ``stats --json``: the API.md keys, then "villages" (and "townships")."""
    out = report.figures_json()
    out["villages"] = [{"village_id": v.village_id, "village": v.village, **v.figures_json()}
                       for v in report.villages]
    if report.townships:
        out["townships"] = [{"township_id": t.township_id, "township": t.township, **t.figures_json()}
                            for t in report.townships]
    return out


def uncovered_household_ids(session, kind: str, village_id: str | None = None) -> list[str]:
    """Live 在册 households with no live 中心户 (``kind`` "center") or 联户长 ("link_head"), by 户号."""
    from ledgerdesk.services.registry_queries import HouseholdQuery, household_ids

    if kind == "center":
        query = HouseholdQuery(village_id=village_id, center="uncovered")
    elif kind == "link_head":
        query = HouseholdQuery(village_id=village_id, head="unlinked")
    else:
        raise ValidationError(f"未知的类别“{kind}”，应为 center 或 link_head", field="kind")
    return household_ids(session, query)


def coverage_lines(report: CoverageReport) -> list[str]:
    """A few Chinese lines for the CLI's text output."""
    lo, hi = report.center_bounds
    hlo, hhi = report.head_bounds
    types = "、".join(CENTER_TYPES[t] for t in report.types_present) or "无"
    return [
        f"覆盖率：中心户 {report.center_coverage_rate:.1%}（{report.center_covered}/{report.households} 户），"
        f"联户长 {report.head_linkage_rate:.1%}（{report.head_linked}/{report.households} 户）",
        f"党员中心户 {report.centers} 个（联系户数不在 {lo}–{hi} 户的 {report.centers_out_of_bounds} 个，"
        f"需调整的 {report.invalid_centers} 个）；联户长 {report.heads} 名"
        f"（联系户数不在 {hlo}–{hhi} 户的 {report.heads_out_of_bounds} 名）",
        f"六大员类型：{types}；四岗一肩挑 {report.four_posts} 人",
    ]
