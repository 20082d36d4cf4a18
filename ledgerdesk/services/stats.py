"""Figures for the dashboard, `stats --json` and printed sheets: one definition each.

For now: how many live records of each kind the ledger holds. Later issues add
coverage, problem and committee figures here, so screen, sheet and CLI keep
reading the same numbers.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from ledgerdesk.services.session import Session

# (json key, table, Chinese label) in the order screens show them.
ENTITY_TABLES = (
    ("villages", "village", "村/社区/嘎查"),
    ("groups", "village_group", "村民小组"),
    ("grids", "grid", "网格"),
    ("households", "household", "户"),
    ("persons", "person", "人"),
    ("party_members", None, "党员"),
    ("party_centers", "party_center", "党员中心户"),
    ("link_heads", "link_head", "联户长"),
    ("grid_workers", "grid_worker", "网格员"),
    ("committees", "committee", "六会组织"),
    ("committee_activities", "committee_activity", "六会活动"),
    ("visits", "visit", "走访记录"),
    ("problems", "problem", "问题"),
    ("problem_events", "problem_event", "问题办理记录"),
)

LABELS = {key: label for key, _, label in ENTITY_TABLES}


@dataclass(frozen=True)
class EntityCounts:
    villages: int
    groups: int
    grids: int
    households: int
    persons: int
    party_members: int
    party_centers: int
    link_heads: int
    grid_workers: int
    committees: int
    committee_activities: int
    visits: int
    problems: int
    problem_events: int

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


def entity_counts(session: Session) -> EntityCounts:
    """Live (not deleted) records of each kind.

    Counted as all rows minus tombstones: both are index-only (the smallest
    index, and the partial tombstone index every synced table has), so this
    stays a few milliseconds at county scale.
    """
    db = session.ledger.db
    values = {}
    with session.reading():
        for key, table, _ in ENTITY_TABLES:
            if table is None:
                continue
            total = db.execute_sql(f'SELECT count(*) FROM "{table}"').fetchone()[0]
            dead = db.execute_sql(f'SELECT count(*) FROM "{table}" WHERE deleted = 1').fetchone()[0]
            values[key] = total - dead
        values["party_members"] = db.execute_sql(
            "SELECT count(*) FROM person WHERE deleted = 0 AND is_party_member = 1").fetchone()[0]
    return EntityCounts(**values)
