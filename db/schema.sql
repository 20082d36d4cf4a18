-- LedgerDesk schema version 7 (generated from db/migrations; do not edit).
-- Regenerate: python -m ledgerdesk.store.schema_dump

CREATE TABLE activity_attendee (
    id TEXT PRIMARY KEY, vid INTEGER NOT NULL, deleted INTEGER NOT NULL DEFAULT 0,
    activity_id TEXT NOT NULL,
    person_id TEXT NOT NULL
);

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

CREATE TABLE category (
    id TEXT PRIMARY KEY, vid INTEGER NOT NULL, deleted INTEGER NOT NULL DEFAULT 0,
    domain TEXT NOT NULL,                    -- 组织覆盖 / 民生服务 / 矛盾化解 / 产业发展
    name TEXT NOT NULL,
    sort_order INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE committee (
    id TEXT PRIMARY KEY, vid INTEGER NOT NULL, deleted INTEGER NOT NULL DEFAULT 0,
    village_id TEXT NOT NULL,
    kind TEXT NOT NULL,                      -- one of the six codes, or 'custom'
    name TEXT NOT NULL,
    founded_on TEXT,
    dissolved_on TEXT,
    charter TEXT NOT NULL DEFAULT ''
);

CREATE TABLE committee_activity (
    id TEXT PRIMARY KEY, vid INTEGER NOT NULL, deleted INTEGER NOT NULL DEFAULT 0,
    committee_id TEXT NOT NULL,
    held_on TEXT NOT NULL,
    kind TEXT NOT NULL DEFAULT '会议',       -- 会议/调解/事务办理/巡逻/评议/宣传/其他
    topic TEXT NOT NULL DEFAULT '',
    decisions TEXT NOT NULL DEFAULT '',
    outcome TEXT NOT NULL DEFAULT '',
    events_handled INTEGER NOT NULL DEFAULT 0,   -- 红白理事会: 办理红白事
    guests INTEGER NOT NULL DEFAULT 0,
    money_saved_yuan INTEGER NOT NULL DEFAULT 0,
    evaluations INTEGER NOT NULL DEFAULT 0,      -- 道德评议会
    red_list INTEGER NOT NULL DEFAULT 0,
    black_list INTEGER NOT NULL DEFAULT 0,
    patrols INTEGER NOT NULL DEFAULT 0           -- 联防联治会
);

CREATE TABLE committee_member (
    id TEXT PRIMARY KEY, vid INTEGER NOT NULL, deleted INTEGER NOT NULL DEFAULT 0,
    committee_id TEXT NOT NULL,
    person_id TEXT NOT NULL,
    role TEXT NOT NULL DEFAULT '成员' CHECK (role IN ('会长', '副会长', '秘书长', '成员')),
    joined_on TEXT,
    left_on TEXT
);

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

CREATE TABLE grid (
    id TEXT PRIMARY KEY, vid INTEGER NOT NULL, deleted INTEGER NOT NULL DEFAULT 0,
    village_id TEXT NOT NULL,
    name TEXT NOT NULL,
    code TEXT NOT NULL DEFAULT ''
);

CREATE TABLE grid_worker (
    id TEXT PRIMARY KEY, vid INTEGER NOT NULL, deleted INTEGER NOT NULL DEFAULT 0,
    grid_id TEXT NOT NULL,
    person_id TEXT NOT NULL,
    role TEXT NOT NULL DEFAULT '网格员' CHECK (role IN ('网格长', '网格员')),
    since TEXT,
    until TEXT
);

CREATE TABLE household (
    id TEXT PRIMARY KEY, vid INTEGER NOT NULL, deleted INTEGER NOT NULL DEFAULT 0,
    village_id TEXT NOT NULL,
    group_id TEXT,
    grid_id TEXT,
    hh_no TEXT NOT NULL DEFAULT '',          -- 户号
    head_person_id TEXT,                     -- 户主
    address TEXT NOT NULL DEFAULT '',
    phone TEXT NOT NULL DEFAULT '',
    level TEXT NOT NULL DEFAULT '绿' CHECK (level IN ('绿', '黄', '红')),  -- 三色
    lat REAL,
    lon REAL,
    winter_pasture TEXT NOT NULL DEFAULT '', -- 冬营盘
    summer_pasture TEXT NOT NULL DEFAULT '', -- 夏营盘
    center_id TEXT,                          -- 党员中心户 covering it (at most one)
    link_head_id TEXT,                       -- 联户长 linking it (exactly one expected)
    status TEXT NOT NULL DEFAULT '在册' CHECK (status IN ('在册', '迁出', '注销')),
    note TEXT NOT NULL DEFAULT ''
);

CREATE TABLE household_tag (
    id TEXT PRIMARY KEY, vid INTEGER NOT NULL, deleted INTEGER NOT NULL DEFAULT 0,
    household_id TEXT NOT NULL,
    tag_id TEXT NOT NULL
);

CREATE TABLE link_head (
    id TEXT PRIMARY KEY, vid INTEGER NOT NULL, deleted INTEGER NOT NULL DEFAULT 0,
    village_id TEXT NOT NULL,
    person_id TEXT NOT NULL,
    household_id TEXT NOT NULL,
    designated_on TEXT,
    ended_on TEXT
);

CREATE TABLE login_attempt (
    username      TEXT PRIMARY KEY,
    failures      INTEGER NOT NULL DEFAULT 0,   -- consecutive failures since the last success
    last_failure  INTEGER NOT NULL DEFAULT 0,   -- ms
    locked_until  INTEGER NOT NULL DEFAULT 0    -- ms; 0 = not locked
) WITHOUT ROWID;

CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE party_center (
    id TEXT PRIMARY KEY, vid INTEGER NOT NULL, deleted INTEGER NOT NULL DEFAULT 0,
    village_id TEXT NOT NULL,
    household_id TEXT NOT NULL,
    person_id TEXT NOT NULL,
    types TEXT NOT NULL DEFAULT '',          -- comma list of 六大员 codes
    designated_on TEXT,
    ended_on TEXT,
    standard_notes TEXT NOT NULL DEFAULT ''  -- 四好四强
);

CREATE TABLE person (
    id TEXT PRIMARY KEY, vid INTEGER NOT NULL, deleted INTEGER NOT NULL DEFAULT 0,
    household_id TEXT NOT NULL,
    name TEXT NOT NULL,
    gender TEXT NOT NULL DEFAULT '' CHECK (gender IN ('', '男', '女')),
    birth_date TEXT,                         -- ISO date
    id_number TEXT NOT NULL DEFAULT '',      -- 身份证号, normalised
    id_status TEXT NOT NULL DEFAULT 'missing' CHECK (id_status IN ('valid', 'invalid', 'missing')),
    phone TEXT NOT NULL DEFAULT '',
    relation TEXT NOT NULL DEFAULT '',       -- 与户主关系
    ethnicity TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL DEFAULT '在册' CHECK (status IN ('在册', '外出', '迁出', '去世')),
    is_party_member INTEGER NOT NULL DEFAULT 0,
    party_branch TEXT NOT NULL DEFAULT '',
    party_joined_on TEXT,
    note TEXT NOT NULL DEFAULT ''
);

CREATE TABLE person_post (
    id TEXT PRIMARY KEY, vid INTEGER NOT NULL, deleted INTEGER NOT NULL DEFAULT 0,
    person_id TEXT NOT NULL,
    post TEXT NOT NULL CHECK (post IN ('党小组长', '村民小组长', '牧民小组长')),
    unit_id TEXT,
    since TEXT,
    until TEXT
);

CREATE TABLE problem (
    id TEXT PRIMARY KEY, vid INTEGER NOT NULL, deleted INTEGER NOT NULL DEFAULT 0,
    township_id TEXT NOT NULL,
    year INTEGER NOT NULL,
    ledger_no TEXT NOT NULL DEFAULT '',      -- official number, assigned by the office
    provisional_no TEXT NOT NULL DEFAULT '', -- device-scoped number until then
    title TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    source TEXT NOT NULL,                    -- 网格员巡查 / 群众反映 / 走访发现 / 12345热线 / 信访 / 上级交办 / 述职评议
    hotline_no TEXT NOT NULL DEFAULT '',     -- external ticket number (12345)
    category_id TEXT,
    urgency TEXT NOT NULL DEFAULT '一般' CHECK (urgency IN ('一般', '紧急', '急难险重')),
    village_id TEXT,
    grid_id TEXT,
    reporter TEXT NOT NULL DEFAULT '',
    reporter_phone TEXT NOT NULL DEFAULT '',
    registered_at TEXT NOT NULL              -- ISO local date-time
);

CREATE TABLE problem_event (
    id TEXT PRIMARY KEY, vid INTEGER NOT NULL, deleted INTEGER NOT NULL DEFAULT 0,
    problem_id TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('登记', '交办', '办理', '办结', '评价', '销号',
                                       '退回', '延期', '重新打开', '合并', '撤销', '回访')),
    at TEXT NOT NULL,                        -- ISO local date-time
    actor TEXT NOT NULL DEFAULT '',
    note TEXT NOT NULL DEFAULT '',
    responsible_person TEXT NOT NULL DEFAULT '',
    responsible_unit TEXT NOT NULL DEFAULT '',
    deadline TEXT,
    deadline_kind TEXT CHECK (deadline_kind IS NULL OR deadline_kind IN ('自然日', '工作日')),
    reason TEXT NOT NULL DEFAULT '',
    approved_by TEXT NOT NULL DEFAULT '',
    rating TEXT CHECK (rating IS NULL OR rating IN ('满意', '基本满意', '不满意')),
    rated_by TEXT NOT NULL DEFAULT '',
    rating_method TEXT NOT NULL DEFAULT '',  -- 上门 / 电话
    revisit_result TEXT NOT NULL DEFAULT '',
    merged_into_id TEXT
);

