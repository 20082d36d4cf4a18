"""The versioned write path: every change leaves a version; nothing gets around it."""

import json
import shutil
import sqlite3

import pytest
from peewee import IntegrityError
from hypothesis import HealthCheck, given, settings, strategies as st

from ledgerdesk.core.errors import NotFoundError
from ledgerdesk.services import workspace
from ledgerdesk.store.database import Ledger
from ledgerdesk.store.models import Household, Person, Township, Village
from ledgerdesk.store.verify import replay_mismatches


def versions(session, entity_id):
    return session.ledger.db.execute_sql(
        "SELECT site, seq, hlc, author, op, fields, parents FROM version WHERE entity_id = ? ORDER BY id",
        (entity_id,)).fetchall()


@pytest.fixture
def village(memory_session):
    with memory_session.writing() as w:
        tid = w.insert(Township, {"name": "镇"})
        return w.insert(Village, {"township": tid, "name": "一村"})


def test_insert_update_delete_each_leave_one_version_with_parents(memory_session, village):
    s = memory_session
    with s.writing() as w:
        hh = w.insert(Household, {"village": village, "hh_no": "001", "address": "一组"})
    with s.writing() as w:
        w.update(Household, hh, {"address": "二组", "level": "黄"})
    with s.writing() as w:
        w.delete(Household, hh)
    rows = versions(s, hh)
    assert [r[4] for r in rows] == ["put", "put", "del"]
    site = s.ledger.site_id
    assert all(r[0] == site and r[3] == "tester" for r in rows)
    seqs = [r[1] for r in rows]
    assert seqs == sorted(seqs) and len(set(seqs)) == 3
    assert [r[2] for r in rows] == sorted(r[2] for r in rows)
    assert json.loads(rows[1][5]) == {"address": "二组", "level": "黄"}
    assert json.loads(rows[1][6]) == [f"{site}:{seqs[0]}"]
    assert json.loads(rows[2][6]) == [f"{site}:{seqs[0]}", f"{site}:{seqs[1]}"]  # replaces everything
    assert Household.get_by_id(hh).deleted is True


def test_an_update_that_changes_nothing_writes_nothing(memory_session, village):
    with memory_session.writing() as w:
        hh = w.insert(Household, {"village": village, "hh_no": "001"})
    with memory_session.writing() as w:
        assert w.update(Household, hh, {"hh_no": "001"}) is None
        assert not w.changes
    assert len(versions(memory_session, hh)) == 1


def test_edits_of_different_fields_replace_only_their_own_field(memory_session, village):
    s = memory_session
    with s.writing() as w:
        hh = w.insert(Household, {"village": village})
        w.update(Household, hh, {"address": "a"})
        w.update(Household, hh, {"phone": "13800000000"})
        w.update(Household, hh, {"address": "b"})
    rows = versions(s, hh)
    site = s.ledger.site_id
    assert json.loads(rows[2][6]) == [f"{site}:{rows[0][1]}"]  # phone replaced the creation's phone
    assert json.loads(rows[3][6]) == [f"{site}:{rows[1][1]}"]  # address replaced the first address edit


def test_missing_and_deleted_rows_cannot_be_updated(memory_session, village):
    with memory_session.writing() as w:
        hh = w.insert(Household, {"village": village})
        w.delete(Household, hh)
    with pytest.raises(NotFoundError):
        with memory_session.writing() as w:
            w.update(Household, hh, {"address": "x"})
    with pytest.raises(NotFoundError):
        with memory_session.writing() as w:
            w.update(Household, "no-such-id", {"address": "x"})


def test_a_failed_transaction_leaves_neither_rows_nor_versions(memory_session, village):
    db = memory_session.ledger.db
    before = db.execute_sql("SELECT count(*) FROM version").fetchone()[0]
    with pytest.raises(RuntimeError):
        with memory_session.writing() as w:
            w.insert(Household, {"village": village})
            raise RuntimeError("power cut")
    assert db.execute_sql("SELECT count(*) FROM version").fetchone()[0] == before
    assert Household.select().count() == 0


