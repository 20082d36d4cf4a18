"""Ledger numbers: official ones from the township's numbering authority, provisional ones elsewhere."""

import re
import shutil

import pytest

from ledgerdesk.core.errors import PermissionDeniedError
from ledgerdesk.services import ledger as LG
from ledgerdesk.services import ledger_numbers as N
from ledgerdesk.services import workspace
from ledgerdesk.store import database
from ledger_checks import versions

PROVISIONAL = re.compile(r"^(\d{4})-([0-9A-F]{4,16})-(\d{3,})$")


def register(session, n=1, **kw):
    return [LG.register_problem(session, title=f"问题{i}", source="群众反映", **kw).number for i in range(n)]


def test_a_fresh_township_ledger_is_the_authority_and_issues_official_numbers(file_session):
    assert N.is_numbering_authority(file_session)
    assert register(file_session, 3) == ["测试镇-2026-0001", "测试镇-2026-0002", "测试镇-2026-0003"]
    ref = LG.register_problem(file_session, title="去年的", source="信访", registered_at="2025-12-30")
    assert ref.number == "测试镇-2025-0001"


def test_a_ledger_that_is_not_the_authority_issues_provisional_numbers(memory_session):
    s = memory_session
    assert not N.is_numbering_authority(s)
    numbers = register(s, 3)
    code = s.ledger.site_id[:4].upper()
    assert numbers == [f"2026-{code}-001", f"2026-{code}-002", f"2026-{code}-003"]
    rows = LG.problem_rows(s, LG.problem_ids(s))
    assert all(r.provisional for r in rows)


def test_the_authority_is_tied_to_the_file_so_a_copy_does_not_inherit_it(file_session, ledger_path, tmp_path, clock):
    register(file_session, 2)
    file_session.close()
    copy = tmp_path / "laptop.sqlite3"
    shutil.copyfile(ledger_path, copy)
    laptop = workspace.open_ledger(copy, clock=clock)
    office = workspace.open_ledger(ledger_path, clock=clock)
    try:
        assert N.is_numbering_authority(office) and not N.is_numbering_authority(laptop)
        assert register(office) == ["测试镇-2026-0003"]
        (number,) = register(laptop)
        assert PROVISIONAL.match(number) and number.split("-")[1] == laptop.ledger.site_id[:4].upper()
    finally:
        laptop.close()
        office.close()


def test_two_ledgers_copied_from_one_another_never_issue_the_same_provisional_number(tmp_path, clock):
    a_path, b_path = tmp_path / "a.sqlite3", tmp_path / "b.sqlite3"
    a = workspace.create_ledger(a_path, clock=clock, numbering_authority=False)
    first = register(a, 5)
    a.close()
    shutil.copyfile(a_path, b_path)
    a, b = workspace.open_ledger(a_path, clock=clock), workspace.open_ledger(b_path, clock=clock)
    try:
        assert a.ledger.site_id != b.ledger.site_id
        from_a, from_b = register(a, 30), register(b, 30)
        numbers = first + from_a + from_b
        assert len(set(numbers)) == len(numbers)
        assert all(PROVISIONAL.match(n) for n in numbers)
    finally:
        a.close()
        b.close()


def test_a_copy_whose_site_id_shares_the_four_digits_takes_a_longer_code(tmp_path, clock, monkeypatch):
    ids = iter(["abcd000000000001", "abcd000000000002", "abcd000000000003"])
    monkeypatch.setattr(database, "new_site_id", lambda: next(ids))
    a_path, b_path = tmp_path / "a.sqlite3", tmp_path / "b.sqlite3"
    a = workspace.create_ledger(a_path, clock=clock, numbering_authority=False)
    assert register(a, 2) == ["2026-ABCD-001", "2026-ABCD-002"]
    a.close()
    shutil.copyfile(a_path, b_path)
    b = workspace.open_ledger(b_path, clock=clock)
    try:
        assert b.ledger.site_id.startswith("abcd")
        numbers = register(b, 2)
        assert all(n.startswith("2026-ABCD0-") for n in numbers), numbers  # ABCD is another site's
        assert numbers == ["2026-ABCD0-001", "2026-ABCD0-002"]
    finally:
        b.close()


