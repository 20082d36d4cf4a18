"""The search index (db/migrations/0002_search.sql, store/search_index.py): triggers, migration, bulk path, plans."""

import shutil
import sqlite3

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from ledgerdesk.core.paths import migrations_dir
from ledgerdesk.store import search_index
from ledgerdesk.store.database import Ledger
from ledgerdesk.store.migrations import migrate
from ledgerdesk.store.models import Household, Person, Township, Village


def index_instances(db) -> set:
    """Every (indexed row, column, trigram, offset) the FTS index holds, by row id (not docid)."""
    db.execute_sql("CREATE VIRTUAL TABLE IF NOT EXISTS temp.search_vocab "
                   "USING fts5vocab(main, 'search_fts', 'instance')")
    rows = db.execute_sql("SELECT r.ref_id, r.kind, v.col, v.term, v.offset FROM temp.search_vocab v "
                          "LEFT JOIN search_ref r ON r.docid = v.doc").fetchall()
    return set(rows)


def rebuilt_instances(db) -> set:
    """What a fresh rebuild would index (rolled back afterwards)."""
    with db.atomic() as txn:
        search_index.rebuild_search_index(db)
        out = index_instances(db)
        txn.rollback()
    return out


def refs(db) -> set:
    return set(db.execute_sql("SELECT ref_id, kind FROM search_ref").fetchall())


def live(db) -> set:
    return set(db.execute_sql("SELECT id, 'p' FROM person WHERE deleted = 0 UNION ALL "
                              "SELECT id, 'h' FROM household WHERE deleted = 0").fetchall())


def found(db, text, limit=50) -> list[str]:
    q = search_index.parse_query(text)
    return [ref for _, ref, _ in search_index.find(db, q, limit)] if q else []


@pytest.fixture
def village(memory_session):
    with memory_session.writing() as w:
        tid = w.insert(Township, {"name": "测试镇"})
        return w.insert(Village, {"township": tid, "name": "和平村"})


def test_triggers_follow_insert_update_and_tombstone(memory_session, village):
    s, db = memory_session, memory_session.ledger.db
    with s.writing() as w:
        hh = w.insert(Household, {"village": village, "hh_no": "1002010001", "address": "和平村第一村民小组1号",
                                  "phone": "13912345678"})
        p = w.insert(Person, {"household": hh, "name": "王建国", "id_number": "152530197401275505",
                              "phone": "15117772695"})
    assert refs(db) == {(hh, "h"), (p, "p")}
    assert found(db, "建国") == [p] and found(db, "19740127") == [p] and found(db, "第一村民") == [hh]
    assert found(db, "2345678") == [hh] and found(db, "7772695") == [p]

    with s.writing() as w:
        w.update(Person, p, {"name": "王卫东", "phone": "18800001111"})
        w.update(Household, hh, {"address": "幸福路8号"})
    assert found(db, "建国") == [] and found(db, "7772695") == []
    assert found(db, "卫东") == [p] and found(db, "00001111") == [p] and found(db, "19740127") == [p]
    assert found(db, "第一村民") == [] and found(db, "幸福路") == [hh]
    with s.writing() as w:  # a field the index does not hold: the update trigger does not fire
        w.update(Person, p, {"relation": "户主"})
    assert index_instances(db) == rebuilt_instances(db)

    with s.writing() as w:
        w.delete(Person, p)
    assert refs(db) == {(hh, "h")}
    assert found(db, "王卫东") == [] and found(db, "19740127") == []
    with s.writing() as w:  # undelete: back in the index
        w.update(Person, p, {"deleted": False})
    assert found(db, "王卫东") == [p]
    with s.writing() as w:
        w.delete(Household, hh)
    assert found(db, "幸福路") == []
    assert refs(db) == live(db)
    assert index_instances(db) == rebuilt_instances(db)


NAMES = st.text(alphabet="王李张建国芳伟丽华阳欧", min_size=1, max_size=4)
DIGITS = st.text(alphabet="0123456789X", min_size=0, max_size=18)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=st.lists(st.tuples(st.sampled_from(["add", "rename", "renumber", "delete", "undelete", "move"]),
                              st.integers(0, 5), NAMES, DIGITS), min_size=1, max_size=25))
def test_any_edit_sequence_leaves_the_index_equal_to_a_rebuild(memory_session, village, ops):
    s, db = memory_session, memory_session.ledger.db
    with s.writing() as w:
        hh = w.insert(Household, {"village": village, "address": "一组"})
    persons: list[str] = []
    for op, k, name, digits in ops:
        with s.writing() as w:
            if op == "add" or not persons:
                persons.append(w.insert(Person, {"household": hh, "name": name, "id_number": digits}))
                continue
            pid = persons[k % len(persons)]
            deleted = db.execute_sql("SELECT deleted FROM person WHERE id = ?", (pid,)).fetchone()[0]
            if op == "undelete":
                w.update(Person, pid, {"deleted": False})
            elif deleted:
                continue
            elif op == "rename":
                w.update(Person, pid, {"name": name})
            elif op == "renumber":
                w.update(Person, pid, {"id_number": digits, "phone": digits[:11]})
            elif op == "delete":
                w.delete(Person, pid)
            else:
                w.update(Household, hh, {"address": name + digits, "hh_no": digits})
    assert refs(db) == live(db)
    assert index_instances(db) == rebuilt_instances(db)


