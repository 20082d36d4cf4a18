"""The merge of sync.md, replica against replica: union of versions, one winner, conflicts kept.

Most tests carry versions with sync_support.ship (payload.encode → payload.decode →
merge.merge inside one write transaction, as an import does, minus the bundle);
the last part goes through real signed files (exchange) where the behaviour lives
there: preview, gaps named after devices, the clock warning. After every merge the
receiving ledger passes integrity_check and its rows equal the fold of its log.
"""

from __future__ import annotations

import functools
import json
import sqlite3
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ledgerdesk.core.clock import FixedClock
from ledgerdesk.services import ledger as LG
from ledgerdesk.services import registry, search, workspace
from ledgerdesk.services.session import Session
from ledgerdesk.store.database import Ledger
from ledgerdesk.store.models import Household, Person
from ledgerdesk.sync import conflicts, digest, exchange, knowledge
from ledgerdesk.sync.errors import ConflictGoneError, SyncError

sys.path.insert(0, str(Path(__file__).resolve().parent))
import sync_support as S

# -- building blocks --------------------------------------------------------------------------


def office(clock=None, user="甲"):
    """An in-memory township ledger with one village, one household and two persons."""
    s = Session(Ledger.memory(clock=clock or FixedClock(S.START)), user)
    workspace.seed_reference_data(s, "测试镇")
    v = registry.create_village(s, name="一村")
    h = registry.create_household(s, village_id=v, hh_no="001", address="旧址")
    p1 = registry.add_person(s, h, name="张三").id
    p2 = registry.add_person(s, h, name="李四").id
    return s, {"v": v, "h": h, "p1": p1, "p2": p2}


def sync(src, dst, rows=None):
    """Ship and check the receiver."""
    result = S.ship(src, dst, rows=rows)
    S.check_ledger(dst)
    return result


def exchange_both(a, b):
    sync(a, b)
    sync(b, a)


def problem_states(s):
    with s.reading():
        return s.ledger.db.execute_sql("SELECT * FROM problem_state ORDER BY problem_id").fetchall()


def assert_converged(*replicas):
    first = replicas[0]
    for other in replicas[1:]:
        assert digest.ledger_digest(other) == digest.ledger_digest(first)
        assert S.version_set(other) == S.version_set(first)
        assert S.open_conflict_rows(other) == S.open_conflict_rows(first)
        assert problem_states(other) == problem_states(first)


def value(s, table, entity_id, column):
    return s.ledger.db.execute_sql(f'SELECT {column} FROM "{table}" WHERE id = ?', (entity_id,)).fetchone()[0]


@pytest.fixture
def pair():
    """Replica A (甲, the office) and B (乙, one minute later), B holding everything A has."""
    a, ids = office()
    b = S.new_replica(FixedClock(S.START), "乙")
    b.ledger.clock.advance(seconds=60)
    sync(a, b)
    assert_converged(a, b)
    return a, b, ids


# -- idempotence ------------------------------------------------------------------------------


def test_importing_the_same_versions_twice_changes_nothing(pair):
    a, b, ids = pair
    registry.update_person(a, ids["p1"], name="张三丰")
    first = sync(a, b)
    assert first.new_versions == 1 and first.updated == 1
    before = S.content(b)
    again = sync(a, b)
    assert (again.new_versions, again.created, again.updated, again.held) == (0, 0, 0, 0)
    assert S.content(b) == before
    # a subset already held, too
    again = sync(a, b, rows=S.log_rows(a)[:5])
    assert again.new_versions == 0 and S.content(b) == before


# -- concurrent edits ---------------------------------------------------------------------------


def test_concurrent_edits_of_one_field_are_one_conflict_with_both_sides(pair):
    a, b, ids = pair
    registry.update_person(a, ids["p1"], name="张三丰")
    registry.update_person(b, ids["p1"], name="张叁")
    exchange_both(a, b)
    assert_converged(a, b)
    for s in (a, b):
        (c,) = conflicts.open_conflicts(s)
        assert (c.entity_id, c.table, c.field, c.kind) == (ids["p1"], "person", "name", "value")
        assert c.table_label == "人员" and c.field_label == "名称"
        assert {(side.value, side.author) for side in c.sides} == {("张三丰", "甲"), ("张叁", "乙")}
        times = {side.author: side.at for side in c.sides}
        assert times == {"甲": S.START, "乙": S.START.replace(minute=31)}
        own = {side.author: side.device for side in c.sides}
        assert own["甲" if s is a else "乙"] == "本机" and own["乙" if s is a else "甲"].startswith("设备 ")
        # the deterministic winner (highest HLC, then site) shows, and is listed first
        assert c.sides[0].value == "张叁"
        assert value(s, "person", ids["p1"], "name") == "张叁"
    assert conflicts.open_count(a) == conflicts.open_count(b) == 1