CREATE TABLE problem_household (
    id TEXT PRIMARY KEY, vid INTEGER NOT NULL, deleted INTEGER NOT NULL DEFAULT 0,
    problem_id TEXT NOT NULL,
    household_id TEXT NOT NULL
);

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

CREATE VIRTUAL TABLE search_fts USING fts5(
    name, code, address, tokenize = 'trigram', content = '', columnsize = 0);

CREATE TABLE 'search_fts_config'(k PRIMARY KEY, v) WITHOUT ROWID;

CREATE TABLE 'search_fts_data'(id INTEGER PRIMARY KEY, block BLOB);

CREATE TABLE 'search_fts_idx'(segid, term, pgno, PRIMARY KEY(segid, term)) WITHOUT ROWID;

CREATE TABLE search_ref (
    docid  INTEGER PRIMARY KEY,
    ref_id TEXT NOT NULL UNIQUE,
    kind   TEXT NOT NULL CHECK (kind IN ('p', 'h'))
);

CREATE TABLE setting (
    id TEXT PRIMARY KEY, vid INTEGER NOT NULL, deleted INTEGER NOT NULL DEFAULT 0,
    key TEXT NOT NULL,
    value TEXT NOT NULL
);

CREATE TABLE sync_alarm (
    id      INTEGER PRIMARY KEY,
    at      TEXT NOT NULL,
    kind    TEXT NOT NULL,                    -- 'clone' | 'file-id-reused' | 'own-site-cloned'
    site    TEXT NOT NULL DEFAULT '',
    seq     INTEGER NOT NULL DEFAULT 0,       -- clone: versions of `site` from this seq on are quarantined
    file_id TEXT NOT NULL DEFAULT '',
    detail  TEXT NOT NULL DEFAULT ''
);

CREATE TABLE sync_conflict (
    entity_id TEXT NOT NULL,
    tbl       TEXT NOT NULL,
    field     TEXT NOT NULL,                  -- a column, or '*' for delete-versus-edit
    kind      TEXT NOT NULL CHECK (kind IN ('value', 'delete')),
    PRIMARY KEY (entity_id, field)
) WITHOUT ROWID;

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

