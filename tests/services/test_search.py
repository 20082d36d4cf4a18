"""services.search: one box finds persons and households by name, 身份证号/phone fragment, 户号 or address."""

import json
import subprocess
import sys

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from ledgerdesk.services.search import SearchHit, search
from ledgerdesk.services.session import Session
from ledgerdesk.store.models import Household, Person, Township, Village

ID_WANG = "152530197401275505"
ID_OUYANG = "15253019850312661X"


def build_small_ledger(session) -> dict:
    """Two villages, three households, eight persons with names chosen to exercise every path."""
    ids = {}
    with session.writing() as w:
        tid = w.insert(Township, {"name": "测试镇"})
        v1 = w.insert(Village, {"township": tid, "name": "和平村"})
        v2 = w.insert(Village, {"township": tid, "name": "宝日嘎查", "kind": "嘎查"})
        ids["h1"] = w.insert(Household, {"village": v1, "hh_no": "1002010001", "address": "和平村第一村民小组1号",
                                         "phone": "04758861234"})
        ids["h2"] = w.insert(Household, {"village": v1, "hh_no": "1002010002", "address": "和平村第二村民小组7号"})
        ids["h3"] = w.insert(Household, {"village": v2, "hh_no": "1002020001", "address": "宝日嘎查幸福路8号"})
        people = [("王建国", "h1", ID_WANG, "15117772695"), ("王芳", "h1", "152530199001011234", "13800001111"),
                  ("王", "h1", "", ""), ("建国", "h2", "152530200002021111", ""),
                  ("建国华", "h2", "", "13900002222"), ("欧阳建国", "h3", ID_OUYANG, "18600003333"),
                  ("额尔德尼", "h3", "152530196601019999", ""), ("张伟", "h2", "", "")]
        for name, hh, idn, phone in people:
            ids[name] = w.insert(Person, {"household": ids[hh], "name": name, "id_number": idn, "phone": phone})
        w.update(Household, ids["h1"], {"head_person_id": ids["王建国"]})
    return ids


@pytest.fixture
def small(memory_session):
    return memory_session, build_small_ledger(memory_session)


def names(hits):
    return [h.title for h in hits]


def test_one_character_finds_the_surname_exact_first(small):
    s, ids = small
    hits = search(s, "王")
    assert names(hits) == ["王", "王建国", "王芳"]
    assert [h.match for h in hits] == ["exact", "prefix", "prefix"]


def test_two_characters_exact_then_prefix_then_end_of_name(small):
    s, ids = small
    hits = search(s, "建国")
    assert names(hits) == ["建国", "建国华", "王建国", "欧阳建国"]
    assert [h.match for h in hits] == ["exact", "prefix", "infix", "infix"]
    assert names(search(s, "王芳")) == ["王芳"]
    assert names(search(s, "阳建")) == []  # the middle of a four-character name: documented limit


def test_three_or_more_characters_anywhere_in_a_name(small):
    s, ids = small
    assert names(search(s, "王建国")) == ["王建国"]
    assert names(search(s, "阳建国")) == ["欧阳建国"]
    assert names(search(s, "尔德尼")) == ["额尔德尼"]
    hit = search(s, "额尔德尼")[0]
    assert hit.kind == "person" and hit.id == ids["额尔德尼"] and hit.household_id == ids["h3"]
    assert hit.village == "宝日嘎查" and hit.match == "exact"


def test_id_number_whole_prefix_and_fragment(small):
    s, ids = small
    exact = search(s, ID_WANG)
    assert exact[0].id == ids["王建国"] and exact[0].match == "exact"
    assert [h.id for h in search(s, "19740127")] == [ids["王建国"]]
    assert [h.id for h in search(s, "0312661x")] == [ids["欧阳建国"]]  # lower-case x
    assert [h.id for h in search(s, "１９８５０３１２")] == [ids["欧阳建国"]]  # full-width digits
    prefix = search(s, "1525301")
    assert {h.id for h in prefix} == {ids["王建国"], ids["欧阳建国"], ids["王芳"], ids["额尔德尼"]}
    assert all(h.match == "prefix" for h in prefix)


def test_phone_and_household_number(small):
    s, ids = small
    assert [h.id for h in search(s, "15117772695")][:1] == [ids["王建国"]]
    assert [h.id for h in search(s, "7772695")] == [ids["王建国"]]
    assert [h.id for h in search(s, "138-0000-1111")] == [ids["王芳"]]
    assert [h.id for h in search(s, "8861234")] == [ids["h1"]]  # a household's own phone
    hh = search(s, "1002010001")
    assert hh[0].kind == "household" and hh[0].id == ids["h1"] and hh[0].match == "exact"
    assert hh[0].title == "户号 1002010001 · 户主 王建国"
    assert search(s, "12") == [] and search(s, "7") == []  # 1–2 digits: only an exact 户号


def test_address_words(small):
    s, ids = small
    assert {h.id for h in search(s, "村民小组")} == {ids["h1"], ids["h2"]}
    assert [h.id for h in search(s, "幸福路")] == [ids["h3"]]
    assert [h.id for h in search(s, "和平村 7号")] == [ids["h1"], ids["h2"]]  # 2-char terms are dropped
    hit = search(s, "第一村民小组")[0]
    assert hit.detail.startswith("和平村第一村民小组1号") and hit.village == "和平村"