def test_winner_does_not_depend_on_which_side_imports_first(pair):
    a, b, ids = pair
    registry.update_household(a, ids["h"], phone="13800000001")
    registry.update_household(b, ids["h"], phone="13900000002")
    c = S.new_replica(FixedClock(S.START), "丙")
    d = S.new_replica(FixedClock(S.START), "丁")
    sync(a, c), sync(b, c)
    sync(b, d), sync(a, d)
    exchange_both(a, b)
    assert_converged(a, b, c, d)
    assert value(d, "household", ids["h"], "phone") == "13900000002"


def test_edits_of_different_fields_of_one_row_merge_without_conflict(pair):
    a, b, ids = pair
    registry.update_person(a, ids["p1"], phone="13800000001")
    registry.update_person(b, ids["p1"], name="张叁", note="牧区")
    exchange_both(a, b)
    assert_converged(a, b)
    for s in (a, b):
        assert conflicts.open_count(s) == 0
        assert (value(s, "person", ids["p1"], "name"), value(s, "person", ids["p1"], "phone"),
                value(s, "person", ids["p1"], "note")) == ("张叁", "13800000001", "牧区")


def test_same_value_written_on_both_sides_is_no_conflict(pair):
    a, b, ids = pair
    registry.update_person(a, ids["p2"], name="李斯")
    registry.update_person(b, ids["p2"], name="李斯")
    exchange_both(a, b)
    assert_converged(a, b)
    assert conflicts.open_count(a) == 0


# -- delete versus edit -------------------------------------------------------------------------


def delete(s, model, entity_id):
    with s.writing() as w:
        w.delete(model, entity_id)


def live(s, table, entity_id) -> bool:
    row = s.ledger.db.execute_sql(f'SELECT deleted FROM "{table}" WHERE id = ?', (entity_id,)).fetchone()
    return row is not None and row[0] == 0


@pytest.mark.parametrize("keep_deleted", [True, False])
@pytest.mark.parametrize("resolver", ["deleter", "editor"])
def test_delete_versus_edit_is_a_conflict_resolvable_both_ways(pair, keep_deleted, resolver):
    a, b, ids = pair
    registry.update_household(a, ids["h"], address="新址")
    delete(b, Household, ids["h"])
    exchange_both(a, b)
    assert_converged(a, b)
    for s in (a, b):
        (c,) = conflicts.open_conflicts(s)
        assert (c.entity_id, c.field, c.kind) == (ids["h"], "*", "delete")
        sides = {side.author: side for side in c.sides}
        assert sides["乙"].value is True and sides["乙"].display == "删除了这条记录"
        assert sides["甲"].value is False and "新址" in sides["甲"].display
        # nothing lost: the edit is still in the row (hidden while deleted), nothing resurrected
        assert not live(s, "household", ids["h"])
        assert value(s, "household", ids["h"], "address") == "新址"
    who, other = (b, a) if resolver == "deleter" else (a, b)
    conflicts.resolve_delete(who, ids["h"], keep_deleted=keep_deleted)
    S.check_ledger(who)
    assert conflicts.open_count(who) == 0
    assert conflicts.open_count(other) == 1
    sync(who, other)
    assert_converged(a, b)
    for s in (a, b):
        assert conflicts.open_count(s) == 0
        assert live(s, "household", ids["h"]) is (not keep_deleted)
        assert value(s, "household", ids["h"], "address") == "新址"
    with pytest.raises(ConflictGoneError):
        conflicts.resolve_delete(other, ids["h"], keep_deleted=keep_deleted)


def test_delete_after_seeing_the_edit_is_no_conflict(pair):
    a, b, ids = pair
    registry.update_household(a, ids["h"], address="新址")
    sync(a, b)
    delete(b, Household, ids["h"])
    exchange_both(a, b)
    assert_converged(a, b)
    assert conflicts.open_count(a) == 0 and not live(a, "household", ids["h"])


def test_concurrent_deletes_are_no_conflict(pair):
    a, b, ids = pair
    delete(a, Person, ids["p2"])
    delete(b, Person, ids["p2"])
    exchange_both(a, b)
    assert_converged(a, b)
    assert conflicts.open_count(a) == 0 and not live(a, "person", ids["p2"])


# -- resolving ----------------------------------------------------------------------------------


@pytest.mark.parametrize("choice", ["张三丰", "张叁", "张老三"])
def test_resolve_with_a_side_or_a_new_value_closes_the_conflict_everywhere(pair, choice):
    a, b, ids = pair
    registry.update_person(a, ids["p1"], name="张三丰")
    registry.update_person(b, ids["p1"], name="张叁")
    exchange_both(a, b)
    conflicts.resolve(a, ids["p1"], "name", choice)
    S.check_ledger(a)
    assert conflicts.open_count(a) == 0 and conflicts.open_count(b) == 1
    assert value(a, "person", ids["p1"], "name") == choice
    result = sync(a, b)
    assert result.conflicts == 0
    assert_converged(a, b)
    assert conflicts.open_count(b) == 0 and value(b, "person", ids["p1"], "name") == choice
    with pytest.raises(ConflictGoneError):
        conflicts.resolve(b, ids["p1"], "name", "别的")


