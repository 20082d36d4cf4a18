"""The audit trail (services/audit.py): every change attributable, and a hash chain whose every edit is detected."""

import sqlite3
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ledgerdesk.core.errors import PermissionDeniedError, ValidationError
from ledgerdesk.core.ledger_errors import IllegalTransitionError
from ledgerdesk.services import audit, check, ledger, registry
from ledgerdesk.services.session import Session
from ledgerdesk.store.models import ProblemEvent
from ledgerdesk.services import labels

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "sync"))
import sync_support as S  # noqa: E402


def _versions(session, where="1", *params):
    return session.ledger.db.execute_sql(
        f"SELECT id, site, seq, hlc, author, tbl, entity_id, op, fields, parents FROM version WHERE {where} "
        "ORDER BY hlc DESC, id DESC", params).fetchall()


def _links(session):
    cur = session.ledger.db.execute_sql("SELECT * FROM audit_chain ORDER BY seq")
    names = [d[0] for d in cur.description]
    return [dict(zip(names, row)) for row in cur.fetchall()]


def _problem(session, title="路灯不亮", village_id=None):
    ref = ledger.register_problem(session, title=title, source="群众反映", village_id=village_id)
    ledger.dispatch(session, ref.id, responsible_person="王伟", responsible_unit="村委会", days=5)
    return ref.id


def _close_out(session, problem_id):
    ledger.resolve(session, problem_id, "已修好")
    ledger.rate(session, problem_id, rating="满意", rated_by="李大爷", method="电话")
    ledger.close(session, problem_id, "同意销号")


# -- the trail ---------------------------------------------------------------------------------------


@pytest.fixture
def trail(villages, clock):
    """Three days of work by three people in two villages."""
    s = villages
    clerk = Session(s.ledger, "李录入", "录入员")
    secretary = Session(s.ledger, "王书记", "书记")
    h1 = registry.create_household(clerk, village_id="v-1", hh_no="0001", address="红旗路1号")
    p1 = registry.add_person(clerk, h1, name="张三", phone="13812345678", make_head=True).id
    day0 = clock.today()
    clock.advance(days=1)
    h2 = registry.create_household(clerk, village_id="v-2", hh_no="0002")
    p2 = registry.add_person(clerk, h2, name="其木格", make_head=True).id
    clock.advance(days=1)
    registry.update_person(s, p1, phone="13900001111")
    registry.set_household_tags(s, h1, ["低保"])
    registry.set_household_tags(s, h1, [])
    problem = _problem(s, village_id="v-1")
    _close_out(secretary, problem)
    return SimpleNamespace(s=s, clerk=clerk, secretary=secretary, h1=h1, p1=p1, h2=h2, p2=p2, problem=problem,
                           day0=day0, day2=clock.today())


def test_entries_are_newest_first_and_say_who_where_when_and_what(trail):
    s = trail.s
    found = audit.entries(s, labels=labels, limit=10_000)
    assert [int(e.id) for e in found] == [r[0] for r in _versions(s)]
    newest = found[0]
    assert (newest.action, newest.user, newest.device, newest.table, newest.table_label) == \
        ("销号", "王书记", "本机", "problem_event", "问题办理步骤")
    assert newest.record == "路灯不亮：销号" and newest.summary == "备注：同意销号"
    assert newest.site == s.ledger.site_id and newest.chain_seq == 3
    assert newest.at.date() == trail.day2
    edit = next(e for e in found if e.entity_id == trail.p1 and e.action == "修改")
    assert (edit.user, edit.record, edit.table_label) == ("tester", "张三", "人员")
    assert edit.fields == (("电话", "139****1111"),) and edit.summary == "电话：139****1111"
    created = next(e for e in found if e.entity_id == trail.p1 and e.action == "新增")
    assert ("所属户", "0001（红旗村）") in created.fields and ("名称", "张三") in created.fields
    assert created.user == "李录入" and created.at.date() == trail.day0
    assert ("删除标记", "否") not in created.fields  # every creation sets it: noise
    tag = next(e for e in found if e.table == "household_tag" and e.action == "删除")
    assert tag.summary == "删除记录" and tag.record == "0001（红旗村） · 低保"


