-- LedgerDesk schema 2: the search index (architecture.md, "Storage: search").
--
-- A LOCAL derived index, never synced: no `vid` column, so the migration
-- runner gives it no guard triggers; it is rebuilt from person and household
-- at any time (ledgerdesk/store/search_index.py, rebuild_search_index).
--
--  * search_ref maps an integer document id to the person or household it
--    indexes (kind 'p' or 'h'). FTS5 needs integer rowids, and the implicit
--    rowids of person/household are not stable (VACUUM may renumber them).
--  * search_fts is a trigram FTS5 table (substring matching for Chinese text
--    and digit fragments of 3+ characters), rowid = search_ref.docid:
--      name     person name followed by char(3), an end marker, so that a
--               2-character query can still find the last two characters of
--               a name ("建国" finds 王建国) with one trigram; '' for households
--      code     person: 身份证号 and phone; household: 户号 and phone
--      address  household address; '' for persons
--    Exact and prefix matches (and 1-character queries) do not use it: they
--    use the b-tree indexes of person and household (name, id_number, phone,
--    hh_no).
--
-- Rows change only through the versioned writer (plain INSERT/UPDATE; a
-- tombstone sets deleted = 1), so AFTER INSERT/UPDATE triggers keep the index
-- current: a live row has exactly one document, a tombstoned row none. The
-- update triggers fire only when an indexed column (or `deleted`) is set.
-- Bulk loads (demo ledgers) drop the four search_* triggers and rebuild once
-- (search_index.deferred).

CREATE TABLE search_ref (
    docid  INTEGER PRIMARY KEY,
    ref_id TEXT NOT NULL UNIQUE,
    kind   TEXT NOT NULL CHECK (kind IN ('p', 'h'))
);

-- Contentless (content=''): the text lives in person and household already,
-- and a document is a pure function of its row's columns, so the update
-- triggers remove the old document with the FTS5 'delete' command and the
-- OLD values. columnsize=0: no bm25 ranking, so no per-document sizes.
CREATE VIRTUAL TABLE search_fts USING fts5(
    name, code, address, tokenize = 'trigram', content = '', columnsize = 0);

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

-- Index the rows a schema-1 ledger already holds (the same statements as
-- search_index.rebuild_search_index), batching 64 MiB of index data in memory
-- (far fewer segments to merge), then FTS5's default 1 MiB again.
INSERT INTO search_fts (search_fts, rank) VALUES ('hashsize', 67108864);
INSERT INTO search_ref (ref_id, kind) SELECT id, 'p' FROM person WHERE deleted = 0 ORDER BY rowid;

INSERT INTO search_ref (ref_id, kind) SELECT id, 'h' FROM household WHERE deleted = 0 ORDER BY rowid;

INSERT INTO search_fts (rowid, name, code, address)
SELECT r.docid, p.name || char(3), p.id_number || ' ' || p.phone, ''
FROM search_ref r JOIN person p ON p.id = r.ref_id WHERE r.kind = 'p';

INSERT INTO search_fts (rowid, name, code, address)
SELECT r.docid, '', h.hh_no || ' ' || h.phone, h.address
FROM search_ref r JOIN household h ON h.id = r.ref_id WHERE r.kind = 'h';

INSERT INTO search_fts (search_fts, rank) VALUES ('hashsize', 1048576);