def test_resolving_on_both_sides_differently_is_a_new_conflict_not_a_loss(pair):
    a, b, ids = pair
    registry.update_person(a, ids["p1"], name="张三丰")
    registry.update_person(b, ids["p1"], name="张叁")
    exchange_both(a, b)
    conflicts.resolve(a, ids["p1"], "name", "张三丰")
    conflicts.resolve(b, ids["p1"], "name", "张叁")
    exchange_both(a, b)
    assert_converged(a, b)
    (c,) = conflicts.open_conflicts(a)
    assert {side.value for side in c.sides} == {"张三丰", "张叁"}


def test_a_local_edit_of_a_conflicted_field_closes_the_conflict(pair):
    a, b, ids = pair
    registry.update_person(a, ids["p1"], name="张三丰")
    registry.update_person(b, ids["p1"], name="张叁")
    exchange_both(a, b)
    registry.update_person(b, ids["p1"], name="张三")
    S.check_ledger(b)
    assert conflicts.open_count(b) == 0
    sync(b, a)
    assert_converged(a, b)
    assert conflicts.open_count(a) == 0 and value(a, "person", ids["p1"], "name") == "张三"


def test_a_local_edit_of_another_field_keeps_the_conflict(pair):
    a, b, ids = pair
    registry.update_person(a, ids["p1"], name="张三丰")
    registry.update_person(b, ids["p1"], name="张叁")
    exchange_both(a, b)
    registry.update_person(b, ids["p1"], phone="13800000001")
    assert conflicts.open_count(b) == 1
    sync(b, a)
    assert_converged(a, b)


# -- out of order -------------------------------------------------------------------------------


def test_a_row_whose_creation_arrives_later_is_held_then_appears(pair):
    a, _b, ids = pair
    site = a.ledger.site_id
    mark = S.log_rows(a, site=site)[-1][1]
    h2 = registry.create_household(a, village_id=ids["v"], hh_no="002")
    p3 = registry.add_person(a, h2, name="王五").id
    mark2 = S.log_rows(a, site=site)[-1][1]
    registry.update_person(a, p3, name="王老五")
    registry.update_household(a, h2, address="夏草场")
    c = S.new_replica(FixedClock(S.START), "丙")
    sync(a, c, rows=S.log_rows(a, site=site)[:mark])  # everything before the new rows
    later = sync(a, c, rows=S.log_rows(a, site=site, above=mark2))  # "file 2" first: edits only
    assert later.new_versions == 2 and later.held == 2 and later.created == 0
    assert not live(c, "person", p3) and not live(c, "household", h2)
    with c.reading():
        assert knowledge.gaps(c.ledger.db, [site]) == [knowledge.Gap(site, "", mark + 1, mark2)]
        assert knowledge.knowledge(c.ledger.db)[site] == mark
    earlier = sync(a, c, rows=S.log_rows(a, site=site, above=mark)[: mark2 - mark])  # "file 1" fills the gap
    assert earlier.created == 2 and earlier.held == 0
    assert value(c, "person", p3, "name") == "王老五" and value(c, "household", h2, "address") == "夏草场"
    with c.reading():
        assert knowledge.gaps(c.ledger.db, [site]) == []
    assert_converged(a, c)


def test_a_delete_that_arrives_before_the_rows_creation_keeps_the_row_deleted(pair):
    a, _b, ids = pair
    site = a.ledger.site_id
    mark = S.log_rows(a, site=site)[-1][1]
    p3 = registry.add_person(a, ids["h"], name="王五").id
    delete(a, Person, p3)
    c = S.new_replica(FixedClock(S.START), "丙")
    rows = S.log_rows(a, site=site)
    sync(a, c, rows=rows[:mark])
    assert sync(a, c, rows=rows[mark + 1:]).held == 1  # the tombstone alone
    assert sync(a, c, rows=rows[mark:mark + 1]).created == 1
    assert not live(c, "person", p3)
    assert all(hit.id != p3 for hit in search.search(c, "王五"))
    assert_converged(a, c)


def test_imported_rows_are_found_by_search_and_edits_follow(pair):
    a, b, ids = pair
    assert {hit.id for hit in search.search(b, "张三")} == {ids["p1"]}
    registry.update_person(a, ids["p1"], name="张三丰")
    sync(a, b)
    assert [hit.id for hit in search.search(b, "张三丰")] == [ids["p1"]]
    delete(a, Person, ids["p2"])
    sync(a, b)
    assert search.search(b, "李四") == []