@pytest.mark.parametrize("kwargs,keep", [
    (dict(user="李录入"), lambda e, t: e.user == "李录入"),
    (dict(table="person"), lambda e, t: e.table == "person"),
    (dict(action="修改"), lambda e, t: e.action == "修改"),
    (dict(action="删除"), lambda e, t: e.action == "删除"),
    (dict(action="新增"), lambda e, t: e.action == "新增"),
    (dict(action="办结"), lambda e, t: e.action == "办结"),
    (dict(since="DAY1"), lambda e, t: e.at.date() > t.day0),
    (dict(until="DAY0"), lambda e, t: e.at.date() == t.day0),
    (dict(village="v-2"), lambda e, t: e.entity_id in ("v-2", t.h2, t.p2)),
    (dict(village="v-1", table="problem_event"), lambda e, t: e.table == "problem_event"),
    (dict(user="王书记", action="评价", since="DAY0", until="DAY2"), lambda e, t: e.action == "评价"),
])
def test_each_filter_keeps_exactly_the_matching_changes(trail, kwargs, keep):
    days = {"DAY0": trail.day0, "DAY1": trail.day0.replace(day=trail.day0.day + 1), "DAY2": trail.day2}
    kwargs = {k: days.get(v, v) for k, v in kwargs.items()}
    everything = audit.entries(trail.s, limit=10_000)
    found = audit.entries(trail.s, **kwargs, limit=10_000)
    assert found, kwargs
    assert found == [e for e in everything if keep(e, trail)]


def test_limit_and_the_id_list(trail):
    s = trail.s
    assert len(audit.entries(s, limit=3)) == 3
    ids = audit.entry_ids(s, audit.AuditQuery(table="problem_event"), limit=100)
    assert [e.id for e in audit.entry_rows(s, ids)] == ids and len(ids) == 5
    assert audit.entry_rows(s, ["999999", ids[0]]) == audit.entry_rows(s, [ids[0]])


def test_bad_filters_are_refused_with_the_field(trail):
    with pytest.raises(ValidationError) as info:
        audit.entries(trail.s, action="瞎改")
    assert info.value.field == "action"
    with pytest.raises(ValidationError) as info:
        audit.entries(trail.s, since=trail.day2, until=trail.day0)
    assert info.value.field == "since"
    with pytest.raises(ValidationError) as info:
        audit.entries(trail.s, table="nonsense")
    assert info.value.field == "table"


def test_only_secretaries_and_administrators_read_the_trail_within_their_villages(trail):
    for role in ("录入员", "只读"):
        with pytest.raises(PermissionDeniedError):
            audit.entries(Session(trail.s.ledger, "小李", role))
    limited = Session(trail.s.ledger, "巴音书记", "书记", villages=frozenset({"v-2"}))
    assert {e.entity_id for e in audit.entries(limited, limit=1000)} == {"v-2", trail.h2, trail.p2}
    with pytest.raises(PermissionDeniedError):
        audit.entries(limited, village="v-1")


def test_phone_numbers_are_masked_unless_revealed_and_labels_are_optional(trail):
    s = trail.s
    assert audit.entries(s, table="person", action="修改", labels=labels, reveal=True)[0].fields == \
        (("电话", "13900001111"),)
    raw = audit.entries(s, table="person", action="修改")[0]
    assert (raw.table_label, raw.fields) == ("person", (("phone", "139****1111"),))
    choices = audit.filter_choices(s, labels=labels)
    assert [u for u, _ in choices.users] == sorted(["李录入", "王书记", "tester"])
    assert ("person", "人员") in choices.tables and "销号" in choices.actions


# -- the chain: appended with the events ------------------------------------------------------------


