"""`ledgerdesk check`: is the file sound, and does the ledger hold together?

Three layers, cheapest first: SQLite's own integrity_check; the version log
(every row equals the fold of its versions, so nothing was written around the
versioned path); and domain consistency (references that point nowhere, heads
of household who live elsewhere). Dangling references are findings, not
corruption: sync may deliver a person before the file with their household.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from peewee import ForeignKeyField

from ledgerdesk.services import audit
from ledgerdesk.services.session import Session
from ledgerdesk.store.models import SYNCED_MODELS
from ledgerdesk.store.verify import replay_mismatches

# Id columns that are references but not declared as ForeignKeyField (they
# point at rows of several kinds or would make import cycles in the models).
EXTRA_REFERENCES = (
    ("household", "head_person_id", "person"),
    ("household", "center_id", "party_center"),
    ("household", "link_head_id", "link_head"),
    ("problem_event", "merged_into_id", "problem"),
)


@dataclass(frozen=True)
class Finding:
    kind: str  # "integrity" | "versions" | "reference" | "domain" | "audit"
    message: str  # Chinese, for people
    count: int = 1


@dataclass
class CheckReport:
    findings: list[Finding] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.findings

    def as_dict(self) -> dict:
        return {"ok": self.ok, "findings": [f.__dict__ for f in self.findings]}


def references() -> list[tuple[str, str, str]]:
    """(table, column, target table) for every id reference between synced rows."""
    refs = []
    for model in SYNCED_MODELS:
        for f in model._meta.sorted_fields:
            if isinstance(f, ForeignKeyField):
                refs.append((model._meta.table_name, f.column_name, f.rel_model._meta.table_name))
    return refs + list(EXTRA_REFERENCES)


def run_checks(session: Session) -> CheckReport:
    """Run every check; an empty report means the ledger is sound."""
    report = CheckReport()
    db = session.ledger.db
    with session.reading():
        rows = [r[0] for r in db.execute_sql("PRAGMA integrity_check").fetchall()]
        if rows != ["ok"]:
            report.findings += [Finding("integrity", f"数据库文件损坏：{r}") for r in rows[:20]]
            return report
        for m in replay_mismatches(db):
            report.findings.append(Finding("versions", f"{m.table} 记录 {m.entity_id} 与版本记录不一致：{m.detail}"))
        for table, column, target in references():
            n = db.execute_sql(
                f'SELECT count(*) FROM "{table}" t LEFT JOIN "{target}" r ON r.id = t."{column}" '
                f'WHERE t.deleted = 0 AND t."{column}" IS NOT NULL AND r.id IS NULL').fetchone()[0]
            if n:
                report.findings.append(Finding("reference", f"{table}.{column} 有 {n} 条指向不存在的 {target}", n))
        n = db.execute_sql(
            "SELECT count(*) FROM household h JOIN person p ON p.id = h.head_person_id "
            "WHERE h.deleted = 0 AND p.household_id != h.id").fetchone()[0]
        if n:
            report.findings.append(Finding("domain", f"{n} 户的户主不是本户成员", n))
        # The audit hash chain (services/audit.py): every link, its version, the chain's end.
        report.findings += [Finding("audit", line) for line in audit.summarise(audit.verify_chain(session))]
    return report