def build_scenario():
    """Three replicas that diverged: conflicts, delete-versus-edit, new rows edited elsewhere, problems."""
    a, ids = office()
    b = S.new_replica(FixedClock(S.START), "乙")
    c = S.new_replica(FixedClock(S.START), "丙")
    b.ledger.clock.advance(seconds=60)
    c.ledger.clock.advance(seconds=-3600)
    pid = LG.register_problem(a, title="饮水困难", source="走访发现").id
    LG.dispatch(a, pid, responsible_person="李明", responsible_unit="村委会", days=5)
    S.ship(a, b), S.ship(a, c)
    registry.update_person(a, ids["p1"], name="张三丰")
    registry.update_person(b, ids["p1"], name="张叁")
    registry.update_person(c, ids["p1"], phone="13800000001")
    delete(a, Person, ids["p2"])
    registry.update_person(b, ids["p2"], note="已核实")
    registry.set_level(a, ids["h"], "黄")
    registry.set_level(c, ids["h"], "红")
    h2 = registry.create_household(b, village_id=ids["v"], hh_no="002")
    p3 = registry.add_person(b, h2, name="王五").id
    LG.add_note(b, pid, "已联系")
    LG.void(c, pid, "重复登记")
    S.ship(b, a)
    registry.update_person(a, p3, relation="户主")
    registry.update_household(c, ids["h"], address="冬草场")
    LG.add_note(a, pid, "送水")
    everything = sorted(S.version_set(a) | S.version_set(b) | S.version_set(c), key=lambda r: (r[0], r[1]))
    return everything


@functools.cache
def scenario():
    everything = build_scenario()
    reference = S.new_replica(FixedClock(S.START), "参照")
    S.ship(reference, reference, rows=everything)
    S.check_ledger(reference)
    return everything, reference


def test_the_scenario_has_conflicts_held_rows_and_a_flagged_problem():
    everything, reference = scenario()
    kinds = {(t, f, k) for _, t, f, k in S.open_conflict_rows(reference)}
    assert ("person", "name", "value") in kinds and ("person", "*", "delete") in kinds
    assert ("household", "level", "value") in kinds
    with reference.reading():
        assert reference.ledger.db.execute_sql("SELECT max(flags) FROM problem_state").fetchone()[0] > 0
    # a version whose row's creation comes from another site: arriving alone it is held
    lone = S.new_replica(FixedClock(S.START), "单")
    edit = next(r for r in everything if r[4] == "person" and r[7] == '{"relation":"户主"}')
    assert S.ship(lone, lone, rows=[edit]).held == 1


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_any_order_any_split_any_repeats_gives_the_same_state(data):
    everything, reference = scenario()
    n = len(everything)
    r = S.new_replica(FixedClock(S.START), "收")
    files = data.draw(st.lists(st.lists(st.integers(0, n - 1), min_size=1, max_size=n), max_size=5), "files")
    files.append(data.draw(st.permutations(range(n)), "last file: everything in any order"))
    for f in files:
        rows = [everything[i] for i in f]
        S.ship(r, r, rows=rows)
        S.check_ledger(r)
        before = S.content(r)
        assert S.ship(r, r, rows=rows).new_versions == 0
        assert S.content(r) == before
    assert_converged(reference, r)


# -- problems: events from two devices interleave ----------------------------------------------


@pytest.fixture
def dispatched(pair):
    a, b, ids = pair
    pid = LG.register_problem(a, title="草场纠纷", source="群众反映", village_id=ids["v"]).id
    LG.dispatch(a, pid, responsible_person="李明", responsible_unit="村委会", days=5)
    sync(a, b)
    return a, b, pid


def flags(s, pid):
    return s.ledger.db.execute_sql("SELECT flags, state FROM problem_state WHERE problem_id = ?", (pid,)).fetchone()


def test_an_illegal_interleaving_of_problem_events_is_flagged_not_hidden(dispatched):
    a, b, pid = dispatched
    LG.void(a, pid, "重复登记")
    b.ledger.clock.advance(seconds=600)  # B's note comes after A's 撤销 in replay order
    LG.add_note(b, pid, "已上门")
    to_b = sync(a, b)
    to_a = sync(b, a)
    assert to_a.flagged_problems == 1 and to_b.flagged_problems == 1
    assert_converged(a, b)
    for s in (a, b):
        n, state = flags(s, pid)
        assert n > 0 and state == "已撤销"
        assert LG.problem_detail(s, pid).flags  # shown for review, not hidden
        assert s.ledger.db.execute_sql("SELECT count(*) FROM problem_event WHERE problem_id = ? AND deleted = 0",
                                       (pid,)).fetchone()[0] == 4


