"""Page modules imported in the background once the main window shows."""

import sys

from ledgerdesk.ui.pages import PAGES
from ledgerdesk.ui.preload import start_preloading


def test_modules_are_imported_in_the_background_and_a_broken_one_is_skipped(tmp_path, monkeypatch):
    (tmp_path / "preload_probe_ok.py").write_text("LOADED = True\n", encoding="utf-8")
    (tmp_path / "preload_probe_broken.py").write_text("raise RuntimeError('坏了')\n", encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    thread = start_preloading(["preload_probe_broken", "preload_probe_ok"])
    thread.join(10)
    assert not thread.is_alive() and thread.daemon
    assert sys.modules["preload_probe_ok"].LOADED
    assert "preload_probe_broken" not in sys.modules
    monkeypatch.delitem(sys.modules, "preload_probe_ok")


def test_the_window_preloads_the_modules_of_its_pages(qtbot, demo_session, runner):
    from ledgerdesk.ui.main_window import MainWindow

    window = MainWindow(demo_session, runner)
    qtbot.addWidget(window)
    thread = window.preload_pages()
    thread.join(60)
    assert not thread.is_alive()
    assert all(spec.module in sys.modules for spec in PAGES)
    assert len({spec.module for spec in PAGES}) == len(PAGES)
