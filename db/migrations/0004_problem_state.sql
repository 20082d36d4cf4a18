-- LedgerDesk schema 4: problem_state, the derived current state of every problem.
--
-- A LOCAL table (no `vid`: not synced, no guard triggers). The truth is the
-- immutable problem_event log; this is its fold by core.lifecycle.derive, kept
-- so problem lists, filters and yellow cards stay indexed queries at county
-- scale (50K problems, ~250K events). services/ledger.py updates a problem's
-- row in the same transaction as each event it writes; rebuild_problem_state()
-- (services/ledger_queries.py) recomputes the whole table from the events,
-- after a demo build or a sync import. "Overdue" depends on today and is never
-- stored: it is `state IN (登记, 已交办, 办理中) AND deadline < today`.

CREATE TABLE problem_state (
    problem_id         TEXT PRIMARY KEY,
    state              TEXT NOT NULL,        -- core.lifecycle state, e.g. '办理中'
    registered_at      TEXT,                 -- ISO date-times as in problem_event.at
    responsible_person TEXT NOT NULL DEFAULT '',
    responsible_unit   TEXT NOT NULL DEFAULT '',
    dispatched_at      TEXT,
    deadline           TEXT,                 -- effective (extended) deadline, ISO date
    deadline_kind      TEXT,
    original_deadline  TEXT,
    extensions         INTEGER NOT NULL DEFAULT 0,
    handling_since     TEXT,                 -- latest 交办, 退回 or 重新打开 (yellow card: no progress)
    last_note_at       TEXT,                 -- latest 办理
    resolved_at        TEXT,
    rating             TEXT,
    closed_at          TEXT,
    updated_at         TEXT,                 -- latest applied event
    flags              INTEGER NOT NULL DEFAULT 0   -- events skipped as illegal (shown for review)
) WITHOUT ROWID;

CREATE INDEX problem_state_open ON problem_state (state, deadline);
CREATE INDEX problem_state_person ON problem_state (responsible_person);
CREATE INDEX problem_state_unit ON problem_state (responsible_unit);

-- Provisional ledger numbers are looked up by prefix (services/ledger_numbers.py).
CREATE INDEX problem_provisional_no ON problem (provisional_no);