def test_nested_writes_join_one_transaction(memory_session, village):
    with memory_session.writing() as outer:
        with memory_session.writing() as inner:
            assert inner is outer
            inner.insert(Household, {"village": village})
        assert len(outer.changes.changes) == 1


@pytest.mark.parametrize("bypass", [
    lambda v: Household.insert(id="x", vid=1, village=v).execute(),
    lambda v: Village.update(name="改名").where(Village.id == v).execute(),
    lambda v: Village.delete().where(Village.id == v).execute(),
    lambda v: Village.get_by_id(v).save(),
])
def test_peewee_writes_around_the_api_are_refused(memory_session, village, bypass):
    with pytest.raises(Exception, match="unversioned"):
        bypass(village)
    assert Village.get_by_id(village).name == "一村"


def test_raw_sql_around_the_api_is_refused_even_with_a_stolen_vid(file_session, ledger_path):
    with file_session.writing() as w:
        tid = w.insert(Township, {"name": "镇2"})
        vid_of_township = Township.get_by_id(tid).vid
    conn = sqlite3.connect(ledger_path)
    with pytest.raises(sqlite3.IntegrityError, match="unversioned"):
        conn.execute("UPDATE township SET name = 'x' WHERE id = ?", (tid,))
    with pytest.raises(sqlite3.IntegrityError, match="unversioned"):
        # a vid that names some other entity's version does not pass
        conn.execute("INSERT INTO village (id, vid, township_id, name) VALUES ('v', ?, ?, 'n')",
                     (vid_of_township, tid))
    conn.close()


def test_bulk_insert_versions_every_row(memory_session, village):
    with memory_session.writing() as w:
        n = w.insert_many(Person, ["household_id", "name", "is_party_member"],
                          [("h1", f"张{i}", i % 2) for i in range(500)])
    assert n == 500
    assert memory_session.ledger.db.execute_sql(
        "SELECT count(*) FROM version WHERE tbl='person'").fetchone()[0] == 500
    assert replay_mismatches(memory_session.ledger.db) == []
    with pytest.raises(KeyError):
        with memory_session.writing() as w:
            w.insert_many(Person, ["household_id", "nonsense"], [("h", 1)])


def test_clock_and_sequence_survive_reopening(ledger_path, clock):
    s = workspace.create_ledger(ledger_path, township="镇", clock=clock)
    last = s.ledger.db.execute_sql("SELECT max(hlc), max(seq) FROM version").fetchone()
    s.close()
    clock.advance(days=-30)  # the clock was set back while the app was closed
    s = workspace.open_ledger(ledger_path, clock=clock)
    with s.writing() as w:
        w.insert(Township, {"name": "另一镇"})
    hlc, seq = s.ledger.db.execute_sql("SELECT hlc, seq FROM version ORDER BY id DESC LIMIT 1").fetchone()
    assert hlc > last[0] and seq == last[1] + 1
    s.close()


def test_a_copied_file_gets_a_new_site_id_so_copies_never_share_seq(ledger_path, tmp_path, clock):
    s = workspace.create_ledger(ledger_path, township="镇", clock=clock)
    original_site = s.ledger.site_id
    s.close()
    copy = tmp_path / "copy.sqlite3"
    shutil.copyfile(ledger_path, copy)
    c = workspace.open_ledger(copy, clock=clock)
    assert c.ledger.site_id != original_site
    assert json.loads(c.ledger.get_meta("site_history")) == [original_site]
    c.close()
    again = workspace.open_ledger(ledger_path, clock=clock)
    assert again.ledger.site_id == original_site
    again.close()


# A random walk of edits: whatever the sequence, the rows equal the fold of the log.
edit = st.tuples(st.sampled_from(["insert", "update", "delete"]), st.integers(0, 5),
                 st.sampled_from(["address", "phone", "level", "note"]),
                 st.sampled_from(["", "甲", "乙", "绿", "黄", "红"]))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(edit, max_size=40))