def test_the_office_gives_official_numbers_to_provisional_problems(memory_session, clock):
    s = memory_session
    early = LG.register_problem(s, title="早", source="群众反映", registered_at="2026-11-01").id
    late = LG.register_problem(s, title="晚", source="群众反映").id
    last_year = LG.register_problem(s, title="去年", source="群众反映", registered_at="2025-06-01").id
    with pytest.raises(N.NotNumberingAuthorityError):
        N.assign_official_numbers(s)
    N.make_numbering_authority(s)
    official = LG.register_problem(s, title="办公室登记", source="群众反映").number
    assert official == "测试镇-2026-0001"
    before = versions(s)
    assert N.assign_official_numbers(s) == 3
    assert versions(s) == before + 3
    numbers = {r.id: r.number for r in LG.problem_rows(s, [early, late, last_year])}
    assert numbers == {early: "测试镇-2026-0002", late: "测试镇-2026-0003", last_year: "测试镇-2025-0001"}
    detail = LG.problem_detail(s, early)
    assert detail.ledger_no == "测试镇-2026-0002" and detail.provisional_no.startswith("2026-")
    assert N.assign_official_numbers(s) == 0


def test_only_an_administrator_makes_a_ledger_the_authority(memory_session):
    memory_session.role = "书记"
    with pytest.raises(PermissionDeniedError):
        N.make_numbering_authority(memory_session)
    memory_session.role = "只读"
    with pytest.raises(PermissionDeniedError):
        N.assign_official_numbers(memory_session)


def test_revoked_authority_issues_provisional_numbers(file_session):
    N.revoke_numbering_authority(file_session)
    assert PROVISIONAL.match(register(file_session)[0])


def test_sequence_continues_after_wider_numbers_from_the_demo_builder(memory_session):
    """The sequence is numeric: numbers written with five digits are continued, not restarted."""
    s = memory_session
    N.make_numbering_authority(s)
    from ledgerdesk.store.models import Problem

    with s.writing() as w:
        w.insert_many(Problem, ["id", "township_id", "year", "ledger_no", "title", "source", "registered_at"],
                      [("old", s.ledger.get_meta("township_id"), 2026, "测试镇-2026-00041", "旧", "群众反映",
                        "2026-01-05 10:00:00")])
    assert register(s) == ["测试镇-2026-0042"]


def test_a_number_prefix_setting_replaces_the_township_name(memory_session):
    s = memory_session
    N.make_numbering_authority(s)
    from ledgerdesk.core.ids import link_id
    from ledgerdesk.store.models import Setting

    with s.writing() as w:
        w.insert(Setting, {"key": N.PREFIX_SETTING, "value": "SFZ"}, id=link_id("setting", N.PREFIX_SETTING))
    assert register(s) == ["SFZ-2026-0001"]


def test_official_numbers_are_only_given_to_this_townships_problems(memory_session):
    """A county ledger holds other townships' problems: the office numbers only its own."""
    s = memory_session
    from ledgerdesk.store.models import Problem, Township

    with s.writing() as w:
        w.insert_many(Township, ["id", "name"], [("t-other", "别的镇")])
        w.insert_many(Problem, ["id", "township_id", "year", "provisional_no", "title", "source", "registered_at"],
                      [("theirs", "t-other", 2026, "2026-ABCD-001", "别镇的", "群众反映", "2026-11-01 10:00:00")])
    mine = LG.register_problem(s, title="本镇的", source="群众反映").id
    N.make_numbering_authority(s)
    assert N.assign_official_numbers(s) == 1
    rows = {r.id: r.number for r in LG.problem_rows(s, ["theirs", mine])}
    assert rows == {"theirs": "2026-ABCD-001", mine: "测试镇-2026-0001"}