def test_the_same_step_on_two_devices_is_flagged(dispatched):
    a, b, pid = dispatched
    LG.resolve(a, pid, "已解决")
    b.ledger.clock.advance(seconds=600)
    LG.resolve(b, pid, "也解决了")
    exchange_both(a, b)
    assert_converged(a, b)
    assert flags(a, pid) == flags(b, pid) and flags(a, pid)[0] == 1 and flags(a, pid)[1] == "已办结"


@pytest.mark.parametrize("steps", [
    ("note", "note"),
    ("note", "extend"),
    ("extend", "note"),
])
def test_legal_interleavings_are_not_flagged(dispatched, steps):
    a, b, pid = dispatched
    do = {
        "note": lambda s: LG.add_note(s, pid, f"{s.user}的进展"),
        "extend": lambda s: LG.extend(s, pid, reason="等待材料", approved_by="书记", days=3),
    }
    do[steps[0]](a)
    b.ledger.clock.advance(seconds=600)
    do[steps[1]](b)
    to_b = sync(a, b)
    to_a = sync(b, a)
    assert to_a.flagged_problems == 0 and to_b.flagged_problems == 0
    assert_converged(a, b)
    assert flags(a, pid) == (0, "办理中")


# -- clocks -------------------------------------------------------------------------------------


def test_a_clock_far_behind_is_never_refused_and_its_next_edit_still_wins(pair):
    a, _b, ids = pair
    slow = S.new_replica(FixedClock(S.START), "慢")
    slow.ledger.clock.advance(days=-400)
    registry.update_person(a, ids["p1"], name="张三丰")
    result = sync(a, slow)
    assert result.new_versions == len(S.log_rows(a))
    assert value(slow, "person", ids["p1"], "name") == "张三丰"
    registry.update_person(slow, ids["p1"], name="张三")  # after seeing A's edit: replaces it
    sync(slow, a)
    assert conflicts.open_count(a) == 0 and value(a, "person", ids["p1"], "name") == "张三"
    sync(a, slow)
    assert_converged(a, slow)


def test_a_clock_far_ahead_does_not_block_the_others(pair):
    a, b, ids = pair
    b.ledger.clock.advance(days=365)
    registry.update_person(b, ids["p1"], name="未来")
    sync(b, a)
    registry.update_person(a, ids["p1"], name="现在")  # A saw B's edit: A's edit replaces it
    exchange_both(a, b)
    assert_converged(a, b)
    assert value(b, "person", ids["p1"], "name") == "现在" and conflicts.open_count(b) == 0


# -- cloned sites -------------------------------------------------------------------------------


def file_office(path: Path, clock):
    s = workspace.create_ledger(path, township="测试镇", clock=clock, user="甲", pragmas=S.FAST)
    v = registry.create_village(s, name="一村")
    h = registry.create_household(s, village_id=v, hh_no="001")
    p = registry.add_person(s, h, name="张三").id
    return s, p


def clone_of(s: Session, path: Path, user: str) -> Session:
    """A byte copy of ``s``'s ledger that keeps ITS site id: a cloned device."""
    dest = sqlite3.connect(path)
    s.ledger.db.connection().backup(dest)
    dest.close()
    clone = Session(Ledger.open(path, clock=FixedClock(S.START), pragmas=S.FAST), user)
    assert clone.ledger.site_id != s.ledger.site_id  # the anchor noticed the copy...
    with clone.ledger.db.atomic():  # ...so force it back, as a copy on another machine would be
        clone.ledger.set_meta("site_id", s.ledger.site_id)
    clone.ledger.site_id = s.ledger.site_id
    return clone


def test_a_cloned_site_is_quarantined_with_an_alarm_and_nothing_is_overwritten(tmp_path):
    a, p = file_office(tmp_path / "a.sqlite3", FixedClock(S.START))
    x = a.ledger.site_id
    clone = clone_of(a, tmp_path / "clone.sqlite3", "复制品")
    b = S.new_replica(FixedClock(S.START), "乙")
    registry.update_person(a, p, name="原件")
    registry.update_person(clone, p, name="复制件")
    registry.update_person(clone, p, phone="13800000001")
    assert S.log_rows(a)[-1][:2] == S.log_rows(clone)[-2][:2]  # the same (site, seq), other content
    sync(a, b)
    before = S.content(b)
    result = sync(clone, b)
    assert result.clone_sites == [x] and result.quarantined == 2 and result.new_versions == 0
    assert not result.own_site_cloned
    assert S.content(b) == before and value(b, "person", p, "name") == "原件"
    db = b.ledger.db
    assert db.execute_sql("SELECT kind, site FROM sync_alarm").fetchall() == [("clone", x)]
    kept = db.execute_sql("SELECT seq, fields FROM sync_quarantine ORDER BY seq").fetchall()
    assert [json.loads(f) for _, f in kept] == [{"name": "复制件"}, {"phone": "13800000001"}]
    # the same clone file again: still nothing applied, still kept aside (not lost)
    again = sync(clone, b)
    assert again.quarantined == 2 and S.content(b) == before
    a.close(), clone.close()


