"""The demo ledger generator: profile counts, determinism, realism and the write path.

Most tests read the township template that conftest builds once per run
(seed 7, TEST_NOW). Two more township builds check determinism (through the
child-process path the county scale uses) and a different seed; a tiny profile
exercises build_demo on an ordinary ledger, where CHECK constraints apply.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import random
import re
from collections import Counter, defaultdict

import pytest

from ledgerdesk.core import lifecycle
from ledgerdesk.core.errors import Cancelled, LedgerExistsError, ValidationError
from ledgerdesk.core.idcard import INVALID, VALID, check_id_number, make_id_number
from ledgerdesk.services import accounts, demo
from ledgerdesk.services.demo_data import CENTER_TYPES, COMMITTEE_KINDS, CUSTOM_COMMITTEE
from ledgerdesk.store.database import Ledger
from ledgerdesk.store.migrations import synced_tables
from ledgerdesk.store.verify import replay_mismatches

TOWNSHIP = demo.SCALES["township"]


def rows(session, sql, *params):
    return session.ledger.db.execute_sql(sql, params).fetchall()


def scalar(session, sql, *params):
    return rows(session, sql, *params)[0][0]


def content_hash(db) -> str:
    """A digest of every synced table's rows (ordered by id, without vid).

    The township row seeded by workspace.create_ledger has a random id, so it
    is replaced by a placeholder wherever it appears.
    """
    conn = db.connection()
    seeded = conn.execute("SELECT value FROM meta WHERE key = 'township_id'").fetchone()[0]
    digest = hashlib.sha256()
    for table in synced_tables(conn):
        cols = [c[1] for c in conn.execute(f'PRAGMA table_info("{table}")') if c[1] != "vid"]
        for row in conn.execute(f'SELECT {", ".join(cols)} FROM "{table}" ORDER BY id'):
            digest.update(f"{table}{row!r}".replace(seeded, "<township>").encode())
    return digest.hexdigest()


def template_hash(path, clock) -> str:
    ledger = Ledger.open(path, clock=clock)
    try:
        return content_hash(ledger.db)
    finally:
        ledger.close()


# -- profile and determinism ------------------------------------------------------------------


def test_township_counts_match_the_profile(demo_session):
    expected = {
        "village": TOWNSHIP.villages, "household": TOWNSHIP.households, "person": TOWNSHIP.persons,
        "party_center": TOWNSHIP.centers, "link_head": TOWNSHIP.link_heads, "committee": TOWNSHIP.committees,
        "problem": TOWNSHIP.problems, "visit": TOWNSHIP.visits,
    }
    actual = {table: scalar(demo_session, f'SELECT count(*) FROM "{table}" WHERE deleted = 0') for table in expected}
    assert actual == expected


def test_same_seed_and_clock_give_identical_content_also_via_the_child_process(
        demo_template, tmp_path, monkeypatch, clock):
    monkeypatch.setattr(demo, "PARALLEL_MIN_PERSONS", 0)  # the county path: rows made in a child process
    monkeypatch.delenv("LEDGERDESK_PASSWORD", raising=False)  # a password hash has a random salt
    reports = []
    path = tmp_path / "again.sqlite3"
    session = demo.create_demo_ledger(path, scale="township", seed=7, clock=clock,
                                      progress=lambda label, fraction: reports.append((label, fraction)))
    try:
        assert content_hash(session.ledger.db) == template_hash(demo_template, clock)
    finally:
        session.close()
    assert 10 <= len(reports) <= 100
    fractions = [f for _, f in reports]
    assert fractions == sorted(fractions) and fractions[0] == 0.0 and fractions[-1] == 1.0
    assert all(re.search(r"[\u4e00-\u9fff]", label) for label, _ in reports)


def test_a_different_seed_gives_different_content(demo_template, tmp_path, clock):
    session = demo.create_demo_ledger(tmp_path / "other.sqlite3", scale="township", seed=8, clock=clock)
    try:
        assert content_hash(session.ledger.db) != template_hash(demo_template, clock)
    finally:
        session.close()


def test_build_demo_into_an_ordinary_ledger_reports_what_it_wrote(memory_session, monkeypatch):
    # A tiny profile: quick, and an ordinary connection enforces every CHECK constraint row by row.
    tiny = demo.ScaleProfile(villages=3, households=300, persons=1_000, centers=15, link_heads=30, committees=18,
                             problems=60, visits=100, townships=2, center_bounds=(5, 30))
    monkeypatch.setitem(demo.SCALES, "tiny", tiny)
    summary = demo.build_demo(memory_session, scale="tiny", seed=3)
    assert (summary.scale, summary.seed) == ("tiny", 3) and summary.seconds > 0
    expected = {"village": 3, "household": 300, "person": 1_000, "party_center": 15, "link_head": 30,
                "committee": 18, "problem": 60, "visit": 100, "township": 1}
    assert {table: summary.counts[table] for table in expected} == expected
    assert scalar(memory_session, "SELECT count(DISTINCT township_id) FROM village") == 2


def test_every_write_was_versioned(demo_path, clock):
    ledger = Ledger.open(demo_path, clock=clock)
    try:
        assert replay_mismatches(ledger.db) == []
        assert ledger.db.execute_sql("PRAGMA integrity_check").fetchall() == [("ok",)]
    finally:
        ledger.close()


def test_build_demo_refuses_a_ledger_that_already_has_villages(demo_session):
    with pytest.raises(ValidationError):
        demo.build_demo(demo_session, scale="township")


def test_unknown_scale_is_refused(tmp_path, clock):
    with pytest.raises(ValidationError):
        demo.create_demo_ledger(tmp_path / "x.sqlite3", scale="province", clock=clock)
    assert not list(tmp_path.iterdir())


# -- the file ---------------------------------------------------------------------------------------


def test_an_existing_file_is_refused_and_left_untouched(tmp_path, clock):
    path = tmp_path / "ledger.sqlite3"
    path.write_bytes(b"not yours")
    with pytest.raises(LedgerExistsError):
        demo.create_demo_ledger(path, scale="township", clock=clock)
    assert path.read_bytes() == b"not yours"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ledger.sqlite3"]


def test_a_cancel_mid_build_leaves_no_file(tmp_path, clock):
    path = tmp_path / "ledger.sqlite3"
    polls = []

    def cancel():
        polls.append(1)
        return len(polls) > 5

    with pytest.raises(Cancelled):
        demo.create_demo_ledger(path, scale="township", clock=clock, cancel=cancel)
    assert list(tmp_path.iterdir()) == []


def test_the_demo_has_an_admin_account_without_password(demo_session):
    name, role, password_hash = rows(demo_session, "SELECT display_name, role, password_hash FROM user_account "
                                                   "WHERE username = 'admin'")[0]
    assert (name, role, password_hash) == ("管理员", "管理员", "")


def test_ensure_admin_hashes_the_password_with_argon2id(memory_session):
    account = accounts.ensure_admin(memory_session, "示范-2026")
    stored = scalar(memory_session, "SELECT password_hash FROM user_account WHERE id = ?", account)
    assert stored.startswith("$argon2id$")
    assert accounts.verify_password(stored, "示范-2026")
    assert not accounts.verify_password(stored, "wrong")
    assert not accounts.verify_password("", "")
    assert accounts.ensure_admin(memory_session, "other") == account  # an existing admin is kept


# -- people --------------------------------------------------------------------------------------------


def test_id_numbers_agree_with_birth_date_and_gender(demo_session):
    statuses = Counter()
    for number, status, birth, gender in rows(demo_session, "SELECT id_number, id_status, birth_date, gender "
                                                            "FROM person"):
        statuses[status] += 1
        verdict = check_id_number(number)
        assert verdict.status == status
        if status != "missing":
            assert verdict.birth_date == dt.date.fromisoformat(birth)
            assert verdict.gender == gender
    total = sum(statuses.values())
    assert 0.002 < statuses[INVALID] / total < 0.01
    assert 0 < statuses["missing"] / total < 0.01


def test_fast_id_numbers_equal_core_make_id_number():
    people = demo._People(dt.date(2026, 11, 20))
    rng = random.Random(5)
    for _ in range(5_000):
        birth = people.birth(rng.random, rng.randint(0, 100))
        area, seq, male = rng.choice(("152530", "110105", "130723")), rng.randrange(1000), rng.random() < 0.5
        number = people.ids.make(area, birth, seq, male)
        assert number == make_id_number(area, dt.date.fromisoformat(birth[0]), seq, male)
        assert check_id_number(number).status == VALID


def test_people_look_like_a_township_register(demo_session):
    persons = TOWNSHIP.persons
    party = scalar(demo_session, "SELECT count(*) FROM person WHERE is_party_member = 1")
    assert 0.06 < party / persons < 0.10
    assert scalar(demo_session, "SELECT count(*) FROM person WHERE is_party_member = 1 AND "
                                "(party_branch = '' OR party_joined_on IS NULL)") == 0
    status = dict(rows(demo_session, "SELECT status, count(*) FROM person GROUP BY status"))
    assert status["在册"] / persons > 0.85 and all(status.get(s) for s in ("外出", "迁出", "去世"))
    assert scalar(demo_session, "SELECT count(*) FROM person WHERE phone != '' AND phone NOT GLOB "
                                "'1[3-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9]'") == 0
    relations = dict(rows(demo_session, "SELECT relation, count(*) FROM person GROUP BY relation"))
    assert relations["户主"] == TOWNSHIP.households and {"配偶", "子", "女", "孙子", "孙女"} <= set(relations)
    ext_a = scalar(demo_session, "SELECT count(*) FROM person WHERE name GLOB '*[㐀-䶿]*'")
    assert 0 < ext_a < persons * 0.003


def test_households_have_heads_levels_and_tags(demo_session):
    assert scalar(demo_session, "SELECT count(*) FROM household h JOIN person p ON p.id = h.head_person_id "
                                "AND p.household_id = h.id AND p.relation = '户主'") == TOWNSHIP.households
    levels = dict(rows(demo_session, "SELECT level, count(*) FROM household GROUP BY level"))
    assert levels["绿"] > levels["黄"] > levels["红"] > 0
    tags = dict(rows(demo_session, "SELECT t.name, count(*) FROM household_tag ht JOIN tag t ON t.id = ht.tag_id "
                                   "GROUP BY t.name"))
    assert {"留守老人", "低保", "牧户", "独居老人"} <= set(tags)
    herders = rows(demo_session, "SELECT v.kind, count(*) FROM household_tag ht JOIN household h "
                                 "ON h.id = ht.household_id JOIN village v ON v.id = h.village_id "
                                 "JOIN tag t ON t.id = ht.tag_id WHERE t.name = '牧户' GROUP BY v.kind")
    assert [kind for kind, _ in herders] == ["嘎查"]
    assert scalar(demo_session, "SELECT count(*) FROM household h JOIN village v ON v.id = h.village_id "
                                "WHERE v.kind = '嘎查' AND (h.lat IS NULL OR h.winter_pasture = '')") == 0
    assert {k for (k,) in rows(demo_session, "SELECT DISTINCT kind FROM village")} == {"村", "社区", "嘎查"}


# -- 中心户 and 联户长 ------------------------------------------------------------------------------------


def test_center_coverage_is_about_ninety_percent_with_gaps_in_some_villages(demo_session):
    overall = scalar(demo_session, "SELECT avg(center_id IS NOT NULL) FROM household")
    assert 0.86 < overall < 0.94
    per_village = [r[0] for r in rows(demo_session, "SELECT avg(center_id IS NOT NULL) FROM household "
                                                    "GROUP BY village_id")]
    assert min(per_village) < 0.75
    assert sorted(per_village)[len(per_village) // 2] > 0.9
    assert scalar(demo_session, "SELECT count(*) FROM household h LEFT JOIN party_center c ON c.id = h.center_id "
                                "WHERE h.center_id IS NOT NULL AND c.id IS NULL") == 0
    assert scalar(demo_session, "SELECT count(*) FROM party_center c JOIN household h ON h.id = c.household_id "
                                "WHERE h.center_id IS NOT c.id OR h.village_id != c.village_id") == 0


def test_center_persons_are_party_members_of_their_household_except_a_few_lapsed(demo_session):
    found = rows(demo_session, "SELECT p.household_id = c.household_id, p.is_party_member, p.party_joined_on, "
                               "p.status FROM party_center c JOIN person p ON p.id = c.person_id")
    assert len(found) == TOWNSHIP.centers
    assert all(same_home and joined for same_home, _, joined, _ in found)
    lapsed = [r for r in found if not r[1] or r[3] in ("去世", "迁出")]
    assert 0 < len(lapsed) < TOWNSHIP.centers * 0.05
    types = Counter(t for (csv,) in rows(demo_session, "SELECT types FROM party_center") for t in csv.split(","))
    assert set(types) == set(CENTER_TYPES)


def test_a_few_centers_are_outside_the_configured_bounds(demo_session):
    low, high = (int(scalar(demo_session, "SELECT value FROM setting WHERE key = ?", key))
                 for key in ("center.min_households", "center.max_households"))
    assert (low, high) == TOWNSHIP.center_bounds
    sizes = [n for (n,) in rows(demo_session, "SELECT count(*) FROM household WHERE center_id IS NOT NULL "
                                              "GROUP BY center_id")]
    outside = sum(not low <= n <= high for n in sizes)
    assert 0 < outside < len(sizes) * 0.05


def test_link_heads_link_nearly_every_household_about_ten_each(demo_session):
    linked = scalar(demo_session, "SELECT avg(link_head_id IS NOT NULL) FROM household")
    assert 0.97 < linked < 1.0
    sizes = [n for (n,) in rows(demo_session, "SELECT count(*) FROM household WHERE link_head_id IS NOT NULL "
                                              "GROUP BY link_head_id")]
    assert len(sizes) == TOWNSHIP.link_heads
    assert sum(5 <= n <= 15 for n in sizes) / len(sizes) > 0.95
    assert scalar(demo_session, "SELECT count(*) FROM link_head l JOIN person p ON p.id = l.person_id "
                                "WHERE p.household_id != l.household_id") == 0


def test_grids_have_workers_and_pastoral_villages_have_four_posts_in_one(demo_session):
    assert scalar(demo_session, "SELECT count(*) FROM grid g WHERE NOT EXISTS "
                                "(SELECT 1 FROM grid_worker w WHERE w.grid_id = g.id AND w.role = '网格员')") == 0
    four_posts = scalar(demo_session, """
        SELECT count(*) FROM party_center c
        WHERE EXISTS (SELECT 1 FROM person_post p WHERE p.person_id = c.person_id AND p.post = '党小组长')
          AND EXISTS (SELECT 1 FROM person_post p WHERE p.person_id = c.person_id AND p.post = '牧民小组长')
          AND EXISTS (SELECT 1 FROM grid_worker w WHERE w.person_id = c.person_id AND w.role = '网格长')""")
    assert four_posts >= 1


# -- 六会, visits ------------------------------------------------------------------------------------------


def test_committees_six_per_village_some_missing_some_inactive(demo_session, clock):
    per_village = defaultdict(list)
    for village, kind in rows(demo_session, "SELECT village_id, kind FROM committee"):
        per_village[village].append(kind)
    assert all(len(kinds) == 6 for kinds in per_village.values())
    incomplete = [k for k in per_village.values() if set(k) != set(COMMITTEE_KINDS)]
    assert 0 < len(incomplete) < len(per_village) / 2 and all(CUSTOM_COMMITTEE in k for k in incomplete)
    cutoff = (clock.today() - dt.timedelta(days=92)).isoformat()
    inactive = scalar(demo_session, "SELECT count(*) FROM committee c WHERE coalesce((SELECT max(held_on) FROM "
                                    "committee_activity a WHERE a.committee_id = c.id), '') < ?", cutoff)
    assert 0 < inactive < TOWNSHIP.committees / 3
    assert scalar(demo_session, "SELECT count(*) FROM committee c WHERE NOT EXISTS (SELECT 1 FROM committee_member m "
                                "WHERE m.committee_id = c.id AND m.role = '会长')") == 0
    figures = rows(demo_session, "SELECT c.kind, sum(a.money_saved_yuan), sum(a.red_list), sum(a.patrols) "
                                 "FROM committee_activity a JOIN committee c ON c.id = a.committee_id GROUP BY c.kind")
    by_kind = {kind: rest for kind, *rest in figures}
    assert by_kind["hongbai"][0] > 0 and by_kind["daode"][1] > 0 and by_kind["lianfang"][2] > 0
    assert scalar(demo_session, "SELECT count(*) FROM committee_activity a WHERE NOT EXISTS "
                                "(SELECT 1 FROM activity_attendee t WHERE t.activity_id = a.id)") == 0


def test_visits_cover_the_past_year_with_households(demo_session, clock):
    first, last = rows(demo_session, "SELECT min(visited_on), max(visited_on) FROM visit")[0]
    assert first >= (clock.today() - dt.timedelta(days=366)).isoformat() and last <= clock.today().isoformat()
    assert scalar(demo_session, "SELECT count(*) FROM visit v WHERE NOT EXISTS "
                                "(SELECT 1 FROM visit_household x WHERE x.visit_id = v.id)") == 0
    assert scalar(demo_session, "SELECT count(*) FROM visit WHERE needs != ''") > 0


# -- problems ------------------------------------------------------------------------------------------------


def test_problem_events_move_forward_and_never_pass_now(demo_session, clock):
    now = clock.now().isoformat(" ")
    by_problem = defaultdict(list)
    for problem, kind, at in rows(demo_session, "SELECT problem_id, kind, at FROM problem_event ORDER BY vid"):
        by_problem[problem].append((kind, at))
    registered = dict(rows(demo_session, "SELECT id, registered_at FROM problem"))
    assert set(by_problem) == set(registered)
    for problem, events in by_problem.items():
        times = [at for _, at in events]
        assert times == sorted(times) and times[-1] <= now
        assert events[0] == ("登记", registered[problem])


def test_ledger_numbers_are_unique_per_township_and_year(demo_session):
    found = rows(demo_session, "SELECT t.name, p.year, p.ledger_no, p.registered_at FROM problem p "
                               "JOIN township t ON t.id = p.township_id")
    numbers = [n for _, _, n, _ in found]
    assert len(set(numbers)) == len(numbers)
    for township, year, number, registered in found:
        assert re.fullmatch(rf"{township}-{year}-\d{{4,}}", number) and registered.startswith(str(year))


def test_some_problems_are_overdue_late_dissatisfied_extended_voided_or_merged(demo_session, clock):
    kinds = dict(rows(demo_session, "SELECT kind, count(*) FROM problem_event GROUP BY kind"))
    assert all(kinds.get(k) for k in ("交办", "办理", "办结", "评价", "销号", "延期", "重新打开", "撤销", "合并"))
    overdue = scalar(demo_session, """
        SELECT count(*) FROM problem p
        WHERE NOT EXISTS (SELECT 1 FROM problem_event e WHERE e.problem_id = p.id AND e.kind IN ('办结', '撤销', '合并'))
          AND (SELECT max(deadline) FROM problem_event e WHERE e.problem_id = p.id) < ?""", clock.today().isoformat())
    assert overdue > 0
    ratings = dict(rows(demo_session, "SELECT rating, count(*) FROM problem_event WHERE kind = '评价' GROUP BY rating"))
    assert ratings["不满意"] > 0
    satisfied = (ratings["满意"] + ratings["基本满意"]) / sum(ratings.values())
    assert 0.9 < satisfied < 0.995
    unhappy = rows(demo_session, """
        SELECT e.problem_id, e.vid FROM problem_event e WHERE e.kind = '评价' AND e.rating = '不满意'""")
    for problem, vid in unhappy:
        later = [k for (k,) in rows(demo_session, "SELECT kind FROM problem_event WHERE problem_id = ? AND vid > ? "
                                                  "ORDER BY vid", problem, vid)]
        assert not later or later[0] == "重新打开"
    done = rows(demo_session, """
        SELECT (SELECT min(at) FROM problem_event e WHERE e.problem_id = p.id AND e.kind = '办结'),
               (SELECT max(deadline) FROM problem_event e WHERE e.problem_id = p.id)
        FROM problem p""")
    resolved = [(at[:10], deadline) for at, deadline in done if at]
    late = sum(day > deadline for day, deadline in resolved)
    assert 0.02 < late / len(resolved) < 0.09
    hotline = rows(demo_session, "SELECT hotline_no FROM problem WHERE source = '12345热线'")
    assert hotline and all(re.fullmatch(r"\d{14}", n) for (n,) in hotline)


def test_every_lifecycle_is_legal_and_its_figures_are_realistic(demo_session, clock):
    cols = ["problem_id", *(f.name for f in dataclasses.fields(lifecycle.Event))]
    cursor = demo_session.ledger.db.execute_sql(f"SELECT {', '.join(cols)} FROM problem_event ORDER BY problem_id")
    histories = defaultdict(list)
    for row in cursor.fetchall():
        values = dict(zip(cols, row))
        histories[values["problem_id"]].append(lifecycle.Event.from_row(values))
    states = [lifecycle.derive(events, strict=True) for events in histories.values()]
    count = Counter(s.state for s in states)
    assert count[lifecycle.CLOSED] > 0.75 * len(states)
    assert count[lifecycle.MERGED] and count[lifecycle.VOIDED]
    resolved = [s for s in states if s.is_resolved]
    assert 0.9 < sum(s.resolved_on_time for s in resolved) / len(resolved) < 0.98
    assert sum(s.is_overdue(clock.today()) for s in states) > 0
    assert sum(s.extensions for s in states) > 0 and sum(s.reopened for s in states) > 0


def test_problem_state_of_the_demo_equals_a_rebuild_from_its_events(demo_session):
    """The demo derives problem_state while generating; it must equal replaying the stored events."""
    from ledgerdesk.services.ledger_queries import rebuild_problem_state

    db = demo_session.ledger.db
    before = db.execute_sql("SELECT * FROM problem_state ORDER BY problem_id").fetchall()
    assert len(before) == db.execute_sql("SELECT count(*) FROM problem").fetchone()[0]
    with demo_session.writing():
        rebuild_problem_state(demo_session)
    assert db.execute_sql("SELECT * FROM problem_state ORDER BY problem_id").fetchall() == before


def test_the_demo_keeps_every_index_and_trigger_of_the_schema(demo_session, file_session):
    """The build drops indexes and insert guards for speed; all of them must be back."""
    def objects(session):
        return sorted(session.ledger.db.execute_sql(
            "SELECT type, name, sql FROM sqlite_master WHERE type IN ('index', 'trigger')").fetchall())

    assert objects(demo_session) == objects(file_session)
