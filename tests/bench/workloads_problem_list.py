"""Problem-ledger list benchmarks (services/ledger.py + ledger_queries.py + yellow_cards.py).

problem_first_screen: what opening the problem list on its "未办结" tab costs before its first screen
shows — ledger.problem_ids for ProblemQuery(status="未办结") limited to the first FIRST_IDS (200) (open
problems, newest first, filtered in SQL on the local problem_state table) + problem_rows for the first 40
ids (each with its overdue/yellow flags); the whole id list follows on the worker (its time is in the
detail). Median of ``repeat`` runs after a warm-up.
Target (chosen here, as the household list's): ≤ 100 ms. Floor: raw sqlite3 fetching the first 200 live
problem ids newest first (SELECT id FROM problem WHERE deleted = 0 ORDER BY registered_at DESC LIMIT 200).

yellow_cards: the 工作台's current yellow-card list for the whole ledger (ledger.yellow_cards), which the
dashboard loads on the worker thread after the window shows. Target (chosen here): ≤ 300 ms. No floor.

problem_state_rebuild: ledger.rebuild_problem_state over the whole ledger (what the demo build and a sync
import add), on a private copy of the profile's ledger, one run. Target (chosen here): ≥ 25K events/s, i.e.
a county ledger (≈ 250K events) in ≤ 10 s; the cost is core.lifecycle.apply per event, in Python.
Floor: raw sqlite3 reading the same events in the same order.
"""

from __future__ import annotations

import shutil
import sqlite3
import statistics
import tempfile
import time
from pathlib import Path

from workloads import Entry, timed_ms

FIRST_SCREEN_TARGET_MS = 100.0
FIRST_SCREEN_ROWS = 40
YELLOW_CARDS_TARGET_MS = 300.0
REBUILD_TARGET_EPS = 25_000


def problem_first_screen(ctx) -> Entry:
    from ledgerdesk.services import ledger, workspace
    from ledgerdesk.ui.widgets.record_table import FIRST_IDS

    session = workspace.open_ledger(str(ctx["ledger"]))  # read-only use: nothing is written
    query = ledger.ProblemQuery(status=ledger.OPEN)
    try:
        result = {}

        def first_screen():
            ids = ledger.problem_ids(session, query, limit=FIRST_IDS)
            result["rows"] = ledger.problem_rows(session, ids[:FIRST_SCREEN_ROWS])

        def whole_list():
            result["open"] = len(ledger.problem_ids(session, query))

        times = timed_ms(first_screen, ctx["repeat"])
        whole = timed_ms(whole_list, ctx["repeat"])
    finally:
        session.close()
    raw = sqlite3.connect(f"file:{ctx['ledger']}?mode=ro", uri=True)
    sql = "SELECT id FROM problem WHERE deleted = 0 ORDER BY registered_at DESC"
    floor_times = timed_ms(lambda: raw.execute(f"{sql} LIMIT {FIRST_IDS}").fetchall(), ctx["repeat"])
    whole_floor = timed_ms(lambda: raw.execute(sql).fetchall(), ctx["repeat"])
    raw.close()
    value, floor = statistics.median(times), statistics.median(floor_times)
    return Entry(round(value, 1), "ms", f"≤ {FIRST_SCREEN_TARGET_MS:.0f} ms", value <= FIRST_SCREEN_TARGET_MS,
                 round(floor, 1), round(value / floor, 2) if floor else None,
                 detail={"open_problems": result["open"], "first_ids": FIRST_IDS,
                         "runs_ms": [round(t, 1) for t in times],
                         "whole_list_ms": round(statistics.median(whole), 1),
                         "whole_list_floor_ms": round(statistics.median(whole_floor), 1)})


def yellow_cards(ctx) -> Entry:
    from ledgerdesk.services import ledger, workspace

    session = workspace.open_ledger(str(ctx["ledger"]))
    try:
        count = {}
        times = timed_ms(lambda: count.__setitem__("cards", len(ledger.yellow_cards(session))), ctx["repeat"])
    finally:
        session.close()
    value = statistics.median(times)
    return Entry(round(value, 1), "ms", f"≤ {YELLOW_CARDS_TARGET_MS:.0f} ms", value <= YELLOW_CARDS_TARGET_MS,
                 detail={"yellow_cards": count["cards"], "runs_ms": [round(t, 1) for t in times]})


def problem_state_rebuild(ctx) -> Entry:
    from ledgerdesk.services import ledger, workspace

    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / "ledger.sqlite3"
        shutil.copyfile(ctx["ledger"], copy)
        session = workspace.open_ledger(copy)
        try:
            events = session.ledger.db.execute_sql(
                "SELECT count(*) FROM problem_event WHERE deleted = 0").fetchone()[0]
            started = time.perf_counter()
            problems = ledger.rebuild_problem_state(session)
            seconds = time.perf_counter() - started
        finally:
            session.close()
        raw = sqlite3.connect(copy)
        floor_times = timed_ms(lambda: raw.execute(
            "SELECT problem_id, kind, at, id, actor, note, responsible_person, responsible_unit, deadline, "
            "deadline_kind, reason, approved_by, rating, rated_by, rating_method, revisit_result, merged_into_id "
            "FROM problem_event WHERE deleted = 0 ORDER BY problem_id, at, id").fetchall(), 1)
        raw.close()
    rate = events / seconds if seconds else 0.0
    floor_rate = events / (floor_times[0] / 1000) if floor_times[0] else None
    return Entry(round(rate), "events/s", f"≥ {REBUILD_TARGET_EPS:,} events/s", rate >= REBUILD_TARGET_EPS,
                 round(floor_rate) if floor_rate else None, round(floor_rate / rate, 2) if floor_rate and rate else None,
                 detail={"events": events, "problems": problems, "seconds": round(seconds, 2)})


WORKLOADS = {"problem_first_screen": problem_first_screen, "yellow_cards": yellow_cards,
             "problem_state_rebuild": problem_state_rebuild}