def test_first_arrival_wins_and_the_other_is_kept_aside(tmp_path):
    a, p = file_office(tmp_path / "a.sqlite3", FixedClock(S.START))
    clone = clone_of(a, tmp_path / "clone.sqlite3", "复制品")
    registry.update_person(a, p, name="原件")
    registry.update_person(clone, p, name="复制件")
    b = S.new_replica(FixedClock(S.START), "乙")
    sync(clone, b)
    result = sync(a, b)
    assert result.quarantined == 1 and value(b, "person", p, "name") == "复制件"
    (fields,) = b.ledger.db.execute_sql("SELECT fields FROM sync_quarantine").fetchone()
    assert json.loads(fields) == {"name": "原件"}
    a.close(), clone.close()


def test_own_site_cloned_switches_the_site_id(tmp_path):
    a, p = file_office(tmp_path / "a.sqlite3", FixedClock(S.START))
    x = a.ledger.site_id
    clone = clone_of(a, tmp_path / "clone.sqlite3", "复制品")
    registry.update_person(a, p, name="原件")
    registry.update_person(clone, p, name="复制件")
    before = S.content(a)
    result = sync(clone, a)
    assert result.own_site_cloned and result.clone_sites == [x]
    assert S.content(a) == before and value(a, "person", p, "name") == "原件"
    assert a.ledger.site_id != x and a.ledger.get_meta("site_id") == a.ledger.site_id
    assert x in json.loads(a.ledger.get_meta("site_history"))
    registry.update_person(a, p, note="换号以后")
    last = a.ledger.db.execute_sql("SELECT site, seq FROM version ORDER BY id DESC LIMIT 1").fetchone()
    assert last == (a.ledger.site_id, 1)
    # the office's later edits travel normally to a replica that saw the clone too
    b = S.new_replica(FixedClock(S.START), "乙")
    b_rows = [r for r in S.log_rows(a) if r[0] == x]
    sync(a, b, rows=b_rows)
    sync(clone, b)
    sync(a, b)
    assert value(b, "person", p, "note") == "换号以后"
    a.close(), clone.close()


# -- a payload from a buggy or hostile enrolled device ----------------------------------------


@pytest.mark.parametrize("fields", [
    '{"village_id":"%s","level":"紫"}',
    '{"village_id":"%s","hh_no":null}',
])
def test_a_value_the_schema_refuses_is_a_damaged_file(pair, fields):
    a, b, ids = pair
    bad = [("abc1", 1, S.log_rows(a)[-1][2] + 5, "x", "household", "hh-bad", "put", fields % ids["v"], "[]")]
    before = S.content(b)
    with pytest.raises(SyncError):
        S.ship(a, b, rows=bad)
    assert S.content(b) == before


def test_an_event_with_a_bad_time_is_a_damaged_file(dispatched):
    a, b, pid = dispatched
    bad = [("abc2", 1, S.log_rows(a)[-1][2] + 5, "x", "problem_event", "ev-bad", "put",
            f'{{"problem_id":"{pid}","kind":"办理","at":"昨天"}}', "[]")]
    before = S.content(b)
    with pytest.raises(SyncError):
        S.ship(a, b, rows=bad)
    assert S.content(b) == before


# == through real signed files (sync/exchange.py) =============================================


@pytest.fixture
def group(tmp_path):
    """Office + 笔记本A + 笔记本B, real keys, both laptops holding the office's first full file."""
    sessions = S.group_copy(tmp_path / "g")
    sessions["笔记本B"].ledger.clock.advance(seconds=60)
    yield sessions
    for s in sessions.values():
        S.check_ledger(s)
        s.close()


def person_of(s):
    return s.ledger.db.execute_sql("SELECT id FROM person WHERE deleted = 0 ORDER BY id").fetchone()[0]


def local_state(s):
    db = s.ledger.db
    with s.reading():
        return (S.content(s), db.execute_sql("SELECT * FROM sync_file ORDER BY file_id").fetchall(),
                db.execute_sql("SELECT * FROM sync_peer ORDER BY device_id").fetchall(),
                db.execute_sql("SELECT * FROM sync_site ORDER BY site").fetchall(),
                db.execute_sql("SELECT * FROM sync_alarm ORDER BY id").fetchall(),
                S.open_conflict_rows(s), s.ledger.site_id, s.ledger.get_meta("site_id"), s.ledger.get_meta("hlc"))


COUNTS = ("versions", "new_versions", "created", "updated", "conflicts", "held", "quarantined",
          "flagged_problems", "gaps", "clock_warning", "alarms")