def test_limit_and_order(small):
    s, ids = small
    assert len(search(s, "1525", limit=2)) == 2
    assert len(search(s, "1525", limit=0)) == 1  # clamped to at least one


def test_edits_and_tombstones_show_at_once(small):
    s, ids = small
    with s.writing() as w:
        w.update(Person, ids["张伟"], {"name": "张卫东"})
        w.delete(Person, ids["王芳"])
        w.update(Household, ids["h3"], {"address": "宝日嘎查团结路3号"})
    assert search(s, "张伟") == [] and names(search(s, "卫东")) == ["张卫东"]
    assert search(s, "王芳") == [] and search(s, "13800001111") == []
    assert search(s, "幸福路") == [] and [h.id for h in search(s, "团结路")] == [ids["h3"]]


def test_id_and_phone_are_masked_unless_revealed_by_a_role_that_may(small):
    s, ids = small
    masked = search(s, "王建国")[0].detail
    assert "1525**********5505" in masked and "151****2695" in masked and ID_WANG not in masked
    full = search(s, "王建国", reveal=True)[0].detail
    assert ID_WANG in full and "15117772695" in full
    viewer = Session(s.ledger, "viewer", "只读")
    clerk = Session(s.ledger, "clerk", "录入员")
    for other in (viewer, clerk):
        detail = search(other, "王建国", reveal=True)[0].detail
        assert ID_WANG not in detail and "15117772695" not in detail
    hh = search(s, "8861234")[0].detail
    assert "04758861234" not in hh and "047****1234" in hh
    assert "04758861234" in search(s, "8861234", reveal=True)[0].detail


NASTY = ['"', '""', "*", "王*", "AND", "OR", "NOT", "王 OR 李", "NEAR(王 李)", "(", ")", "((王", "name:王",
         "col : x", "^王", "'", "-", "+", "\\", "{王 李}", "：", "，", "😀", "😀😀😀", "\x00", "\x03", "\ud800",
         "王" * 2000, "1" * 2000, "１５２５", "　王　", "a" * 3, "x", "X" * 20, "%", "_", "%%%", "\u200b王建国"]


@pytest.mark.parametrize("text", NASTY)
def test_awkward_text_never_raises(small, text):
    s, _ = small
    hits = search(s, text)
    assert isinstance(hits, list) and all(isinstance(h, SearchHit) for h in hits)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.text(max_size=60))
def test_any_text_returns_a_list(small, text):
    s, _ = small
    hits = search(s, text, limit=5)
    assert isinstance(hits, list) and len(hits) <= 5


def test_demo_ledger_finds_a_person_by_two_character_name_and_six_digit_id_fragment(demo_session):
    db = demo_session.ledger.db
    pid, name = db.execute_sql("SELECT id, name FROM person WHERE deleted = 0 AND length(name) = 2 "
                               "ORDER BY id LIMIT 1").fetchone()
    hits = search(demo_session, name, limit=500)
    assert pid in [h.id for h in hits] and hits[0].title == name and hits[0].match == "exact"
    for pid, idn in db.execute_sql("SELECT id, id_number FROM person WHERE deleted = 0 AND length(id_number) = 18 "
                                   "ORDER BY id LIMIT 50").fetchall():
        fragment = idn[10:16]
        matches = db.execute_sql("SELECT count(*) FROM person WHERE instr(id_number, ?) > 0 OR instr(phone, ?) > 0",
                                 (fragment, fragment)).fetchone()[0]
        if matches <= 20:
            break
    hits = search(demo_session, fragment)
    assert pid in [h.id for h in hits]
    assert all("*" in h.detail for h in hits if h.kind == "person" and "身份证" in h.detail)


def test_cli_search_prints_masked_hits_and_json(file_session, ledger_path):
    ids = build_small_ledger(file_session)
    file_session.close()

    def run(*args):
        return subprocess.run([sys.executable, "-m", "ledgerdesk", "--db", str(ledger_path), "search", *args],
                              capture_output=True, text=True, timeout=120)

    proc = run("王建国")
    assert proc.returncode == 0, proc.stderr
    assert "[人] 王建国" in proc.stdout and "1525**********5505" in proc.stdout and ID_WANG not in proc.stdout
    proc = run("村民小组", "--json", "--limit", "1")
    data = json.loads(proc.stdout)
    assert data["query"] == "村民小组" and len(data["hits"]) == 1
    assert data["hits"][0]["kind"] == "household" and data["hits"][0]["id"] in (ids["h1"], ids["h2"])
    proc = run('"(AND')
    assert proc.returncode == 0 and "没有找到" in proc.stdout
    bad = run("王", "--limit", "0")
    assert bad.returncode != 0 and bad.stderr.strip().endswith("(usage)") and "Traceback" not in bad.stderr
    file_session.ledger.db.connect(reuse_if_open=True)  # the fixture's teardown checks the file