def test_resolve_rate_and_sign_off_each_add_a_link_in_their_transaction(memory_session):
    s = memory_session
    problem = _problem(s)
    ledger.add_note(s, problem, "正在处理")
    assert _links(s) == []
    for step, action in ((lambda: ledger.resolve(s, problem, "已修好"), "办结"),
                         (lambda: ledger.rate(s, problem, rating="满意"), "评价"),
                         (lambda: ledger.close(s, problem, "同意销号"), "销号")):
        result = step()
        link = _links(s)[-1]
        vid, site, seq, hlc, author, tbl, entity_id, op, fields, parents = _versions(s, "entity_id = ?",
                                                                                    result.event_id)[0]
        assert (link["action"], link["version_key"], link["author"], link["device"], link["problem_id"]) == \
            (action, f"{site}:{seq}", "tester", s.ledger.site_id, problem)
        assert link["digest"] == audit.version_digest(site, seq, hlc, author, tbl, entity_id, op, fields, parents)
        assert link["hash"] == audit.link_hash(*(link[k] for k in ("prev_hash", "digest", "seq", "version_key", "at",
                                                                    "author", "device", "action", "problem_id")))
    links = _links(s)
    assert [link["seq"] for link in links] == [1, 2, 3]
    assert links[0]["prev_hash"] == audit.GENESIS
    assert [link["prev_hash"] for link in links[1:]] == [link["hash"] for link in links[:-1]]
    assert audit.verify_chain(s) == []
    assert audit.chain_status(s) == audit.ChainStatus(3, links[-1]["at"], 0)


def test_revisits_and_voids_are_linked_and_a_refused_step_adds_nothing(memory_session):
    s = memory_session
    problem = _problem(s)
    with pytest.raises(IllegalTransitionError):
        ledger.close(s, problem, "还没办结")
    assert _links(s) == []
    ledger.resolve(s, problem, "已修好")
    ledger.revisit(s, problem, result="群众满意")
    other = _problem(s, "垃圾清运不及时")
    ledger.void(s, other, "重复登记")
    assert [link["action"] for link in _links(s)] == ["办结", "回访", "撤销"]
    assert audit.verify_chain(s) == []


def test_events_written_in_bulk_are_linked_by_the_next_step(memory_session):
    """An Excel ledger import or a demo build writes events with insert_many: the next step links them."""
    s = memory_session
    problem = _problem(s)
    with s.writing() as w:
        w.insert_many(ProblemEvent, ["problem_id", "kind", "at", "actor", "note"],
                      [(problem, "办结", "2026-11-20 09:31:00", "导入", "导入的办结")])
    assert audit.chain_status(s).pending == 1 and audit.verify_chain(s) == []
    ledger.rate(s, problem, rating="基本满意")
    assert [link["action"] for link in _links(s)] == ["办结", "评价"]
    assert audit.chain_status(s).pending == 0 and audit.verify_chain(s) == []


def test_events_imported_by_sync_are_linked_once(memory_session, clock):
    src = memory_session
    problem = _problem(src)
    _close_out(src, problem)
    dst = S.new_replica(clock, "办公室")
    S.ship(src, dst)
    links = _links(dst)
    assert [link["action"] for link in links] == ["办结", "评价", "销号"]
    assert {link["device"] for link in links} == {src.ledger.site_id}
    assert [link["digest"] for link in links] == [link["digest"] for link in _links(src)]
    assert audit.verify_chain(dst) == []
    S.ship(src, dst)  # the same file again: nothing new
    assert len(_links(dst)) == 3
    ledger.revisit(dst, problem, result="回头看：路灯正常")
    assert [link["action"] for link in _links(dst)] == ["办结", "评价", "销号", "回访"]
    assert audit.verify_chain(dst) == []
    shown = audit.entries(dst, action="销号")[0]
    assert shown.device == f"设备 {src.ledger.site_id[:8]}" and shown.user == "tester"
    S.check_ledger(dst)
    dst.close()