def test_preview_changes_nothing_and_predicts_the_import_exactly(group, tmp_path):
    a, b = group["笔记本A"], group["笔记本B"]
    v = registry.create_village(a, name="一村")
    h = registry.create_household(a, village_id=v, hh_no="001")
    p = registry.add_person(a, h, name="张三").id
    pid = LG.register_problem(a, title="饮水困难", source="走访发现", village_id=v).id
    LG.dispatch(a, pid, responsible_person="李明", responsible_unit="村委会", days=5)
    S.import_file(b, S.export(a, tmp_path / "a1.ldsync"))
    registry.update_person(a, p, name="张三丰")
    LG.void(a, pid, "重复")
    registry.update_person(b, p, name="张叁")
    b.ledger.clock.advance(seconds=600)
    LG.add_note(b, pid, "已上门")
    f = S.export(a, tmp_path / "a2.ldsync")
    before = local_state(b)
    preview = exchange.preview_import(b, f)
    assert local_state(b) == before
    assert not preview.applied and not preview.already_imported and preview.message.startswith("预览")
    real = S.import_file(b, f)
    assert real.applied
    assert [getattr(preview, k) for k in COUNTS] == [getattr(real, k) for k in COUNTS]
    assert (real.new_versions, real.conflicts, real.flagged_problems) == (2, 1, 1)
    again = exchange.preview_import(b, f)
    assert again.already_imported and "已经导入过" in again.message


def test_importing_a_file_twice_says_so_and_changes_nothing(group, tmp_path):
    a, b = group["笔记本A"], group["笔记本B"]
    registry.create_village(a, name="一村")
    f = S.export(a, tmp_path / "a1.ldsync")
    first = S.import_file(b, f)
    assert first.new_versions == 1 and first.created == 1
    before = local_state(b)
    again = S.import_file(b, f)
    assert again.already_imported and again.new_versions == 0 and "已经导入过" in again.message
    assert local_state(b) == before
    # another file with the same versions (a second export) is applied as a no-op
    other = S.import_file(b, S.export(a, tmp_path / "a1-again.ldsync", full=True))
    assert not other.already_imported and other.new_versions == 0 and "没有任何改动" in other.message
    assert local_state(b)[0] == before[0]


def test_a_file_imported_before_an_earlier_one_is_held_with_a_gap_naming_the_device(group, tmp_path):
    o, a, b = group["office"], group["笔记本A"], group["笔记本B"]
    v = registry.create_village(a, name="一村")
    h = registry.create_household(a, village_id=v, hh_no="001")
    p = registry.add_person(a, h, name="张三").id
    file1 = S.export(a, tmp_path / "a1.ldsync")
    S.import_file(o, file1)
    S.import_file(a, S.export(o, tmp_path / "o1.ldsync", to="笔记本A"))  # the office acknowledges file 1
    registry.update_person(a, p, name="张三丰")
    file2 = S.export(a, tmp_path / "a2.ldsync")  # incremental: only the edit
    late = S.import_file(b, file2)
    assert (late.new_versions, late.held, late.created) == (1, 1, 0)
    (gap,) = late.gaps
    assert gap.site == a.ledger.site_id and gap.device_name == "笔记本A" and gap.first == 1
    assert "笔记本A" in gap.describe() and "笔记本A" in late.message
    with b.reading():
        assert b.ledger.db.execute_sql("SELECT count(*) FROM person WHERE id = ?", (p,)).fetchone()[0] == 0
    S.check_ledger(b)
    filled = S.import_file(b, file1)
    assert filled.created == 3 and filled.held == 0 and filled.gaps == []
    assert value(b, "person", p, "name") == "张三丰"
    S.import_file(a, S.export(b, tmp_path / "b1.ldsync"))
    assert digest.ledger_digest(a) == digest.ledger_digest(b)


def test_a_preview_reports_the_gap_the_import_will_leave(group, tmp_path):
    o, a, b = group["office"], group["笔记本A"], group["笔记本B"]
    v = registry.create_village(a, name="一村")
    S.import_file(o, S.export(a, tmp_path / "a1.ldsync"))
    S.import_file(a, S.export(o, tmp_path / "o1.ldsync", to="笔记本A"))
    registry.create_household(a, village_id=v, hh_no="001")
    file2 = S.export(a, tmp_path / "a2.ldsync")
    preview = exchange.preview_import(b, file2)
    real = S.import_file(b, file2)
    assert [g.device_name for g in real.gaps] == ["笔记本A"]
    assert preview.gaps == real.gaps


def test_a_clock_far_behind_gets_a_warning_and_the_file_is_still_imported(group, tmp_path):
    a, b = group["笔记本A"], group["笔记本B"]
    registry.create_village(a, name="一村")
    f = S.export(a, tmp_path / "a1.ldsync")
    b.ledger.clock.advance(days=-3)
    report = S.import_file(b, f)
    assert report.applied and report.new_versions == 1 and report.created == 1
    assert report.clock_warning and "时钟" in report.clock_warning
    ok = S.import_file(group["office"], f)
    assert ok.clock_warning is None


