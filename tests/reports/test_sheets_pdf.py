"""The six sheets as PDFs on the demo ledger: text, fonts, pages, reproducibility, coverage of every glyph."""

from __future__ import annotations

import dataclasses
import io

import pytest

from ledgerdesk.reports import bulletin, committees_sheet, coverage_notice, household_card, ledger_monthly
from ledgerdesk.reports.fonts import chain
from ledgerdesk.reports.generate import make_sheet
from ledgerdesk.reports.layout import fmt_rate
from ledgerdesk.services import registry_queries as rq, sheets
from ledgerdesk.services.problem_stats import Period

MONTH = "2026-10"


def _village(session) -> str:
    return rq.villages(session)[0].name


def _flat(text: str) -> str:
    return "".join(text.split())


def _ext_a_household(session) -> str:
    """A household with a member whose name has a CJK Extension A character (the demo has some)."""
    rows = session.ledger.db.execute_sql(
        "SELECT household_id, name FROM person WHERE deleted = 0 AND status IN ('在册', '外出')").fetchall()
    for hid, name in rows:
        if any(0x3400 <= ord(c) <= 0x4DBF for c in name):
            return hid
    raise AssertionError("the demo has no Extension A name")


def test_ledger_rows_and_figures_are_printed(poppler, demo_session, tmp_path):
    sheet = sheets.ledger_sheet(demo_session, Period.month(MONTH))
    out = tmp_path / "ledger.pdf"
    result = ledger_monthly.render(sheet, out)
    text = poppler.text(out)
    f = sheet.figures
    assert len(sheet.lines) == f["received"] > 20
    for line in (sheet.lines[0], sheet.lines[len(sheet.lines) // 2], sheet.lines[-1]):
        assert line.number in text
    assert fmt_rate(f["resolution_rate"]) in text and fmt_rate(f["on_time_rate"]) in text
    assert "第 1 页 共" in text and f"第 {result.pages} 页 共 {result.pages} 页" in text
    pages = [page for page in text.split("\f") if page.strip()]
    assert len(pages) == result.pages
    with_rows = [page for page in pages if any(line.number in page for line in sheet.lines)]
    assert len(with_rows) >= result.pages - 1  # only the sign-off may stand on a page of its own
    assert all("编号" in page for page in with_rows)  # the header row repeats on every page of rows
    assert "填报人" in text and "审核人" in text and "单位盖章" in text
    assert text.count("▲超期") - 1 == f["overdue_open"]  # one in the legend == sum(ln.overdue for ln in sheet.lines)
    assert poppler.render(out, tmp_path) == result.pages
    assert all(emb == "yes" for _, emb in poppler.fonts(out))


SHEETS = ["ledger-monthly", "coverage-notice", "linkage-notice", "committees", "bulletin", "household-card"]


@pytest.mark.parametrize("key", SHEETS)
def test_every_sheet_embeds_its_fonts_renders_and_draws_only_covered_glyphs(poppler, key, demo_session, tmp_path, drawn):
    household = _ext_a_household(demo_session) if key == "household-card" else None
    village = None if key in ("ledger-monthly", "bulletin") else _village(demo_session)
    out = tmp_path / f"{key}.pdf"
    result = make_sheet(demo_session, key, out, month=MONTH, village=village, household=household)
    assert result.pages >= 1 and not result.missing
    fonts = poppler.fonts(out)
    assert fonts and all(emb == "yes" for _, emb in fonts), fonts
    assert not any(name.startswith(("Helvetica", "Times", "Courier")) for name, _ in fonts)
    assert poppler.render(out, tmp_path) == result.pages
    covers = chain().covers
    for font, text in drawn:
        assert font in covers, font
        bad = [c for c in text if ord(c) not in covers[font]]
        assert not bad, (font, text, bad)
    assert poppler.text(out).strip()


def test_extension_a_name_prints_through_the_fallback(poppler, demo_session, tmp_path, drawn):
    hid = _ext_a_household(demo_session)
    card = sheets.household_card(demo_session, hid)
    rare = next(p.name for p in card.persons if any(0x3400 <= ord(c) <= 0x4DBF for c in p.name))
    out = tmp_path / "card.pdf"
    household_card.render(card, out)
    assert rare in poppler.text(out)  # extractable, the right characters
    assert any(name.endswith("DroidSansFallback") for name, _ in poppler.fonts(out))
    assert any(font == "LedgerDeskSansFallback" and any(0x3400 <= ord(c) <= 0x4DBF for c in t) for font, t in drawn)


def test_a_character_in_no_font_is_reported_with_its_problem(poppler, demo_session, tmp_path):
    sheet = sheets.ledger_sheet(demo_session, Period.month(MONTH))
    first = dataclasses.replace(sheet.lines[0], title="村民\U0002B81D家房屋漏雨\ue000")
    sheet = dataclasses.replace(sheet, lines=(first, *sheet.lines[1:]))
    out = tmp_path / "ledger.pdf"
    result = ledger_monthly.render(sheet, out)
    assert {(m.codepoint, m.record) for m in result.missing} == {
        ("U+2B81D", f"问题 {first.number}"), ("U+E000", f"问题 {first.number}")}
    text = poppler.text(out)
    assert "[U+2B81D]" in text and "[U+E000]" in text


def test_output_is_byte_reproducible(demo_session):
    data = sheets.ledger_sheet(demo_session, Period.month(MONTH), village=_village(demo_session))
    a, b = io.BytesIO(), io.BytesIO()
    ledger_monthly.render(data, a)
    ledger_monthly.render(data, b)
    assert a.getvalue() == b.getvalue()
    notice = sheets.notice_sheet(demo_session, "center", village=_village(demo_session))
    c, d = io.BytesIO(), io.BytesIO()
    coverage_notice.render(notice, c)
    coverage_notice.render(notice, d)
    assert c.getvalue() == d.getvalue()


def test_notice_sheets_mask_phones(poppler, demo_session, tmp_path):
    notice = sheets.notice_sheet(demo_session, "center", village=_village(demo_session))
    out = tmp_path / "n.pdf"
    coverage_notice.render(notice, out, paper="A3")
    text = poppler.text(out)
    phones = [e.phone for v in notice.villages for e in v.entries if e.phone]
    assert phones and all("****" in p for p in phones)
    assert phones[0] in text
    raw = demo_session.ledger.db.execute_sql("SELECT phone FROM household WHERE deleted = 0 AND phone != '' "
                                             "AND village_id IN (SELECT id FROM village WHERE name = ?)", (_village(demo_session),)).fetchall()
    assert not any(r[0] in text for r in raw)


def test_committees_and_bulletin_print_their_figures(poppler, demo_session, tmp_path):
    c = sheets.committees_sheet(demo_session, Period.month("2026-11"))
    out = tmp_path / "c.pdf"
    committees_sheet.render(c, out)
    text = poppler.text(out)
    assert f"本期活动{c.figures['activities_in_period']}次" in _flat(text)
    b = sheets.bulletin(demo_session, Period.month("2026-11"), trend_months=6)
    out = tmp_path / "b.pdf"
    result = bulletin.render(b, out)
    text = poppler.text(out)
    assert result.pages <= 2
    flat = _flat(text)
    assert f"本月受理问题{b.stats.received}件" in flat and "办结率走势" in flat and "各村覆盖率" in flat


def test_household_card_on_a5_masks_ids(poppler, demo_session, tmp_path):
    hid = rq.household_ids(demo_session)[0]
    card = sheets.household_card(demo_session, hid)
    out = tmp_path / "card.pdf"
    assert household_card.render(card, out, paper="A5").pages == 1
    text = poppler.text(out)
    assert card.hh_no in text
    assert all("*" in p.id_number for p in card.persons if p.id_number)