def test_a_rolled_back_import_leaves_no_link(memory_session, clock):
    src = memory_session
    problem = _problem(src)
    _close_out(src, problem)
    dst = S.new_replica(clock, "办公室")
    from ledgerdesk.sync import merge, payload

    incoming = payload.decode(payload.encode(S.log_rows(src)))
    with pytest.raises(RuntimeError):
        with dst.writing():
            merge.merge(dst, incoming, file_id="preview")
            assert len(_links(dst)) == 3
            raise RuntimeError("preview only")
    assert _links(dst) == [] and dst.ledger.get_meta(audit.META_HEAD) is None
    dst.close()


@settings(max_examples=60, deadline=None)
@given(parts=st.lists(st.one_of(st.text(st.characters(blacklist_characters="\x00", blacklist_categories=("Cs",))),
                                st.integers(min_value=0, max_value=2**62)), min_size=1, max_size=9))
def test_sqlite_frames_content_exactly_as_the_python_reference(parts):
    """Links are made and checked from text SQLite frames; the documented framing must be the same."""
    conn = sqlite3.connect(":memory:")
    expressions = [f"?{n + 1}" for n in range(len(parts))]
    framed = conn.execute(f"SELECT {audit._frame_sql(*expressions)}", parts).fetchone()[0]
    conn.close()
    assert framed == audit._frame(parts)


# -- the chain: tampering is detected ----------------------------------------------------------------


@pytest.fixture
def chained(file_session):
    """A real ledger file whose chain has six links (two problems resolved, rated, signed off)."""
    s = file_session
    for title in ("路灯不亮", "饮水管道漏水"):
        _close_out(s, _problem(s, title))
    assert len(_links(s)) == 6 and audit.verify_chain(s) == []
    return s


def attack(session, *statements, params=()):
    """Someone with the file edits it with plain sqlite3, the version log's immutability triggers dropped."""
    conn = sqlite3.connect(session.ledger.path)
    triggers = conn.execute("SELECT sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'version'").fetchall()
    conn.execute("DROP TRIGGER version_immutable_update")
    conn.execute("DROP TRIGGER version_immutable_delete")
    for statement in statements:
        conn.execute(statement, params)
    for (sql,) in triggers:
        conn.execute(sql)
    conn.commit()
    conn.close()


def _key(session, seq):
    return session.ledger.db.execute_sql("SELECT version_key FROM audit_chain WHERE seq = ?", (seq,)).fetchone()[0]


@pytest.mark.parametrize("column,value", [
    ("author", "张三"), ("at", "2026-01-01 08:00:00"), ("action", "退回"), ("device", "0123456789abcdef"),
    ("problem_id", "另一个问题"), ("digest", "0" * 64), ("prev_hash", "f" * 64), ("hash", "e" * 64),
    ("version_key", "0123456789abcdef:1"),
])
def test_editing_any_column_of_a_past_link_is_detected_at_that_link(chained, column, value):
    attack(chained, f"UPDATE audit_chain SET {column} = ? WHERE seq = 3", params=(value,))
    breaks = audit.verify_chain(chained)
    assert breaks and breaks[0].seq == 3, breaks
    # a changed hash also no longer matches the next link's prev_hash; nothing else is reported
    assert {b.seq for b in breaks} <= ({3, 4, None} if column == "hash" else {3, None})


def test_rewriting_the_rest_of_the_chain_consistently_is_still_caught_by_the_versions(chained):
    links = _links(chained)
    prev = links[1]["hash"]
    for link in links[2:]:
        if link["seq"] == 3:
            link["author"] = "张三"
        link["prev_hash"] = prev
        link["hash"] = prev = audit.link_hash(*(link[k] for k in ("prev_hash", "digest", "seq", "version_key", "at",
                                                                   "author", "device", "action", "problem_id")))
        attack(chained, "UPDATE audit_chain SET author = ?, prev_hash = ?, hash = ? WHERE seq = ?",
               params=(link["author"], link["prev_hash"], link["hash"], link["seq"]))
    attack(chained, "UPDATE meta SET value = ? WHERE key = ?", params=(f"6:{prev}", audit.META_HEAD))
    breaks = audit.verify_chain(chained)
    assert [(b.seq, b.kind) for b in breaks] == [(3, "mismatch")]