def test_an_incremental_export_serves_a_device_that_has_not_sent_a_file_yet(group, tmp_path):
    o, a, b = group["office"], group["笔记本A"], group["笔记本B"]
    v = registry.create_village(a, name="一村")
    S.import_file(o, S.export(a, tmp_path / "a1.ldsync"))
    report = S.import_file(b, S.export(o, tmp_path / "o1.ldsync"))  # the office's ordinary (incremental) export
    assert report.created == 1 and live(b, "village", v)


def test_a_revoked_devices_later_file_is_refused_and_changes_nothing(group, tmp_path):
    from ledgerdesk.sync import devices
    from ledgerdesk.sync.errors import RevokedDeviceError

    o, a, b = group["office"], group["笔记本A"], group["笔记本B"]
    registry.create_village(a, name="一村")
    earlier = S.export(a, tmp_path / "a1.ldsync")
    devices.revoke(o, "笔记本A")
    S.import_file(b, S.export(o, tmp_path / "o1.ldsync", to="笔记本B"))
    registry.create_village(a, name="二村")
    later = S.export(a, tmp_path / "a2.ldsync")
    for f in (later, earlier):
        before = local_state(b)
        with pytest.raises(RevokedDeviceError):
            S.import_file(b, f)
        assert local_state(b) == before


def clone_device(s, path: Path) -> Session:
    """A byte copy of an enrolled device that keeps its site id and its keys: a cloned laptop."""
    dest = sqlite3.connect(path)
    s.ledger.db.connection().backup(dest)
    dest.close()
    clone = S.open_replica(path, FixedClock(S.START), "复制品")
    with clone.ledger.db.atomic():
        clone.ledger.set_meta("site_id", s.ledger.site_id)
    clone.ledger.site_id = s.ledger.site_id
    return clone


def test_a_cloned_laptops_file_raises_an_alarm_and_is_quarantined(group, tmp_path):
    o, a, _b = group["office"], group["笔记本A"], group["笔记本B"]
    v = registry.create_village(a, name="一村")
    clone = clone_device(a, tmp_path / "clone.sqlite3")
    registry.create_household(a, village_id=v, hh_no="001")
    registry.create_household(clone, village_id=v, hh_no="999")
    S.import_file(o, S.export(a, tmp_path / "a1.ldsync"))
    before = S.content(o)
    report = S.import_file(o, S.export(clone, tmp_path / "clone1.ldsync"))
    assert report.quarantined == 1 and report.new_versions == 0 and report.alarms
    assert "克隆" in report.alarms[0]
    assert S.content(o) == before
    assert [k for _, k, _ in exchange.alarms(o)] == ["clone"]
    # the original laptop learns that its site was cloned and continues under a new one
    own = S.import_file(a, S.export(clone, tmp_path / "clone2.ldsync"))
    assert own.quarantined == 1 and any("新的设备编号" in x for x in own.alarms)
    assert a.ledger.site_id != clone.ledger.site_id
    clone.close()


def test_previewing_a_clone_of_this_laptop_changes_nothing(group, tmp_path):
    a = group["笔记本A"]
    v = registry.create_village(a, name="一村")
    clone = clone_device(a, tmp_path / "clone.sqlite3")
    registry.create_household(a, village_id=v, hh_no="001")
    registry.create_household(clone, village_id=v, hh_no="999")
    f = S.export(clone, tmp_path / "clone1.ldsync")
    before = local_state(a)
    preview = exchange.preview_import(a, f)
    assert preview.quarantined == 1
    clone.close()
    assert local_state(a) == before


def test_a_signed_file_with_a_value_the_schema_refuses_is_refused_cleanly(group, tmp_path):
    from ledgerdesk.sync import bundle, devices

    a, b = group["笔记本A"], group["笔记本B"]
    v = b.ledger.db.execute_sql("SELECT id FROM township").fetchone()[0]
    rows = [(a.ledger.site_id, 1, S.log_rows(b)[-1][2] + 5, "笔记本A", "household", "hh-bad", "put",
             json.dumps({"village_id": v, "level": "紫"}, ensure_ascii=False, separators=(",", ":")), "[]")]
    path = tmp_path / "bad.ldsync"
    bundle.write_bundle(path, identity=devices.identity(a), payload=payload_bytes(rows),
                        manifest={"knowledge": {}, "sites": {}, "ranges": {}, "count": 1, "full": False, "to": None})
    before = local_state(b)
    with pytest.raises(SyncError):
        S.import_file(b, path)
    assert local_state(b) == before


def payload_bytes(rows):
    from ledgerdesk.sync import payload

    return payload.encode(rows)
