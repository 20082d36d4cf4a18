"""Registry read benchmarks (quality.md, measured on the county profile).

coverage: services.coverage.coverage(session) over the whole ledger (every village, every township),
median of ``repeat`` runs after a warm-up. Target ≤ 300 ms (county: 200K households, 5.8K 中心户, 16K 联户长).
Floor: raw sqlite3 running only the two household GROUP BY scans coverage is built on (households per
(中心户, village) and per (联户长, village)), i.e. what is left if every other query and all Python were free.

household_first_screen: what opening the household list costs before its first screen shows — the page
first loads the default query's first FIRST_IDS (200) ids (registry_queries.household_ids with ``limit``,
live 在册 households by 户号), then household_rows for the first 40; the whole id list follows on the
worker and continues the list (its time is in the detail). Median. Target ≤ 100 ms.
Floor: raw sqlite3 fetching the same first ids (SELECT id … ORDER BY hh_no, id LIMIT 200).

The ledger is only read (open_ledger on the profile's demo ledger; no call here writes).
"""

from __future__ import annotations

import sqlite3
import statistics

from workloads import Entry, timed_ms

COVERAGE_TARGET_MS = 300.0
FIRST_SCREEN_TARGET_MS = 100.0
FIRST_SCREEN_ROWS = 40


def _open(ctx):
    from ledgerdesk.services import workspace

    return workspace.open_ledger(str(ctx["ledger"]))  # read-only use: nothing is written


def coverage(ctx) -> Entry:
    from ledgerdesk.services.coverage import coverage as run_coverage

    session = _open(ctx)
    try:
        result = {}

        def run():
            result["report"] = run_coverage(session)

        times = timed_ms(run, ctx["repeat"])
    finally:
        session.close()
    raw = sqlite3.connect(f"file:{ctx['ledger']}?mode=ro", uri=True)
    floor_sqls = [f"SELECT {c}, village_id, count(*) FROM household INDEXED BY {i} WHERE deleted = 0 "
                  f"AND status = '在册' GROUP BY {c}, village_id"
                  for c, i in (("center_id", "household_center_cover"), ("link_head_id", "household_head_cover"))]
    floor_times = timed_ms(lambda: [raw.execute(s).fetchall() for s in floor_sqls], ctx["repeat"])
    raw.close()
    value, floor = statistics.median(times), statistics.median(floor_times)
    r = result["report"]
    return Entry(round(value, 1), "ms", f"≤ {COVERAGE_TARGET_MS:.0f} ms", value <= COVERAGE_TARGET_MS,
                 round(floor, 1), round(value / floor, 2) if floor else None,
                 detail={"households": r.households, "centers": r.centers, "heads": r.heads,
                         "villages": len(r.villages), "townships": len(r.townships),
                         "center_coverage_rate": round(r.center_coverage_rate, 4),
                         "runs_ms": [round(t, 1) for t in times]})


def household_first_screen(ctx) -> Entry:
    from ledgerdesk.services.registry_queries import HouseholdQuery, household_ids, household_rows
    from ledgerdesk.ui.widgets.record_table import FIRST_IDS

    session = _open(ctx)
    try:
        result = {}

        def first_screen():
            ids = household_ids(session, HouseholdQuery(), limit=FIRST_IDS)
            result["rows"] = len(household_rows(session, ids[:FIRST_SCREEN_ROWS]))

        def whole_list():
            result["ids"] = len(household_ids(session, HouseholdQuery()))

        times = timed_ms(first_screen, ctx["repeat"])
        whole = timed_ms(whole_list, ctx["repeat"])
    finally:
        session.close()
    raw = sqlite3.connect(f"file:{ctx['ledger']}?mode=ro", uri=True)
    sql = "SELECT id FROM household WHERE deleted = 0 AND status = '在册' ORDER BY hh_no, id"
    floor_times = timed_ms(lambda: raw.execute(f"{sql} LIMIT {FIRST_IDS}").fetchall(), ctx["repeat"])
    whole_floor = timed_ms(lambda: raw.execute(sql).fetchall(), ctx["repeat"])
    raw.close()
    value, floor = statistics.median(times), statistics.median(floor_times)
    return Entry(round(value, 1), "ms", f"≤ {FIRST_SCREEN_TARGET_MS:.0f} ms", value <= FIRST_SCREEN_TARGET_MS,
                 round(floor, 1), round(value / floor, 2) if floor else None,
                 detail={"households": result["ids"], "rows": result["rows"], "first_ids": FIRST_IDS,
                         "runs_ms": [round(t, 1) for t in times],
                         "whole_list_ms": round(statistics.median(whole), 1),
                         "whole_list_floor_ms": round(statistics.median(whole_floor), 1)})


WORKLOADS = {"coverage": coverage, "household_first_screen": household_first_screen}
