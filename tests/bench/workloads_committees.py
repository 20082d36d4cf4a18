"""六会 supervision benchmark.

committee_checklist: services.committee_supervision.checklist(session) over the whole ledger (every village,
all committees with members and activities), median of ``repeat`` runs after a warm-up.
Target ≤ 300 ms on the county profile (217 villages, 1,302 committees) — our own target, set with the coverage
analytics goal in mind (quality.md names none for the checklist).
Floor: raw sqlite3 running only the two GROUP BY scans the checklist is built on (current members per committee,
last activity and activities this quarter per committee), i.e. what is left if the other queries and all Python
were free.

The ledger is only read (open_ledger on the profile's demo ledger; no call here writes).
"""

from __future__ import annotations

import sqlite3
import statistics

from workloads import Entry, timed_ms

CHECKLIST_TARGET_MS = 300.0


def committee_checklist(ctx) -> Entry:
    from ledgerdesk.services import workspace
    from ledgerdesk.services.committee_supervision import add_months, checklist, quarter_start

    session = workspace.open_ledger(str(ctx["ledger"]))  # read-only use: nothing is written
    try:
        today = session.ledger.clock.today()
        result = {}

        def run():
            result["rows"] = checklist(session, today=today)

        times = timed_ms(run, ctx["repeat"])
    finally:
        session.close()
    day, since = today.isoformat(), quarter_start(today).isoformat()
    raw = sqlite3.connect(f"file:{ctx['ledger']}?mode=ro", uri=True)
    floor_sqls = [
        ("SELECT m.committee_id, count(DISTINCT m.person_id) FROM committee_member m JOIN person p ON p.id = m.person_id "
         "AND p.deleted = 0 AND p.status IN ('在册', '外出') WHERE m.deleted = 0 AND (m.left_on IS NULL OR m.left_on > ?) "
         "GROUP BY m.committee_id", (day,)),
        ("SELECT committee_id, max(held_on), sum(held_on >= ?) FROM committee_activity WHERE deleted = 0 "
         "AND held_on <= ? GROUP BY committee_id", (since, day)),
    ]
    floor_times = timed_ms(lambda: [raw.execute(s, p).fetchall() for s, p in floor_sqls], ctx["repeat"])
    raw.close()
    value, floor = statistics.median(times), statistics.median(floor_times)
    rows = result["rows"]
    return Entry(round(value, 1), "ms", f"≤ {CHECKLIST_TARGET_MS:.0f} ms", value <= CHECKLIST_TARGET_MS,
                 round(floor, 1), round(value / floor, 2) if floor else None,
                 detail={"villages": len(rows), "committees": sum(len(v.committees) for v in rows),
                         "villages_all_six_formed": sum(1 for v in rows if v.all_six_formed),
                         "inactive": sum(len(v.inactive_committees) for v in rows),
                         "inactive_since": add_months(today, -rows[0].inactive_months).isoformat() if rows else None,
                         "runs_ms": [round(t, 1) for t in times]})


WORKLOADS = {"committee_checklist": committee_checklist}