CREATE TABLE sync_site (
    site        TEXT PRIMARY KEY,
    device_id   TEXT NOT NULL DEFAULT '',
    device_name TEXT NOT NULL DEFAULT ''
);

CREATE TABLE tag (
    id TEXT PRIMARY KEY, vid INTEGER NOT NULL, deleted INTEGER NOT NULL DEFAULT 0,
    name TEXT NOT NULL,
    builtin INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE township (
    id TEXT PRIMARY KEY, vid INTEGER NOT NULL, deleted INTEGER NOT NULL DEFAULT 0,
    name TEXT NOT NULL,
    county TEXT NOT NULL DEFAULT '',
    code TEXT NOT NULL DEFAULT ''
);

CREATE TABLE user_account (
    id TEXT PRIMARY KEY, vid INTEGER NOT NULL, deleted INTEGER NOT NULL DEFAULT 0,
    username TEXT NOT NULL,
    display_name TEXT NOT NULL DEFAULT '',
    role TEXT NOT NULL CHECK (role IN ('管理员', '书记', '录入员', '只读')),
    village_ids TEXT NOT NULL DEFAULT '',    -- comma list; empty = all villages
    password_hash TEXT NOT NULL DEFAULT '',
    active INTEGER NOT NULL DEFAULT 1
);

CREATE TABLE version (
    id        INTEGER PRIMARY KEY,          -- local only, never crosses a machine
    site      TEXT    NOT NULL,             -- the database file that wrote it
    seq       INTEGER NOT NULL,             -- per-site sequence number, from 1
    hlc       INTEGER NOT NULL,             -- hybrid logical clock: ms << 16 | counter
    author    TEXT    NOT NULL,
    tbl       TEXT    NOT NULL,
    entity_id TEXT    NOT NULL,
    op        TEXT    NOT NULL CHECK (op IN ('put', 'del')),
    fields    TEXT    NOT NULL,             -- JSON object: the columns this version set
    parents   TEXT    NOT NULL DEFAULT '[]',-- JSON list of "site:seq" it replaced
    UNIQUE (site, seq)
);

CREATE TABLE village (
    id TEXT PRIMARY KEY, vid INTEGER NOT NULL, deleted INTEGER NOT NULL DEFAULT 0,
    township_id TEXT NOT NULL,
    name TEXT NOT NULL,
    kind TEXT NOT NULL DEFAULT '村' CHECK (kind IN ('村', '社区', '嘎查')),
    code TEXT NOT NULL DEFAULT '',
    sort_order INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE village_group (
    id TEXT PRIMARY KEY, vid INTEGER NOT NULL, deleted INTEGER NOT NULL DEFAULT 0,
    village_id TEXT NOT NULL,
    name TEXT NOT NULL,
    kind TEXT NOT NULL DEFAULT '村民小组' CHECK (kind IN ('村民小组', '牧民小组', '居民小组'))
);

CREATE TABLE visit (
    id TEXT PRIMARY KEY, vid INTEGER NOT NULL, deleted INTEGER NOT NULL DEFAULT 0,
    village_id TEXT NOT NULL,
    visited_on TEXT NOT NULL,
    kind TEXT NOT NULL DEFAULT '走访' CHECK (kind IN ('走访', '敲门行动', '院坝会', '田埂会')),
    visitors TEXT NOT NULL DEFAULT '',
    findings TEXT NOT NULL DEFAULT '',
    needs TEXT NOT NULL DEFAULT '',
    next_due TEXT
);

CREATE TABLE visit_household (
    id TEXT PRIMARY KEY, vid INTEGER NOT NULL, deleted INTEGER NOT NULL DEFAULT 0,
    visit_id TEXT NOT NULL,
    household_id TEXT NOT NULL
);

CREATE INDEX activity_attendee_activity ON activity_attendee (activity_id);

CREATE INDEX "activity_attendee_tombstones" ON "activity_attendee" (id) WHERE deleted = 1;

CREATE INDEX "category_tombstones" ON "category" (id) WHERE deleted = 1;

CREATE INDEX "committee_tombstones" ON "committee" (id) WHERE deleted = 1;

CREATE INDEX committee_village ON committee (village_id);

CREATE INDEX committee_activity_committee ON committee_activity (committee_id, held_on);

CREATE INDEX "committee_activity_tombstones" ON "committee_activity" (id) WHERE deleted = 1;

CREATE INDEX committee_member_committee ON committee_member (committee_id);

CREATE INDEX committee_member_person ON committee_member (person_id);

CREATE INDEX "committee_member_tombstones" ON "committee_member" (id) WHERE deleted = 1;

CREATE INDEX device_name ON device (name);

CREATE INDEX "device_tombstones" ON "device" (id) WHERE deleted = 1;

CREATE INDEX "grid_tombstones" ON "grid" (id) WHERE deleted = 1;

CREATE INDEX grid_village ON grid (village_id);

CREATE INDEX grid_worker_grid ON grid_worker (grid_id);

CREATE INDEX grid_worker_person ON grid_worker (person_id);

CREATE INDEX "grid_worker_tombstones" ON "grid_worker" (id) WHERE deleted = 1;

CREATE INDEX household_center ON household (center_id);

CREATE INDEX household_center_cover ON household (center_id, village_id, deleted, status);

CREATE INDEX household_grid ON household (grid_id);

CREATE INDEX household_head_cover ON household (link_head_id, village_id, deleted, status);

CREATE INDEX household_hh_no ON household (hh_no);

CREATE INDEX household_link_head ON household (link_head_id);

CREATE INDEX household_list ON household (hh_no, id, deleted, status);

CREATE INDEX household_list_village ON household (village_id, deleted, status, hh_no, id);

CREATE INDEX "household_tombstones" ON "household" (id) WHERE deleted = 1;

CREATE INDEX household_village ON household (village_id);

CREATE INDEX household_tag_household ON household_tag (household_id);

CREATE INDEX household_tag_tag ON household_tag (tag_id);

CREATE INDEX "household_tag_tombstones" ON "household_tag" (id) WHERE deleted = 1;

CREATE INDEX link_head_person ON link_head (person_id);

CREATE INDEX "link_head_tombstones" ON "link_head" (id) WHERE deleted = 1;

CREATE INDEX link_head_village ON link_head (village_id);

CREATE INDEX party_center_person ON party_center (person_id);

CREATE INDEX "party_center_tombstones" ON "party_center" (id) WHERE deleted = 1;

CREATE INDEX party_center_village ON party_center (village_id);

CREATE INDEX person_household ON person (household_id);

CREATE INDEX person_id_number ON person (id_number);

CREATE INDEX person_name ON person (name);

CREATE INDEX person_party_member ON person (household_id) WHERE is_party_member = 1 AND deleted = 0;

CREATE INDEX person_phone ON person (phone);

CREATE INDEX "person_tombstones" ON "person" (id) WHERE deleted = 1;

CREATE INDEX person_post_person ON person_post (person_id);

CREATE INDEX "person_post_tombstones" ON "person_post" (id) WHERE deleted = 1;

CREATE INDEX problem_ledger_no ON problem (ledger_no);

CREATE INDEX problem_provisional_no ON problem (provisional_no);

CREATE INDEX problem_registered ON problem (registered_at);

CREATE INDEX "problem_tombstones" ON "problem" (id) WHERE deleted = 1;

CREATE INDEX problem_village ON problem (village_id, registered_at);

CREATE INDEX problem_event_problem ON problem_event (problem_id, at);

CREATE INDEX "problem_event_tombstones" ON "problem_event" (id) WHERE deleted = 1;

CREATE INDEX problem_household_household ON problem_household (household_id);

CREATE INDEX problem_household_problem ON problem_household (problem_id);

CREATE INDEX "problem_household_tombstones" ON "problem_household" (id) WHERE deleted = 1;

CREATE INDEX problem_state_open ON problem_state (state, deadline);

CREATE INDEX problem_state_person ON problem_state (responsible_person);

CREATE INDEX problem_state_unit ON problem_state (responsible_unit);

CREATE INDEX "setting_tombstones" ON "setting" (id) WHERE deleted = 1;

CREATE INDEX "tag_tombstones" ON "tag" (id) WHERE deleted = 1;

CREATE INDEX "township_tombstones" ON "township" (id) WHERE deleted = 1;

CREATE INDEX "user_account_tombstones" ON "user_account" (id) WHERE deleted = 1;

CREATE INDEX user_account_username ON user_account (username);

CREATE INDEX version_entity ON version (entity_id);

CREATE INDEX version_hlc ON version (hlc);

CREATE INDEX "village_tombstones" ON "village" (id) WHERE deleted = 1;

CREATE INDEX village_township ON village (township_id);

CREATE INDEX "village_group_tombstones" ON "village_group" (id) WHERE deleted = 1;

CREATE INDEX village_group_village ON village_group (village_id);

CREATE INDEX "visit_tombstones" ON "visit" (id) WHERE deleted = 1;

CREATE INDEX visit_village ON visit (village_id, visited_on);

CREATE INDEX visit_household_household ON visit_household (household_id);

CREATE INDEX "visit_household_tombstones" ON "visit_household" (id) WHERE deleted = 1;

CREATE INDEX visit_household_visit ON visit_household (visit_id);

CREATE TRIGGER "activity_attendee_guard_delete" BEFORE DELETE ON "activity_attendee" BEGIN SELECT RAISE(ABORT, 'unversioned delete from activity_attendee'); END;

CREATE TRIGGER "activity_attendee_guard_insert" BEFORE INSERT ON "activity_attendee" WHEN NOT EXISTS (SELECT 1 FROM version WHERE id = NEW.vid AND entity_id = NEW.id) BEGIN SELECT RAISE(ABORT, 'unversioned write to activity_attendee'); END;

CREATE TRIGGER "activity_attendee_guard_update" BEFORE UPDATE ON "activity_attendee" WHEN NEW.vid IS NULL OR OLD.vid IS NULL OR NEW.vid <= OLD.vid OR NEW.id IS NOT OLD.id OR NOT EXISTS (SELECT 1 FROM version WHERE id = NEW.vid AND entity_id = NEW.id) BEGIN SELECT RAISE(ABORT, 'unversioned write to activity_attendee'); END;

CREATE TRIGGER "category_guard_delete" BEFORE DELETE ON "category" BEGIN SELECT RAISE(ABORT, 'unversioned delete from category'); END;

CREATE TRIGGER "category_guard_insert" BEFORE INSERT ON "category" WHEN NOT EXISTS (SELECT 1 FROM version WHERE id = NEW.vid AND entity_id = NEW.id) BEGIN SELECT RAISE(ABORT, 'unversioned write to category'); END;

CREATE TRIGGER "category_guard_update" BEFORE UPDATE ON "category" WHEN NEW.vid IS NULL OR OLD.vid IS NULL OR NEW.vid <= OLD.vid OR NEW.id IS NOT OLD.id OR NOT EXISTS (SELECT 1 FROM version WHERE id = NEW.vid AND entity_id = NEW.id) BEGIN SELECT RAISE(ABORT, 'unversioned write to category'); END;

CREATE TRIGGER "committee_guard_delete" BEFORE DELETE ON "committee" BEGIN SELECT RAISE(ABORT, 'unversioned delete from committee'); END;

CREATE TRIGGER "committee_guard_insert" BEFORE INSERT ON "committee" WHEN NOT EXISTS (SELECT 1 FROM version WHERE id = NEW.vid AND entity_id = NEW.id) BEGIN SELECT RAISE(ABORT, 'unversioned write to committee'); END;

CREATE TRIGGER "committee_guard_update" BEFORE UPDATE ON "committee" WHEN NEW.vid IS NULL OR OLD.vid IS NULL OR NEW.vid <= OLD.vid OR NEW.id IS NOT OLD.id OR NOT EXISTS (SELECT 1 FROM version WHERE id = NEW.vid AND entity_id = NEW.id) BEGIN SELECT RAISE(ABORT, 'unversioned write to committee'); END;

CREATE TRIGGER "committee_activity_guard_delete" BEFORE DELETE ON "committee_activity" BEGIN SELECT RAISE(ABORT, 'unversioned delete from committee_activity'); END;

CREATE TRIGGER "committee_activity_guard_insert" BEFORE INSERT ON "committee_activity" WHEN NOT EXISTS (SELECT 1 FROM version WHERE id = NEW.vid AND entity_id = NEW.id) BEGIN SELECT RAISE(ABORT, 'unversioned write to committee_activity'); END;

CREATE TRIGGER "committee_activity_guard_update" BEFORE UPDATE ON "committee_activity" WHEN NEW.vid IS NULL OR OLD.vid IS NULL OR NEW.vid <= OLD.vid OR NEW.id IS NOT OLD.id OR NOT EXISTS (SELECT 1 FROM version WHERE id = NEW.vid AND entity_id = NEW.id) BEGIN SELECT RAISE(ABORT, 'unversioned write to committee_activity'); END;

CREATE TRIGGER "committee_member_guard_delete" BEFORE DELETE ON "committee_member" BEGIN SELECT RAISE(ABORT, 'unversioned delete from committee_member'); END;

CREATE TRIGGER "committee_member_guard_insert" BEFORE INSERT ON "committee_member" WHEN NOT EXISTS (SELECT 1 FROM version WHERE id = NEW.vid AND entity_id = NEW.id) BEGIN SELECT RAISE(ABORT, 'unversioned write to committee_member'); END;

CREATE TRIGGER "committee_member_guard_update" BEFORE UPDATE ON "committee_member" WHEN NEW.vid IS NULL OR OLD.vid IS NULL OR NEW.vid <= OLD.vid OR NEW.id IS NOT OLD.id OR NOT EXISTS (SELECT 1 FROM version WHERE id = NEW.vid AND entity_id = NEW.id) BEGIN SELECT RAISE(ABORT, 'unversioned write to committee_member'); END;

CREATE TRIGGER "device_guard_delete" BEFORE DELETE ON "device" BEGIN SELECT RAISE(ABORT, 'unversioned delete from device'); END;

CREATE TRIGGER "device_guard_insert" BEFORE INSERT ON "device" WHEN NOT EXISTS (SELECT 1 FROM version WHERE id = NEW.vid AND entity_id = NEW.id) BEGIN SELECT RAISE(ABORT, 'unversioned write to device'); END;

CREATE TRIGGER "device_guard_update" BEFORE UPDATE ON "device" WHEN NEW.vid IS NULL OR OLD.vid IS NULL OR NEW.vid <= OLD.vid OR NEW.id IS NOT OLD.id OR NOT EXISTS (SELECT 1 FROM version WHERE id = NEW.vid AND entity_id = NEW.id) BEGIN SELECT RAISE(ABORT, 'unversioned write to device'); END;

CREATE TRIGGER "grid_guard_delete" BEFORE DELETE ON "grid" BEGIN SELECT RAISE(ABORT, 'unversioned delete from grid'); END;

CREATE TRIGGER "grid_guard_insert" BEFORE INSERT ON "grid" WHEN NOT EXISTS (SELECT 1 FROM version WHERE id = NEW.vid AND entity_id = NEW.id) BEGIN SELECT RAISE(ABORT, 'unversioned write to grid'); END;

CREATE TRIGGER "grid_guard_update" BEFORE UPDATE ON "grid" WHEN NEW.vid IS NULL OR OLD.vid IS NULL OR NEW.vid <= OLD.vid OR NEW.id IS NOT OLD.id OR NOT EXISTS (SELECT 1 FROM version WHERE id = NEW.vid AND entity_id = NEW.id) BEGIN SELECT RAISE(ABORT, 'unversioned write to grid'); END;

CREATE TRIGGER "grid_worker_guard_delete" BEFORE DELETE ON "grid_worker" BEGIN SELECT RAISE(ABORT, 'unversioned delete from grid_worker'); END;

CREATE TRIGGER "grid_worker_guard_insert" BEFORE INSERT ON "grid_worker" WHEN NOT EXISTS (SELECT 1 FROM version WHERE id = NEW.vid AND entity_id = NEW.id) BEGIN SELECT RAISE(ABORT, 'unversioned write to grid_worker'); END;

CREATE TRIGGER "grid_worker_guard_update" BEFORE UPDATE ON "grid_worker" WHEN NEW.vid IS NULL OR OLD.vid IS NULL OR NEW.vid <= OLD.vid OR NEW.id IS NOT OLD.id OR NOT EXISTS (SELECT 1 FROM version WHERE id = NEW.vid AND entity_id = NEW.id) BEGIN SELECT RAISE(ABORT, 'unversioned write to grid_worker'); END;

CREATE TRIGGER "household_guard_delete" BEFORE DELETE ON "household" BEGIN SELECT RAISE(ABORT, 'unversioned delete from household'); END;

CREATE TRIGGER "household_guard_insert" BEFORE INSERT ON "household" WHEN NOT EXISTS (SELECT 1 FROM version WHERE id = NEW.vid AND entity_id = NEW.id) BEGIN SELECT RAISE(ABORT, 'unversioned write to household'); END;

CREATE TRIGGER "household_guard_update" BEFORE UPDATE ON "household" WHEN NEW.vid IS NULL OR OLD.vid IS NULL OR NEW.vid <= OLD.vid OR NEW.id IS NOT OLD.id OR NOT EXISTS (SELECT 1 FROM version WHERE id = NEW.vid AND entity_id = NEW.id) BEGIN SELECT RAISE(ABORT, 'unversioned write to household'); END;

CREATE TRIGGER search_household_insert AFTER INSERT ON household WHEN NEW.deleted = 0
BEGIN
    INSERT INTO search_ref (ref_id, kind) VALUES (NEW.id, 'h');
    INSERT INTO search_fts (rowid, name, code, address)
    SELECT docid, '', NEW.hh_no || ' ' || NEW.phone, NEW.address
    FROM search_ref WHERE ref_id = NEW.id;
END;

CREATE TRIGGER search_household_update AFTER UPDATE OF hh_no, address, phone, deleted ON household
BEGIN
    INSERT INTO search_fts (search_fts, rowid, name, code, address)
    SELECT 'delete', docid, '', OLD.hh_no || ' ' || OLD.phone, OLD.address
    FROM search_ref WHERE ref_id = OLD.id;
    DELETE FROM search_ref WHERE ref_id = OLD.id;
    INSERT INTO search_ref (ref_id, kind) SELECT NEW.id, 'h' WHERE NEW.deleted = 0;
    INSERT INTO search_fts (rowid, name, code, address)
    SELECT docid, '', NEW.hh_no || ' ' || NEW.phone, NEW.address
    FROM search_ref WHERE ref_id = NEW.id;
END;

CREATE TRIGGER "household_tag_guard_delete" BEFORE DELETE ON "household_tag" BEGIN SELECT RAISE(ABORT, 'unversioned delete from household_tag'); END;

CREATE TRIGGER "household_tag_guard_insert" BEFORE INSERT ON "household_tag" WHEN NOT EXISTS (SELECT 1 FROM version WHERE id = NEW.vid AND entity_id = NEW.id) BEGIN SELECT RAISE(ABORT, 'unversioned write to household_tag'); END;

CREATE TRIGGER "household_tag_guard_update" BEFORE UPDATE ON "household_tag" WHEN NEW.vid IS NULL OR OLD.vid IS NULL OR NEW.vid <= OLD.vid OR NEW.id IS NOT OLD.id OR NOT EXISTS (SELECT 1 FROM version WHERE id = NEW.vid AND entity_id = NEW.id) BEGIN SELECT RAISE(ABORT, 'unversioned write to household_tag'); END;

CREATE TRIGGER "link_head_guard_delete" BEFORE DELETE ON "link_head" BEGIN SELECT RAISE(ABORT, 'unversioned delete from link_head'); END;

CREATE TRIGGER "link_head_guard_insert" BEFORE INSERT ON "link_head" WHEN NOT EXISTS (SELECT 1 FROM version WHERE id = NEW.vid AND entity_id = NEW.id) BEGIN SELECT RAISE(ABORT, 'unversioned write to link_head'); END;

CREATE TRIGGER "link_head_guard_update" BEFORE UPDATE ON "link_head" WHEN NEW.vid IS NULL OR OLD.vid IS NULL OR NEW.vid <= OLD.vid OR NEW.id IS NOT OLD.id OR NOT EXISTS (SELECT 1 FROM version WHERE id = NEW.vid AND entity_id = NEW.id) BEGIN SELECT RAISE(ABORT, 'unversioned write to link_head'); END;

CREATE TRIGGER "party_center_guard_delete" BEFORE DELETE ON "party_center" BEGIN SELECT RAISE(ABORT, 'unversioned delete from party_center'); END;

CREATE TRIGGER "party_center_guard_insert" BEFORE INSERT ON "party_center" WHEN NOT EXISTS (SELECT 1 FROM version WHERE id = NEW.vid AND entity_id = NEW.id) BEGIN SELECT RAISE(ABORT, 'unversioned write to party_center'); END;

CREATE TRIGGER "party_center_guard_update" BEFORE UPDATE ON "party_center" WHEN NEW.vid IS NULL OR OLD.vid IS NULL OR NEW.vid <= OLD.vid OR NEW.id IS NOT OLD.id OR NOT EXISTS (SELECT 1 FROM version WHERE id = NEW.vid AND entity_id = NEW.id) BEGIN SELECT RAISE(ABORT, 'unversioned write to party_center'); END;

CREATE TRIGGER "person_guard_delete" BEFORE DELETE ON "person" BEGIN SELECT RAISE(ABORT, 'unversioned delete from person'); END;

CREATE TRIGGER "person_guard_insert" BEFORE INSERT ON "person" WHEN NOT EXISTS (SELECT 1 FROM version WHERE id = NEW.vid AND entity_id = NEW.id) BEGIN SELECT RAISE(ABORT, 'unversioned write to person'); END;

CREATE TRIGGER "person_guard_update" BEFORE UPDATE ON "person" WHEN NEW.vid IS NULL OR OLD.vid IS NULL OR NEW.vid <= OLD.vid OR NEW.id IS NOT OLD.id OR NOT EXISTS (SELECT 1 FROM version WHERE id = NEW.vid AND entity_id = NEW.id) BEGIN SELECT RAISE(ABORT, 'unversioned write to person'); END;

CREATE TRIGGER search_person_insert AFTER INSERT ON person WHEN NEW.deleted = 0
BEGIN
    INSERT INTO search_ref (ref_id, kind) VALUES (NEW.id, 'p');
    INSERT INTO search_fts (rowid, name, code, address)
    SELECT docid, NEW.name || char(3), NEW.id_number || ' ' || NEW.phone, ''
    FROM search_ref WHERE ref_id = NEW.id;
END;

CREATE TRIGGER search_person_update AFTER UPDATE OF name, id_number, phone, deleted ON person
BEGIN
    INSERT INTO search_fts (search_fts, rowid, name, code, address)
    SELECT 'delete', docid, OLD.name || char(3), OLD.id_number || ' ' || OLD.phone, ''
    FROM search_ref WHERE ref_id = OLD.id;
    DELETE FROM search_ref WHERE ref_id = OLD.id;
    INSERT INTO search_ref (ref_id, kind) SELECT NEW.id, 'p' WHERE NEW.deleted = 0;
    INSERT INTO search_fts (rowid, name, code, address)
    SELECT docid, NEW.name || char(3), NEW.id_number || ' ' || NEW.phone, ''
    FROM search_ref WHERE ref_id = NEW.id;
END;

CREATE TRIGGER "person_post_guard_delete" BEFORE DELETE ON "person_post" BEGIN SELECT RAISE(ABORT, 'unversioned delete from person_post'); END;

CREATE TRIGGER "person_post_guard_insert" BEFORE INSERT ON "person_post" WHEN NOT EXISTS (SELECT 1 FROM version WHERE id = NEW.vid AND entity_id = NEW.id) BEGIN SELECT RAISE(ABORT, 'unversioned write to person_post'); END;

CREATE TRIGGER "person_post_guard_update" BEFORE UPDATE ON "person_post" WHEN NEW.vid IS NULL OR OLD.vid IS NULL OR NEW.vid <= OLD.vid OR NEW.id IS NOT OLD.id OR NOT EXISTS (SELECT 1 FROM version WHERE id = NEW.vid AND entity_id = NEW.id) BEGIN SELECT RAISE(ABORT, 'unversioned write to person_post'); END;

CREATE TRIGGER "problem_guard_delete" BEFORE DELETE ON "problem" BEGIN SELECT RAISE(ABORT, 'unversioned delete from problem'); END;

CREATE TRIGGER "problem_guard_insert" BEFORE INSERT ON "problem" WHEN NOT EXISTS (SELECT 1 FROM version WHERE id = NEW.vid AND entity_id = NEW.id) BEGIN SELECT RAISE(ABORT, 'unversioned write to problem'); END;

CREATE TRIGGER "problem_guard_update" BEFORE UPDATE ON "problem" WHEN NEW.vid IS NULL OR OLD.vid IS NULL OR NEW.vid <= OLD.vid OR NEW.id IS NOT OLD.id OR NOT EXISTS (SELECT 1 FROM version WHERE id = NEW.vid AND entity_id = NEW.id) BEGIN SELECT RAISE(ABORT, 'unversioned write to problem'); END;

CREATE TRIGGER "problem_event_guard_delete" BEFORE DELETE ON "problem_event" BEGIN SELECT RAISE(ABORT, 'unversioned delete from problem_event'); END;

CREATE TRIGGER "problem_event_guard_insert" BEFORE INSERT ON "problem_event" WHEN NOT EXISTS (SELECT 1 FROM version WHERE id = NEW.vid AND entity_id = NEW.id) BEGIN SELECT RAISE(ABORT, 'unversioned write to problem_event'); END;

CREATE TRIGGER "problem_event_guard_update" BEFORE UPDATE ON "problem_event" WHEN NEW.vid IS NULL OR OLD.vid IS NULL OR NEW.vid <= OLD.vid OR NEW.id IS NOT OLD.id OR NOT EXISTS (SELECT 1 FROM version WHERE id = NEW.vid AND entity_id = NEW.id) BEGIN SELECT RAISE(ABORT, 'unversioned write to problem_event'); END;

CREATE TRIGGER problem_event_immutable BEFORE UPDATE ON problem_event
BEGIN SELECT RAISE(ABORT, 'ledger events are immutable'); END;

CREATE TRIGGER "problem_household_guard_delete" BEFORE DELETE ON "problem_household" BEGIN SELECT RAISE(ABORT, 'unversioned delete from problem_household'); END;

CREATE TRIGGER "problem_household_guard_insert" BEFORE INSERT ON "problem_household" WHEN NOT EXISTS (SELECT 1 FROM version WHERE id = NEW.vid AND entity_id = NEW.id) BEGIN SELECT RAISE(ABORT, 'unversioned write to problem_household'); END;

CREATE TRIGGER "problem_household_guard_update" BEFORE UPDATE ON "problem_household" WHEN NEW.vid IS NULL OR OLD.vid IS NULL OR NEW.vid <= OLD.vid OR NEW.id IS NOT OLD.id OR NOT EXISTS (SELECT 1 FROM version WHERE id = NEW.vid AND entity_id = NEW.id) BEGIN SELECT RAISE(ABORT, 'unversioned write to problem_household'); END;

CREATE TRIGGER "setting_guard_delete" BEFORE DELETE ON "setting" BEGIN SELECT RAISE(ABORT, 'unversioned delete from setting'); END;

CREATE TRIGGER "setting_guard_insert" BEFORE INSERT ON "setting" WHEN NOT EXISTS (SELECT 1 FROM version WHERE id = NEW.vid AND entity_id = NEW.id) BEGIN SELECT RAISE(ABORT, 'unversioned write to setting'); END;

CREATE TRIGGER "setting_guard_update" BEFORE UPDATE ON "setting" WHEN NEW.vid IS NULL OR OLD.vid IS NULL OR NEW.vid <= OLD.vid OR NEW.id IS NOT OLD.id OR NOT EXISTS (SELECT 1 FROM version WHERE id = NEW.vid AND entity_id = NEW.id) BEGIN SELECT RAISE(ABORT, 'unversioned write to setting'); END;

CREATE TRIGGER "tag_guard_delete" BEFORE DELETE ON "tag" BEGIN SELECT RAISE(ABORT, 'unversioned delete from tag'); END;

CREATE TRIGGER "tag_guard_insert" BEFORE INSERT ON "tag" WHEN NOT EXISTS (SELECT 1 FROM version WHERE id = NEW.vid AND entity_id = NEW.id) BEGIN SELECT RAISE(ABORT, 'unversioned write to tag'); END;

CREATE TRIGGER "tag_guard_update" BEFORE UPDATE ON "tag" WHEN NEW.vid IS NULL OR OLD.vid IS NULL OR NEW.vid <= OLD.vid OR NEW.id IS NOT OLD.id OR NOT EXISTS (SELECT 1 FROM version WHERE id = NEW.vid AND entity_id = NEW.id) BEGIN SELECT RAISE(ABORT, 'unversioned write to tag'); END;

CREATE TRIGGER "township_guard_delete" BEFORE DELETE ON "township" BEGIN SELECT RAISE(ABORT, 'unversioned delete from township'); END;

CREATE TRIGGER "township_guard_insert" BEFORE INSERT ON "township" WHEN NOT EXISTS (SELECT 1 FROM version WHERE id = NEW.vid AND entity_id = NEW.id) BEGIN SELECT RAISE(ABORT, 'unversioned write to township'); END;

CREATE TRIGGER "township_guard_update" BEFORE UPDATE ON "township" WHEN NEW.vid IS NULL OR OLD.vid IS NULL OR NEW.vid <= OLD.vid OR NEW.id IS NOT OLD.id OR NOT EXISTS (SELECT 1 FROM version WHERE id = NEW.vid AND entity_id = NEW.id) BEGIN SELECT RAISE(ABORT, 'unversioned write to township'); END;

CREATE TRIGGER "user_account_guard_delete" BEFORE DELETE ON "user_account" BEGIN SELECT RAISE(ABORT, 'unversioned delete from user_account'); END;

CREATE TRIGGER "user_account_guard_insert" BEFORE INSERT ON "user_account" WHEN NOT EXISTS (SELECT 1 FROM version WHERE id = NEW.vid AND entity_id = NEW.id) BEGIN SELECT RAISE(ABORT, 'unversioned write to user_account'); END;

CREATE TRIGGER "user_account_guard_update" BEFORE UPDATE ON "user_account" WHEN NEW.vid IS NULL OR OLD.vid IS NULL OR NEW.vid <= OLD.vid OR NEW.id IS NOT OLD.id OR NOT EXISTS (SELECT 1 FROM version WHERE id = NEW.vid AND entity_id = NEW.id) BEGIN SELECT RAISE(ABORT, 'unversioned write to user_account'); END;

CREATE TRIGGER version_immutable_delete BEFORE DELETE ON version
BEGIN SELECT RAISE(ABORT, 'versions are immutable'); END;

CREATE TRIGGER version_immutable_update BEFORE UPDATE ON version
BEGIN SELECT RAISE(ABORT, 'versions are immutable'); END;

CREATE TRIGGER "village_guard_delete" BEFORE DELETE ON "village" BEGIN SELECT RAISE(ABORT, 'unversioned delete from village'); END;

CREATE TRIGGER "village_guard_insert" BEFORE INSERT ON "village" WHEN NOT EXISTS (SELECT 1 FROM version WHERE id = NEW.vid AND entity_id = NEW.id) BEGIN SELECT RAISE(ABORT, 'unversioned write to village'); END;

CREATE TRIGGER "village_guard_update" BEFORE UPDATE ON "village" WHEN NEW.vid IS NULL OR OLD.vid IS NULL OR NEW.vid <= OLD.vid OR NEW.id IS NOT OLD.id OR NOT EXISTS (SELECT 1 FROM version WHERE id = NEW.vid AND entity_id = NEW.id) BEGIN SELECT RAISE(ABORT, 'unversioned write to village'); END;

CREATE TRIGGER "village_group_guard_delete" BEFORE DELETE ON "village_group" BEGIN SELECT RAISE(ABORT, 'unversioned delete from village_group'); END;

CREATE TRIGGER "village_group_guard_insert" BEFORE INSERT ON "village_group" WHEN NOT EXISTS (SELECT 1 FROM version WHERE id = NEW.vid AND entity_id = NEW.id) BEGIN SELECT RAISE(ABORT, 'unversioned write to village_group'); END;

CREATE TRIGGER "village_group_guard_update" BEFORE UPDATE ON "village_group" WHEN NEW.vid IS NULL OR OLD.vid IS NULL OR NEW.vid <= OLD.vid OR NEW.id IS NOT OLD.id OR NOT EXISTS (SELECT 1 FROM version WHERE id = NEW.vid AND entity_id = NEW.id) BEGIN SELECT RAISE(ABORT, 'unversioned write to village_group'); END;

CREATE TRIGGER "visit_guard_delete" BEFORE DELETE ON "visit" BEGIN SELECT RAISE(ABORT, 'unversioned delete from visit'); END;

CREATE TRIGGER "visit_guard_insert" BEFORE INSERT ON "visit" WHEN NOT EXISTS (SELECT 1 FROM version WHERE id = NEW.vid AND entity_id = NEW.id) BEGIN SELECT RAISE(ABORT, 'unversioned write to visit'); END;

CREATE TRIGGER "visit_guard_update" BEFORE UPDATE ON "visit" WHEN NEW.vid IS NULL OR OLD.vid IS NULL OR NEW.vid <= OLD.vid OR NEW.id IS NOT OLD.id OR NOT EXISTS (SELECT 1 FROM version WHERE id = NEW.vid AND entity_id = NEW.id) BEGIN SELECT RAISE(ABORT, 'unversioned write to visit'); END;

CREATE TRIGGER "visit_household_guard_delete" BEFORE DELETE ON "visit_household" BEGIN SELECT RAISE(ABORT, 'unversioned delete from visit_household'); END;

CREATE TRIGGER "visit_household_guard_insert" BEFORE INSERT ON "visit_household" WHEN NOT EXISTS (SELECT 1 FROM version WHERE id = NEW.vid AND entity_id = NEW.id) BEGIN SELECT RAISE(ABORT, 'unversioned write to visit_household'); END;

CREATE TRIGGER "visit_household_guard_update" BEFORE UPDATE ON "visit_household" WHEN NEW.vid IS NULL OR OLD.vid IS NULL OR NEW.vid <= OLD.vid OR NEW.id IS NOT OLD.id OR NOT EXISTS (SELECT 1 FROM version WHERE id = NEW.vid AND entity_id = NEW.id) BEGIN SELECT RAISE(ABORT, 'unversioned write to visit_household'); END;

