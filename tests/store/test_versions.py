"""The merge rule's pure parts (store/versions.py) and the writer's conflict bookkeeping."""

import json

from hypothesis import given, strategies as st

from ledgerdesk.store import conflicts
from ledgerdesk.store.models import Village
from ledgerdesk.store.versions import (
    VersionRow,
    conflicts_of,
    field_candidates,
    is_creation,
    rows_from_db,
    settle,
    winners,
)


def v(key, hlc, fields, parents=(), op="put"):
    return VersionRow(key, hlc, key.split(":")[0], op, fields, tuple(parents))


CREATE = v("a:1", 10, {"name": "一村", "code": "", "deleted": 0})


def test_a_creation_replaces_nothing_and_an_edit_or_tombstone_is_not_one():
    assert is_creation(CREATE)
    assert not is_creation(v("a:2", 11, {"name": "二村"}, ["a:1"]))
    assert not is_creation(v("a:2", 11, {"deleted": 1}, ["a:1"], op="del"))


def test_a_later_edit_replaces_its_parent_only_for_the_fields_it_sets():
    edit = v("b:1", 20, {"name": "二村"}, ["a:1"])
    shown, found = settle([CREATE, edit])
    assert shown == {"name": "二村", "code": "", "deleted": 0}
    assert found == []
    assert field_candidates([CREATE, edit])["code"] == [CREATE]


def test_concurrent_edits_of_one_field_conflict_and_the_highest_hlc_shows_whatever_the_order():
    left = v("b:1", 20, {"name": "左"}, ["a:1"])
    right = v("c:1", 30, {"name": "右"}, ["a:1"])
    for order in ([CREATE, left, right], [right, CREATE, left], [left, right, CREATE]):
        shown, found = settle(order)
        assert shown["name"] == "右"
        assert found == [("name", "value")]


def test_concurrent_edits_that_agree_are_not_a_conflict():
    same = [CREATE, v("b:1", 20, {"name": "同"}, ["a:1"]), v("c:1", 30, {"name": "同"}, ["a:1"])]
    assert conflicts_of(same) == []


def test_a_tie_on_hlc_breaks_on_the_site():
    left = v("b:1", 20, {"name": "左"}, ["a:1"])
    right = v("c:1", 20, {"name": "右"}, ["a:1"])
    assert winners([CREATE, right, left])["name"] == "右"


def test_an_edit_concurrent_with_a_delete_is_a_delete_conflict_and_an_edit_seen_by_it_is_not():
    edit = v("b:1", 20, {"code": "X"}, ["a:1"])
    tomb = v("c:1", 30, {"deleted": 1}, ["a:1"], op="del")
    assert conflicts_of([CREATE, edit, tomb]) == [("*", "delete")]
    tomb_after = v("c:1", 30, {"deleted": 1}, ["a:1", "b:1"], op="del")
    assert conflicts_of([CREATE, edit, tomb_after]) == []
    assert winners([CREATE, edit, tomb])["deleted"] == 1


def test_a_delete_racing_a_restore_is_a_value_conflict_on_deleted():
    tomb = v("a:2", 20, {"deleted": 1}, ["a:1"], op="del")
    restore = v("b:1", 30, {"deleted": 0}, ["a:2"])
    again = v("c:1", 40, {"deleted": 1}, ["a:2"], op="del")
    assert ("deleted", "value") in conflicts_of([CREATE, tomb, restore, again])


def test_rows_from_db_parses_like_from_db():
    rows = [("a", 1, 10, "put", json.dumps({"name": "一村"}, ensure_ascii=False), "[]"),
            ("b", 7, 12, "put", '{"name":"二"}', '["a:1"]')]
    assert rows_from_db(rows) == [VersionRow.from_db(*r) for r in rows]
    assert rows_from_db([]) == []


@given(st.permutations(range(5)), st.lists(st.sampled_from(["甲", "乙", "丙"]), min_size=4, max_size=4))
def test_the_outcome_does_not_depend_on_the_order_versions_are_listed(order, names):
    versions = [CREATE] + [v(f"s{i}:1", 20 + i, {"name": n}, ["a:1"]) for i, n in enumerate(names)]
    expected = settle(versions)
    shuffled = [versions[i] for i in order]
    assert settle(shuffled) == expected


def test_a_local_edit_of_a_conflicted_field_closes_its_conflict(memory_session):
    with memory_session.writing() as w:
        vid = w.insert(Village, {"name": "一村", "township": "t"})
    db = memory_session.ledger.db
    with db.atomic():
        conflicts.store(db, [vid], [(vid, "village", "name", "value")])
    assert conflicts.has_conflict(db, vid)
    with memory_session.writing() as w:
        w.update(Village, vid, {"name": "核实后的名称"})
    assert not conflicts.has_conflict(db, vid)


def test_settle_writes_a_version_even_when_the_value_shows_already(memory_session):
    with memory_session.writing() as w:
        vid = w.insert(Village, {"name": "一村", "township": "t"})
    db = memory_session.ledger.db
    before = db.execute_sql("SELECT count(*) FROM version").fetchone()[0]
    with memory_session.writing() as w:
        assert w.update(Village, vid, {"name": "一村"}) is None
        w.settle(Village, vid, {"name": "一村"})
    assert db.execute_sql("SELECT count(*) FROM version").fetchone()[0] == before + 1
    parents = db.execute_sql("SELECT parents FROM version ORDER BY id DESC LIMIT 1").fetchone()[0]
    assert len(json.loads(parents)) == 1
