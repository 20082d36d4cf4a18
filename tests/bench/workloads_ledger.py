"""Problem-ledger benchmarks.

problem_stats_year: services.problem_stats.problem_stats (with the overlap report) over the demo ledger's whole
year of problems (the period from its first to its last registration day, ≈ 365 days: every problem counts),
median of ``repeat`` runs after a warm-up. Target (quality.md names none; chosen here): a county year (50K
problems, ≈ 300K events) in ≤ 1 s; other profiles are held to the same rate, i.e. 1 s × problems / 50,000.
Floor: raw sqlite3 reading the same events (the columns the replay needs, in (problem_id, at, id) order).
"""

from __future__ import annotations

import datetime as dt
import sqlite3
import statistics

from workloads import Entry, timed_ms

COUNTY_PROBLEMS = 50_000
COUNTY_TARGET_MS = 1_000.0


def problem_stats_year(ctx) -> Entry:
    from ledgerdesk.core.clock import FixedClock
    from ledgerdesk.services import workspace
    from ledgerdesk.services.problem_stats import Period, problem_stats

    path = str(ctx["ledger"])
    raw = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    first, last, problems = raw.execute(
        "SELECT min(registered_at), max(registered_at), count(*) FROM problem WHERE deleted = 0").fetchone()
    events = raw.execute("SELECT count(*) FROM problem_event WHERE deleted = 0").fetchone()[0]
    period = Period.parse(first[:10], last[:10])
    today = period.end + dt.timedelta(days=1)
    clock = FixedClock(dt.datetime.combine(today, dt.time(9)))

    session = workspace.open_ledger(path, clock=clock)  # read-only use: nothing is written
    try:
        result = {}

        def run():
            result["stats"] = problem_stats(session, period, today=today)

        times = timed_ms(run, ctx["repeat"])
    finally:
        session.close()

    floor_sql = ("SELECT problem_id, kind, at, id, responsible_person, responsible_unit, deadline, deadline_kind, "
                 "reason, approved_by, rating, merged_into_id FROM problem_event WHERE deleted = 0 "
                 "ORDER BY problem_id, at, id")
    floor_times = timed_ms(lambda: raw.execute(floor_sql).fetchall(), ctx["repeat"])
    raw.close()

    value = statistics.median(times)
    floor = statistics.median(floor_times)
    target_ms = COUNTY_TARGET_MS * problems / COUNTY_PROBLEMS
    s = result["stats"]
    return Entry(round(value, 1), "ms", f"≤ {target_ms:,.0f} ms (county year ≤ 1 s, scaled by problems)",
                 value <= target_ms, round(floor, 1), round(value / floor, 2),
                 detail={"period": [period.start.isoformat(), period.end.isoformat()], "problems": problems,
                         "events": events, "runs_ms": [round(t, 1) for t in times],
                         "floor_runs_ms": [round(t, 1) for t in floor_times],
                         "received": s.received, "resolved": s.resolved, "on_time_rate": s.on_time_rate,
                         "satisfaction_rate": s.satisfaction_rate, "yellow_cards": s.yellow_cards,
                         "overlap_rate": s.overlap.rate if s.overlap else None})


WORKLOADS = {"problem_stats_year": problem_stats_year}
