-- LedgerDesk schema 5: sync by exported file (sync.md, ledgerdesk/sync/).
--
-- `device` is SYNCED (it has `vid`): the township's enrolled devices and their
-- public signing keys, so a revocation made at the office reaches every
-- replica. Private keys never enter the database: they live in the per-user
-- key store (ledgerdesk/sync/keystore.py).
--
-- The sync_* tables are LOCAL to this file (no `vid`, never exported):
--   sync_file       every bundle applied here, by file id and content digest
--                   (a re-import is recognised; a reused id with other content is an alarm);
--   sync_peer       what each device that sent us a file had seen, per site:
--                   its acknowledgements, which make the next export incremental;
--   sync_site       which device a site id belongs to (names for gap messages);
--   sync_conflict   open conflicts, DERIVED from the version log (store/versions.py
--                   conflicts_of) for the entities that have them;
--   sync_alarm      cloned devices, reused file ids: shown to the administrator;
--   sync_quarantine versions held back from a cloned site, kept, not applied.

CREATE TABLE device (
    id TEXT PRIMARY KEY, vid INTEGER NOT NULL, deleted INTEGER NOT NULL DEFAULT 0,
    name        TEXT NOT NULL,
    role        TEXT NOT NULL DEFAULT 'laptop' CHECK (role IN ('office', 'laptop', 'county')),
    verify_key  TEXT NOT NULL,                 -- Ed25519 public key, hex
    enrolled_at TEXT,
    enrolled_by TEXT NOT NULL DEFAULT '',
    revoked_at  TEXT,
    revoked_by  TEXT NOT NULL DEFAULT '',
    revocation  TEXT NOT NULL DEFAULT ''      -- base64 authority signature of the revocation (sync/devices.py)
);
CREATE INDEX device_name ON device (name);

CREATE TABLE sync_file (
    file_id      TEXT PRIMARY KEY,
    digest       TEXT NOT NULL,               -- sha256 of the whole file
    sender       TEXT NOT NULL,               -- device id
    sender_name  TEXT NOT NULL DEFAULT '',
    sender_site  TEXT NOT NULL DEFAULT '',
    exported_hlc INTEGER NOT NULL DEFAULT 0,
    imported_at  TEXT NOT NULL,
    versions     INTEGER NOT NULL DEFAULT 0,  -- versions in the file
    new_versions INTEGER NOT NULL DEFAULT 0,  -- of which were new here
    ranges       TEXT NOT NULL DEFAULT '{}'   -- JSON {site: [[lo, hi], ...]}
);

CREATE TABLE sync_peer (
    device_id   TEXT PRIMARY KEY,
    name        TEXT NOT NULL DEFAULT '',
    knowledge   TEXT NOT NULL DEFAULT '{}',   -- JSON {site: highest seq held without a gap}
    last_file   TEXT,
    last_seen   TEXT
);

CREATE TABLE sync_site (
    site        TEXT PRIMARY KEY,
    device_id   TEXT NOT NULL DEFAULT '',
    device_name TEXT NOT NULL DEFAULT ''
);

CREATE TABLE sync_conflict (
    entity_id TEXT NOT NULL,
    tbl       TEXT NOT NULL,
    field     TEXT NOT NULL,                  -- a column, or '*' for delete-versus-edit
    kind      TEXT NOT NULL CHECK (kind IN ('value', 'delete')),
    PRIMARY KEY (entity_id, field)
) WITHOUT ROWID;

CREATE TABLE sync_alarm (
    id      INTEGER PRIMARY KEY,
    at      TEXT NOT NULL,
    kind    TEXT NOT NULL,                    -- 'clone' | 'file-id-reused' | 'own-site-cloned'
    site    TEXT NOT NULL DEFAULT '',
    seq     INTEGER NOT NULL DEFAULT 0,       -- clone: versions of `site` from this seq on are quarantined
    file_id TEXT NOT NULL DEFAULT '',
    detail  TEXT NOT NULL DEFAULT ''
);

CREATE TABLE sync_quarantine (
    site      TEXT NOT NULL,
    seq       INTEGER NOT NULL,
    file_id   TEXT NOT NULL,
    hlc       INTEGER NOT NULL,
    author    TEXT NOT NULL,
    tbl       TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    op        TEXT NOT NULL,
    fields    TEXT NOT NULL,
    parents   TEXT NOT NULL,
    PRIMARY KEY (site, seq, file_id)
) WITHOUT ROWID;
