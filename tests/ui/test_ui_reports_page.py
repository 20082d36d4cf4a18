"""报表打印 page: choose, preview (rendered by QtPdf), save, print to a PDF printer; missing glyphs are shown."""

from __future__ import annotations

import dataclasses

import pytest
from PySide6.QtWidgets import QMessageBox

from ledgerdesk.reports.fonts import MissingGlyph
from ledgerdesk.services import registry_queries as rq, workspace
from ledgerdesk.ui.pages import PageContext, PageSpec
from ledgerdesk.ui.pages.reports import ReportsPage


@pytest.fixture
def page(qtbot, app, runner, demo_session):
    context = PageContext(demo_session, workspace.ledger_info(demo_session), runner)
    p = ReportsPage(context, PageSpec("reports", "报表打印", ReportsPage))
    qtbot.addWidget(p)
    p.resize(1366 - 168, 720)
    p.show()
    return p


def _choose(page, key, village=None):
    page.sheet_box.setCurrentIndex(page.sheet_box.findData(key))
    if village:
        page.village_box.setCurrentIndex(page.village_box.findData(village))


def test_preview_save_and_print(page, demo_session, tmp_path, qtbot):
    from PySide6.QtPrintSupport import QPrinter

    village = rq.villages(demo_session)[0].name
    _choose(page, "coverage-notice", village)
    assert [page.paper_box.itemText(i) for i in range(page.paper_box.count())] == ["A4", "A3"]
    assert not page.print_button.isEnabled()
    result = page.preview()
    assert result is not None and result.pages >= 1
    qtbot.waitUntil(lambda: page.document.pageCount() == result.pages)
    assert page.print_button.isEnabled() and page.save_button.isEnabled()
    page.grab().save(str(tmp_path / "reports-page.png"))
    saved = page.save_as(str(tmp_path / "notice.pdf"))
    assert saved and (tmp_path / "notice.pdf").read_bytes()[:4] == b"%PDF"
    printer = QPrinter(QPrinter.PrinterMode.ScreenResolution)
    printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
    printer.setOutputFileName(str(tmp_path / "printed.pdf"))
    assert page.print_pdf(printer)
    assert (tmp_path / "printed.pdf").stat().st_size > 1000


def test_household_card_field_and_missing_glyph_message(page, demo_session, monkeypatch):
    _choose(page, "household-card")
    assert page.household_edit.isVisibleTo(page) and not page.month_edit.isEnabled()
    assert [page.paper_box.itemText(i) for i in range(page.paper_box.count())] == ["A4", "A5"]
    hh_no = rq.household_rows(demo_session, rq.household_ids(demo_session)[:1])[0].hh_no
    page.household_edit.setText(hh_no)
    shown = []
    monkeypatch.setattr(QMessageBox, "warning", lambda parent, title, text, *a, **k: shown.append((title, text)))
    result = page.preview()
    assert result is not None and not shown
    flawed = dataclasses.replace(result, missing=(MissingGlyph("\U0002B81D", "户 0001（某村）户主", "张\U0002B81D"),))
    page.show_result(flawed)
    assert shown and "户 0001（某村）户主" in shown[0][1] and "U+2B81D" in shown[0][1]


def test_a_failure_is_reported_not_raised(page, monkeypatch):
    import ledgerdesk.ui.tasks as tasks

    errors = []
    monkeypatch.setattr(tasks, "show_error", lambda parent, error: errors.append(error))
    _choose(page, "household-card")
    page.household_edit.setText("没有这一户")
    assert page.preview() is None
    assert errors and "没有这一户" in str(errors[0])
