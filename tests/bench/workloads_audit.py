"""Audit trail benchmarks (services/audit.py).

audit_first_page: ``audit.entries(session, limit=100, labels=services.labels)`` over the demo ledger — the newest 100
changes with readable labels, what the 审计记录 page shows first — median of ``repeat`` runs after a warm-up.
Target (chosen like the household list's first screen, quality.md): ≤ 100 ms. Detail: the page's own path (the id
list of the newest 10,000, then the rows of the first 100) and a filtered first page (one table, one village).

audit_verify_per_1000: ``audit.verify_chain`` on a private copy of the demo ledger whose chain was first filled by
``audit.chain_new_events`` (every 办结/评价/销号/回访/撤销 of the demo gets its link, as the first step after a
bulk load does); milliseconds per 1,000 links, median of ``repeat`` runs. Target (chosen): ≤ 50 ms per 1,000
links, i.e. a county chain (≈ 150K links) checked in under 8 s on the worker thread.
"""

from __future__ import annotations

import shutil
import sqlite3
import statistics
import tempfile
from pathlib import Path

from workloads import Entry, timed_ms

FIRST_PAGE_TARGET_MS = 100.0
VERIFY_TARGET_MS_PER_1000 = 50.0


def _copy(ctx) -> tuple[Path, Path]:
    """A private copy of the profile's ledger (SQLite's backup: a WAL file's pages come along)."""
    folder = Path(tempfile.mkdtemp(prefix="ledgerdesk-audit-bench-"))
    target = folder / "ledger.sqlite3"
    source, copy = sqlite3.connect(ctx["ledger"]), sqlite3.connect(target)
    try:
        source.backup(copy)
    finally:
        copy.close()
        source.close()
    return folder, target


def _open(path):
    import datetime as dt

    from ledgerdesk.core.clock import FixedClock
    from ledgerdesk.services import workspace

    return workspace.open_ledger(path, clock=FixedClock(dt.datetime(2026, 11, 20, 9, 30)))


def audit_first_page(ctx) -> Entry:
    from ledgerdesk.services import audit
    from ledgerdesk.services import labels

    folder, path = _copy(ctx)  # opening migrates: never the shared ledger itself
    session = _open(path)
    try:
        village = session.ledger.db.execute_sql("SELECT id FROM village ORDER BY sort_order LIMIT 1").fetchone()[0]
        times = timed_ms(lambda: audit.entries(session, limit=100, labels=labels), ctx["repeat"])

        def page():
            ids = audit.entry_ids(session, audit.AuditQuery(), limit=audit.LIST_LIMIT)
            return audit.entry_rows(session, ids[:100], labels=labels)

        page_times = timed_ms(page, ctx["repeat"])
        filtered = audit.AuditQuery(table="person", village_id=village)
        filtered_times = timed_ms(lambda: audit.entry_rows(
            session, audit.entry_ids(session, filtered, limit=audit.LIST_LIMIT)[:100], labels=labels), ctx["repeat"])
        versions = session.ledger.db.execute_sql("SELECT count(*) FROM version").fetchone()[0]
    finally:
        session.close()
        shutil.rmtree(folder, ignore_errors=True)
    value = statistics.median(times)
    return Entry(round(value, 1), "ms", f"≤ {FIRST_PAGE_TARGET_MS:.0f} ms", value <= FIRST_PAGE_TARGET_MS,
                 detail={"versions": versions, "runs_ms": [round(t, 1) for t in times],
                         "page_ids_10000_plus_rows_100_ms": round(statistics.median(page_times), 1),
                         "filtered_person_village_ms": round(statistics.median(filtered_times), 1)})


def audit_verify_per_1000(ctx) -> Entry:
    import time

    from ledgerdesk.services import audit

    folder, path = _copy(ctx)
    session = _open(path)
    try:
        started = time.perf_counter()
        with session.writing():
            linked = audit.chain_new_events(session)
        backfill_ms = (time.perf_counter() - started) * 1000
        links = audit.chain_status(session).links
        result = {}
        times = timed_ms(lambda: result.setdefault("breaks", audit.verify_chain(session)), ctx["repeat"])
    finally:
        session.close()
        shutil.rmtree(folder, ignore_errors=True)
    per_1000 = statistics.median(times) / max(links, 1) * 1000
    return Entry(round(per_1000, 1), "ms per 1,000 links", f"≤ {VERIFY_TARGET_MS_PER_1000:.0f} ms per 1,000 links",
                 per_1000 <= VERIFY_TARGET_MS_PER_1000 and not result["breaks"],
                 detail={"links": links, "verify_ms": round(statistics.median(times), 1),
                         "runs_ms": [round(t, 1) for t in times], "backfill_links": linked,
                         "backfill_ms": round(backfill_ms, 1), "breaks": len(result["breaks"])})


WORKLOADS = {"audit_first_page": audit_first_page, "audit_verify_per_1000": audit_verify_per_1000}
