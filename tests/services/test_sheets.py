"""The sheets' data: the same numbers as ``stats --json`` for the same month, rows that add up, masking."""

from __future__ import annotations

import json

import pytest

from ledgerdesk import cli
from ledgerdesk.core.errors import NotFoundError
from ledgerdesk.services import registry_queries as rq, sheets, workspace
from ledgerdesk.services.problem_stats import Period

MONTH = "2026-10"


@pytest.fixture
def stats_json(demo_path, clock, monkeypatch, capsys):
    """``ledgerdesk stats --json`` on the demo ledger, run in-process with the fixed clock."""
    real = workspace.open_ledger
    monkeypatch.setattr(workspace, "open_ledger", lambda path, **kw: real(path, **{**kw, "clock": clock}))

    def run(*extra):
        capsys.readouterr()
        assert cli.main(["--db", str(demo_path), "stats", "--json", *extra]) == 0
        return json.loads(capsys.readouterr().out)

    return run


def test_ledger_sheet_numbers_equal_stats_json(demo_session, stats_json):
    sheet = sheets.ledger_sheet(demo_session, Period.month(MONTH))
    expected = stats_json("--month", MONTH)["problems"]
    for key, value in sheet.figures.items():
        assert expected[key] == value, key
    # the rows add up to the figures
    assert len(sheet.lines) == expected["received"]
    assert sum(ln.resolved is not None for ln in sheet.lines) == expected["resolved"]
    assert sum(ln.overdue for ln in sheet.lines) == expected["overdue_open"]
    assert sum(ln.rating in ("满意", "基本满意") for ln in sheet.lines) == expected["satisfied"]
    assert [ln.number for ln in sheet.lines] == sorted(ln.number for ln in sheet.lines)


def test_one_village_equals_stats_json_for_that_village(demo_session, stats_json):
    village = rq.villages(demo_session)[1].name
    sheet = sheets.ledger_sheet(demo_session, Period.month(MONTH), village=village)
    expected = stats_json("--month", MONTH, "--village", village)["problems"]
    assert sheet.figures["received"] == expected["received"] == len(sheet.lines)
    assert {ln.village for ln in sheet.lines} <= {village}


def test_notice_and_committee_and_bulletin_figures_equal_stats_json(demo_session, stats_json):
    expected = stats_json("--month", "2026-11")
    for kind in ("center", "link_head"):
        notice = sheets.notice_sheet(demo_session, kind)
        assert notice.figures == expected["coverage"]
        assert notice.households == expected["coverage"]["households"]
        assert sum(v.covered for v in notice.villages) == notice.covered
        assert all("****" in e.phone for v in notice.villages for e in v.entries if e.phone)
    centers = sheets.notice_sheet(demo_session, "center")
    assert sum(len(v.entries) for v in centers.villages) == expected["coverage"]["centers"]
    committees = sheets.committees_sheet(demo_session, Period.month("2026-11"))
    assert {k: committees.figures[k] for k in expected["committees"] if k not in ("from", "to")} == {
        k: v for k, v in expected["committees"].items() if k not in ("from", "to")}
    bulletin = sheets.bulletin(demo_session, Period.month("2026-11"), trend_months=3)
    for k in bulletin.key_figures:
        assert expected["problems"][k.key] == k.value
    previous = stats_json("--month", "2026-10")["problems"]
    assert {k.key: k.previous for k in bulletin.key_figures} == {k.key: previous[k.key] for k in bulletin.key_figures}
    assert bulletin.trend[-1].received == expected["problems"]["received"]


def test_household_card_by_hh_no_masks_personal_data(demo_session):
    hid = rq.household_ids(demo_session)[0]
    row = rq.household_rows(demo_session, [hid])[0]
    card = sheets.household_card(demo_session, row.hh_no, village=row.village)
    assert card.household_id == hid and card.hh_no == row.hh_no
    assert all("*" in p.id_number for p in card.persons if p.id_number)
    assert all("*" in p.phone for p in card.persons if p.phone)
    with pytest.raises(NotFoundError):
        sheets.household_card(demo_session, "no-such-household")


def test_a_year_ledger_and_an_unknown_village(demo_session):
    year = sheets.ledger_sheet(demo_session, Period.year(2026))
    assert year.header.title == "年度问题台账" and len(year.lines) == year.figures["received"]
    with pytest.raises(NotFoundError):
        sheets.ledger_sheet(demo_session, Period.month(MONTH), village="没有这个村")