def _write_raw(conn, seq, table, row):
    """A versioned write without the writer (the writer's module is for the current schema)."""
    conn.execute("INSERT INTO version (id, site, seq, hlc, author, tbl, entity_id, op, fields) "
                 "VALUES (?, 'site', ?, ?, 't', ?, ?, 'put', '{}')", (seq, seq, seq, table, row["id"]))
    cols = ["vid", *row]
    conn.execute(f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})",
                 (seq, *row.values()))


def test_the_migration_indexes_rows_of_a_schema_1_ledger(tmp_path):
    only_first = tmp_path / "m1"
    only_first.mkdir()
    shutil.copy(migrations_dir() / "0001_initial.sql", only_first)
    path = tmp_path / "old.sqlite3"
    conn = sqlite3.connect(path, isolation_level=None)
    migrate(conn, only_first)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == 1
    _write_raw(conn, 1, "household", {"id": "h1", "village_id": "v", "hh_no": "1002010001",
                                      "address": "和平村第一村民小组1号"})
    _write_raw(conn, 2, "person", {"id": "p1", "household_id": "h1", "name": "额尔德尼",
                                   "id_number": "152530197401275505", "phone": "15117772695"})
    _write_raw(conn, 3, "person", {"id": "p2", "household_id": "h1", "name": "张伟", "deleted": 1})
    conn.close()

    ledger = Ledger.open(path)  # upgrades to the newest schema
    db = ledger.db
    assert ledger.schema_version >= 2
    assert refs(db) == {("h1", "h"), ("p1", "p")}
    assert found(db, "尔德尼") == ["p1"] and found(db, "0127550") == ["p1"] and found(db, "村民小组") == ["h1"]
    assert found(db, "张伟") == []
    assert index_instances(db) == rebuilt_instances(db)
    ledger.close()


def test_deferred_bulk_load_skips_triggers_then_rebuilds(memory_session, village):
    s, db = memory_session, memory_session.ledger.db
    triggers = lambda: sorted(r[0] for r in db.execute_sql(
        "SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'search%'"))
    before = triggers()
    assert before == ["search_household_insert", "search_household_update", "search_person_insert",
                      "search_person_update"]
    with s.writing() as w, search_index.deferred(db):
        assert triggers() == []
        hh = w.insert(Household, {"village": village})
        w.insert_many(Person, ("household_id", "name", "id_number"),
                      [(hh, f"巴特尔{i}", f"1525301990{i:08d}") for i in range(200)])
        assert refs(db) == set()  # nothing indexed row by row
    assert triggers() == before
    assert refs(db) == live(db) and len(refs(db)) == 201
    assert found(db, "1990000001")[:1] and found(db, "巴特尔199") != []
    assert index_instances(db) == rebuilt_instances(db)


def test_a_failed_bulk_load_keeps_triggers_and_index(memory_session, village):
    s, db = memory_session, memory_session.ledger.db
    with s.writing() as w:
        hh = w.insert(Household, {"village": village, "address": "幸福路8号"})
    with pytest.raises(RuntimeError):
        with s.writing() as w, search_index.deferred(db):
            w.insert_many(Person, ("household_id", "name"), [(hh, "不会留下")])
            raise RuntimeError("boom")
    assert found(db, "幸福路") == [hh] and found(db, "不会留下") == []
    assert db.execute_sql("SELECT count(*) FROM sqlite_master WHERE name LIKE 'search!_%' ESCAPE '!' "
                          "AND type = 'trigger'").fetchone()[0] == 4


@pytest.mark.parametrize("text", ["王", "王芳", "王建国", "建国 和平", "1", "12", "152", "19740127",
                                  "15117772695", "1002010001", "和平村第一村民小组"])
def test_every_step_is_an_indexed_lookup_never_a_table_scan(memory_session, text):
    db = memory_session.ledger.db
    q = search_index.parse_query(text)
    for step in q.steps():
        plan = " / ".join(r[3] for r in db.execute_sql("EXPLAIN QUERY PLAN " + step.sql, (*step.params, 50)))
        assert "SCAN person" not in plan and "SCAN household" not in plan and "SCAN r" not in plan, plan
        assert "search_fts" in plan or " INDEX " in plan, plan


def test_queries_are_normalised_and_classified():
    q = search_index.parse_query("  １５２５　30x ")
    assert q.is_code and q.code == "15253 0X".replace(" ", "")
    assert search_index.parse_query("王 建国").name == "王建国"
    assert not search_index.parse_query("王建国").is_code
    assert search_index.parse_query("   ") is None and search_index.parse_query("\x00\x03") is None
    assert search_index.parse_query(None) is None
    assert len(search_index.parse_query("字" * 2000).name) == search_index.MAX_QUERY_CHARS
    assert search_index.fts_phrase('a"b') == '"a""b"'


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.text(max_size=80) | st.sampled_from(['"', "*", "AND", "OR", "NOT", "NEAR(a b)", "(", ")", "a:b",
                                                    "^x", "'", "-", "+", "\\", "{a}", "col : x"]))
def test_any_text_gives_steps_that_run(memory_session, text):
    db = memory_session.ledger.db
    q = search_index.parse_query(text)
    if q is not None:
        assert isinstance(search_index.find(db, q, 10), list)