def test_any_sequence_of_edits_replays_to_the_rows(clock, ops):
    ledger = Ledger.memory(clock=clock)
    from ledgerdesk.services.session import Session

    s = Session(ledger, "walker")
    workspace.seed_reference_data(s, "镇")
    ids: list[str] = []
    with s.writing() as w:
        tid = w.insert(Township, {"name": "t"})
        vid_ = w.insert(Village, {"township": tid, "name": "v"})
    for op, idx, field, value in ops:
        clock.advance(ms=idx * 7 - 10)
        with s.writing() as w:
            if op == "insert" or not ids:
                ids.append(w.insert(Household, {"village": vid_}))
                continue
            target = ids[idx % len(ids)]
            if Household.get_by_id(target).deleted:
                continue
            if op == "delete":
                w.delete(Household, target)
            elif field == "level":
                w.update(Household, target, {"level": value if value in ("绿", "黄", "红") else "绿"})
            else:
                w.update(Household, target, {field: value})
    assert replay_mismatches(ledger.db) == []
    ledger.close()


def test_dates_and_datetimes_are_stored_and_versioned_as_iso_text(memory_session):
    import datetime as dt

    from ledgerdesk.store.models import Person, Problem

    with memory_session.writing() as w:
        pid = w.insert(Person, {"household_id": "h", "name": "张三", "birth_date": dt.date(1980, 5, 1)})
        qid = w.insert(Problem, {"township_id": "t", "year": 2026, "title": "路灯不亮", "source": "群众反映",
                                 "registered_at": dt.datetime(2026, 11, 20, 9, 30)})
    db = memory_session.ledger.db
    assert db.execute_sql("SELECT birth_date FROM person WHERE id = ?", (pid,)).fetchone() == ("1980-05-01",)
    assert db.execute_sql("SELECT registered_at FROM problem WHERE id = ?", (qid,)).fetchone() == (
        "2026-11-20 09:30:00",)
    fields = {r[0]: r[1] for r in db.execute_sql("SELECT entity_id, fields FROM version WHERE entity_id IN (?, ?)",
                                                  (pid, qid))}
    assert '"birth_date":"1980-05-01"' in fields[pid]
    assert '"registered_at":"2026-11-20 09:30:00"' in fields[qid]


def test_parked_guards_come_back_and_a_rollback_restores_them(memory_session):
    from ledgerdesk.store.models import Person

    db = memory_session.ledger.db

    def guards():
        return db.execute_sql("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' "
                              "AND name LIKE 'person_guard_%' ORDER BY name").fetchall()

    before = guards()
    with memory_session.writing() as w, w.guards_parked(Person):
        assert [n for n, _ in guards()] == ["person_guard_delete", "person_guard_update"]
        w.insert_many(Person, ["household_id", "name"], [("h", "张三"), ("h", "李四")])
    assert guards() == before
    with pytest.raises(RuntimeError):
        with memory_session.writing() as w, w.guards_parked(Person):
            raise RuntimeError("abandoned bulk load")
    assert guards() == before
    with pytest.raises(IntegrityError, match="unversioned write to person"):  # still guarded afterwards
        with memory_session.writing():
            db.execute_sql("INSERT INTO person (id, vid, household_id, name) VALUES ('x', 999, 'h', '王五')")


def test_parked_indexes_are_rebuilt_with_the_rows_they_index(memory_session):
    from ledgerdesk.store.models import Person

    db = memory_session.ledger.db

    def indexes():
        return db.execute_sql("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
                              "AND tbl_name IN ('person', 'version') ORDER BY name").fetchall()

    before = indexes()
    with memory_session.writing() as w, w.indexes_parked(Person):
        assert all("UNIQUE" in sql for _, sql in indexes())
        w.insert_many(Person, ["household_id", "name"], [("h", "张三"), ("h", "李四")])
    assert indexes() == before
    plan = " ".join(r[-1] for r in db.execute_sql("EXPLAIN QUERY PLAN SELECT id FROM person WHERE name = '李四'"))
    assert "person_name" in plan
    assert db.execute_sql("SELECT count(*) FROM person INDEXED BY person_name WHERE name = '李四'").fetchone()[0] == 1