@pytest.mark.parametrize("change", ["author", "fields", "hlc"])
def test_editing_the_version_a_link_names_is_detected_at_that_link(chained, change):
    key = _key(chained, 3)
    site, seq = key.split(":")
    original = chained.ledger.db.execute_sql(f"SELECT {change} FROM version WHERE site = ? AND seq = ?",
                                             (site, int(seq))).fetchone()[0]
    forged = {"author": lambda: "张三", "fields": lambda: original.replace("同意销号", "不同意销号"),
              "hlc": lambda: original + 1}[change]()
    assert forged != original
    attack(chained, f"UPDATE version SET {change} = ? WHERE site = ? AND seq = ?", params=(forged, site, int(seq)))
    breaks = audit.verify_chain(chained)
    assert [(b.seq, b.kind) for b in breaks] == [(3, "version-altered")]
    attack(chained, f"UPDATE version SET {change} = ? WHERE site = ? AND seq = ?", params=(original, site, int(seq)))
    assert audit.verify_chain(chained) == []


def test_deleting_the_version_a_link_names_is_detected(chained):
    key = _key(chained, 4)
    site, seq = key.split(":")
    row = chained.ledger.db.execute_sql("SELECT * FROM version WHERE site = ? AND seq = ?", (site, int(seq))).fetchone()
    attack(chained, "DELETE FROM version WHERE site = ? AND seq = ?", params=(site, int(seq)))
    assert [(b.seq, b.kind) for b in audit.verify_chain(chained)] == [(4, "version-missing")]
    attack(chained, f"INSERT INTO version VALUES ({', '.join('?' * len(row))})", params=row)  # for the teardown check
    assert audit.verify_chain(chained) == []


def test_deleting_a_link_is_detected_at_its_seq(chained):
    key = _key(chained, 3)
    attack(chained, "DELETE FROM audit_chain WHERE seq = 3")
    breaks = audit.verify_chain(chained)
    assert (breaks[0].seq, breaks[0].kind) == (3, "missing")
    assert [(b.kind, b.version_key) for b in breaks if b.seq is None] == [("unchained", key)]


def test_deleting_the_last_link_is_detected(chained):
    attack(chained, "DELETE FROM audit_chain WHERE seq = 6")
    breaks = audit.verify_chain(chained)
    assert (breaks[0].seq, breaks[0].kind) == (6, "truncated")
    assert "应有 6 环" in breaks[0].message


def test_swapping_two_links_is_detected_at_the_first(chained):
    links = {link["seq"]: link for link in _links(chained)}
    columns = [c for c in links[2] if c != "seq"]
    attack(chained, "UPDATE audit_chain SET version_key = 'tmp' WHERE seq = 5")
    for seq, other in ((2, 5), (5, 2)):
        attack(chained, f"UPDATE audit_chain SET {', '.join(f'{c} = ?' for c in columns)} WHERE seq = ?",
               params=(*[links[other][c] for c in columns], seq))
    breaks = audit.verify_chain(chained)
    assert breaks[0].seq == 2 and 5 in {b.seq for b in breaks}


def test_check_reports_a_broken_chain_and_the_command_exits_1(chained):
    attack(chained, "UPDATE audit_chain SET author = '张三' WHERE seq = 2")
    report = check.run_checks(chained)
    assert not report.ok
    assert any(f.kind == "audit" and "第 2 环" in f.message for f in report.findings)
    proc = subprocess.run([sys.executable, "-m", "ledgerdesk", "--db", chained.ledger.path, "check"],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1, proc.stderr
    assert "[audit] 审计链条第 2 环" in proc.stdout


def test_an_intact_chain_passes_check(chained):
    assert check.run_checks(chained).ok
