"""Search benchmark (quality.md: ≤ 20 ms median, ≤ 50 ms p95, ≤ 1.5× the same query in raw sqlite3).

A fixed, seeded list of ~200 realistic queries is drawn from the ledger itself:
2- and 3-character names, surnames, 4–8 digit 身份证号 fragments, phone
fragments and address words. Each is timed through services.search.search
(normalising, the indexed steps, the hit rows, masking, dataclasses).

Floor: the same SQL run in raw sqlite3 on the same file — the same indexed
steps (exact, prefix, the FTS5 MATCH; stopping at the limit the same way) and
the same hit-row statements — so the ratio is the cost of the service layer
over SQLite. The FTS5 MATCH statement alone is reported too (detail).
"""

from __future__ import annotations

import random
import shutil
import sqlite3
import statistics
import tempfile
from pathlib import Path

from workloads import Entry, percentile, timed_ms

LIMIT = 50
SEED = 2026


def _queries(conn: sqlite3.Connection) -> list[tuple[str, str]]:
    """(kind, text) pairs, the same for the same ledger."""
    rng = random.Random(SEED)
    persons = conn.execute("SELECT name, id_number, phone FROM person WHERE deleted = 0 AND rowid % 37 = 0 "
                           "ORDER BY rowid").fetchall()
    addresses = [r[0] for r in conn.execute("SELECT address FROM household WHERE deleted = 0 AND address != '' "
                                            "AND rowid % 41 = 0 ORDER BY rowid")]
    two = [p[0] for p in persons if len(p[0]) == 2]
    three = [p[0] for p in persons if len(p[0]) == 3]
    ids = [p[1] for p in persons if len(p[1]) == 18]
    phones = [p[2] for p in persons if len(p[2]) == 11]
    out = [("name2", n) for n in rng.sample(two, min(40, len(two)))]
    out += [("name3", n) for n in rng.sample(three, min(40, len(three)))]
    out += [("surname", n[0]) for n in rng.sample(three, min(20, len(three)))]
    for idn in rng.sample(ids, min(40, len(ids))):
        k = rng.randint(4, 8)
        start = rng.randint(0, 18 - k)
        out.append(("id_fragment", idn[start:start + k]))
    for phone in rng.sample(phones, min(30, len(phones))):
        k = rng.randint(4, 7)
        start = rng.randint(0, 11 - k)
        out.append(("phone_fragment", phone[start:start + k]))
    for addr in rng.sample(addresses, min(30, len(addresses))):
        k = min(len(addr), rng.randint(3, 6))
        start = rng.randint(0, len(addr) - k)
        out.append(("address", addr[start:start + k]))
    return out


def _raw_search(conn: sqlite3.Connection, text: str) -> int:
    """The SQL services.search runs, in raw sqlite3: steps with the same early stop, then the hit rows."""
    from ledgerdesk.store import search_index as si

    q = si.parse_query(text)
    if q is None:
        return 0
    seen: set[str] = set()
    found: list[tuple[str, str]] = []
    for step in q.steps():
        want = LIMIT - len(found)
        if want <= 0:
            break
        if step.dedupe:
            want += len(seen)
        for kind, ref in conn.execute(step.sql, (*step.params, want)).fetchall():
            if ref not in seen and len(found) < LIMIT:
                seen.add(ref)
                found.append((kind, ref))
    p = [r for k, r in found if k == "p"]
    h = [r for k, r in found if k == "h"]
    if p:
        conn.execute(si.person_rows_sql(len(p)), p).fetchall()
    if h:
        conn.execute(si.household_rows_sql(len(h)), h).fetchall()
    return len(found)


def _fts_only(conn: sqlite3.Connection, text: str) -> None:
    from ledgerdesk.store import search_index as si

    q = si.parse_query(text)
    for step in (q.steps() if q else ()):
        if step.tier == "infix":
            conn.execute(step.sql, (*step.params, LIMIT)).fetchall()


def search(ctx) -> Entry:
    from ledgerdesk.services import workspace
    from ledgerdesk.services.search import search as run_search

    repeat = ctx["repeat"]
    tmpdir = Path(tempfile.mkdtemp(dir=ctx["cache"]))
    path = tmpdir / "search.sqlite3"
    shutil.copyfile(ctx["ledger"], path)  # opening a ledger may migrate it and settle its site id
    try:
        session = workspace.open_ledger(path)
        raw = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        raw.execute("PRAGMA cache_size = -65536")
        queries = _queries(raw)
        ours, floor, fts, counts = [], [], [], []
        by_kind: dict[str, list[float]] = {}
        for kind, text in queries:
            t = statistics.median(timed_ms(lambda: run_search(session, text, limit=LIMIT), repeat))
            f = statistics.median(timed_ms(lambda: _raw_search(raw, text), repeat))
            m = statistics.median(timed_ms(lambda: _fts_only(raw, text), repeat))
            ours.append(t)
            floor.append(f)
            fts.append(m)
            counts.append(len(run_search(session, text, limit=LIMIT)))
            by_kind.setdefault(kind, []).append(t)
        raw.close()
        session.close()
    finally:
        shutil.rmtree(tmpdir, ignore_errors=True)
    median, p95 = statistics.median(ours), percentile(ours, 95)
    floor_median = statistics.median(floor)
    ratio = median / floor_median if floor_median else None
    met = median <= 20 and p95 <= 50 and ratio is not None and ratio <= 1.5
    worst = sorted(zip(ours, (q for _, q in queries)), reverse=True)[:5]
    return Entry(round(median, 3), "ms", "≤ 20 ms median, ≤ 50 ms p95, ≤ 1.5× raw", met,
                 floor=round(floor_median, 3), ratio=round(ratio, 2) if ratio else None,
                 detail={"queries": len(queries), "p95_ms": round(p95, 3), "max_ms": round(max(ours), 3),
                         "floor_p95_ms": round(percentile(floor, 95), 3),
                         "fts_match_only_median_ms": round(statistics.median(fts), 3),
                         "fts_match_only_p95_ms": round(percentile(fts, 95), 3),
                         "median_ms_by_kind": {k: round(statistics.median(v), 3) for k, v in by_kind.items()},
                         "queries_with_hits": sum(1 for c in counts if c),
                         "slowest": [[round(t, 2), q] for t, q in worst]})


WORKLOADS = {"search": search}
