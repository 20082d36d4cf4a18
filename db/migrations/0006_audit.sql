-- LedgerDesk schema 6: the audit trail (quality.md, "Trust: audit"; services/audit.py).
--
-- Who changed what, on which device and when is already in the version log
-- (author, site, hlc); the audit page reads it newest first, filtered by user,
-- table, step or date. ONE index serves that: version_hlc, walked backwards,
-- with the filters applied along the walk until a page is full. It is cheap to
-- keep because hlc only grows (every insert lands at the end of the b-tree).
-- Indexes per filter (author, table, step, deletes, edits) were measured and
-- left out: together they made every version insert about half again as slow
-- (imports, sync, the demo build) to speed up rare filters on the audit page,
-- which runs on the worker thread anyway.
CREATE INDEX version_hlc ON version (hlc);

-- audit_chain: a LOCAL, append-only hash chain (no `vid`: never synced, no
-- guard triggers) over the problem events that close, rate, sign off, revisit
-- or void a problem — written locally or imported by sync — appended in the
-- same transaction that brings the event version into this file.
--   digest    sha256 of the canonical content of the version named by
--             version_key ("site:seq"): site, seq, hlc, author, tbl,
--             entity_id, op, fields and parents exactly as stored
--   prev_hash the previous link's hash (64 zeros for the first)
--   hash      sha256 of prev_hash, digest and the other columns
-- author, device (the version's site id), action (the event kind),
-- problem_id and at (the event's time) repeat facts of the version so the
-- chain reads on its own; audit.verify_chain checks them against it.
-- meta audit_chain_head ("seq:hash" of the last link) and audit_chain_vid
-- (the newest version id the chain has looked at) close the chain's end.
CREATE TABLE audit_chain (
    seq         INTEGER PRIMARY KEY,
    version_key TEXT NOT NULL UNIQUE,
    at          TEXT NOT NULL,
    author      TEXT NOT NULL,
    device      TEXT NOT NULL,
    action      TEXT NOT NULL,
    problem_id  TEXT NOT NULL,
    digest      TEXT NOT NULL,
    prev_hash   TEXT NOT NULL,
    hash        TEXT NOT NULL
);
