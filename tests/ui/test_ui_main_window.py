"""The main window: title, dashboard figures, navigation, placeholders, remembered geometry."""

import re
from pathlib import Path

from PySide6.QtCore import QRect, Qt
from PySide6.QtWidgets import QAbstractItemView, QLabel

from ledgerdesk.services import stats, workspace
from ledgerdesk.ui.main_window import MainWindow
from ledgerdesk.ui.pages import PAGES
from ledgerdesk.ui.pages.planned import PlannedPage

SHOTS = Path("/tmp/ui-shots")
PAGE_TITLES = ["工作台", "户籍", "党员中心户", "联户长", "六会", "走访", "问题台账", "报表打印", "数据交换", "设置",
               "账号管理", "审计记录"]
SHORTCUT_KEYS = [Qt.Key.Key_1, Qt.Key.Key_2, Qt.Key.Key_3, Qt.Key.Key_4, Qt.Key.Key_5,
                 Qt.Key.Key_6, Qt.Key.Key_7, Qt.Key.Key_8, Qt.Key.Key_9, Qt.Key.Key_0]


def test_title_names_the_township_and_status_bar_the_file(window_on, file_session):
    window = window_on(file_session)
    assert window.windowTitle() == "LedgerDesk 基层治理台账 — 测试镇"
    status_texts = [label.text() for label in window.statusBar().findChildren(QLabel)]
    assert any(file_session.ledger.path in text for text in status_texts)


def test_navigation_lists_exactly_the_ten_pages(window_on, file_session):
    window = window_on(file_session)
    items = [window.navigation.item(row).text() for row in range(window.navigation.count())]
    assert items == PAGE_TITLES


def test_dashboard_shows_the_service_figures(qtbot, window_on, demo_session):
    window = window_on(demo_session)
    dashboard = window.page("dashboard")
    assert window.stack.currentWidget() is dashboard
    expected = stats.entity_counts(demo_session).as_dict()
    # the counts arrive from the worker; until then each shows "—"
    qtbot.waitUntil(lambda: all(label.text() != "—" for label in dashboard.value_labels.values()), timeout=15_000)
    shown = {key: int(label.text().replace(",", "")) for key, label in dashboard.value_labels.items()}
    assert shown == expected
    assert sum(expected.values()) > 0  # a real demo, not a blank ledger
    captions = {label.text() for label in dashboard.findChildren(QLabel, "countLabel")}
    assert captions == set(stats.LABELS.values())
    info = workspace.ledger_info(demo_session)
    texts = {label.text() for label in dashboard.findChildren(QLabel)}
    assert {info.township, info.path, info.site_id, f"第 {info.schema_version} 版"} <= texts
    # Fits a maximised window on a 1366×768 screen under a taskbar and title bar: nothing squeezed.
    needed = window.minimumSizeHint()
    assert needed.width() <= 1366 and needed.height() <= 768 - 40 - 30
    SHOTS.mkdir(exist_ok=True)
    assert window.grab().save(str(SHOTS / "main-window-dashboard-1366x768.png"))


def test_clicking_navigation_switches_page(qtbot, window_on, file_session):
    window = window_on(file_session)
    for row, title in enumerate(PAGE_TITLES):
        item = window.navigation.item(row)
        rect = window.navigation.visualItemRect(item)
        qtbot.mouseClick(window.navigation.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
        page = window.stack.currentWidget()
        assert window.current_key() == PAGES[row].key
        assert page.title_label.text() == title


def test_ctrl_digit_switches_page(qtbot, window_on, file_session):
    window = window_on(file_session)
    for row in reversed(range(len(SHORTCUT_KEYS))):  # reversed: start away from the first page; the first ten have one
        qtbot.keyClick(window.navigation, SHORTCUT_KEYS[row], Qt.KeyboardModifier.ControlModifier)
        assert window.current_key() == PAGES[row].key
        assert window.stack.currentWidget().title_label.text() == PAGE_TITLES[row]
        assert window.navigation.currentRow() == row


def test_placeholders_describe_their_page_and_show_no_data(window_on, file_session):
    window = window_on(file_session)
    planned = [spec for spec in PAGES if spec.widget is PlannedPage]
    assert {spec.key for spec in planned} <= {"committees", "reports", "interchange"}  # not built yet
    for spec in planned:
        page = window.page(spec.key)
        texts = [label.text() for label in page.findChildren(QLabel)]
        assert any("建设中" in text for text in texts)
        assert sum(len(re.sub(r"<[^>]+>", "", text)) for text in texts) > 60  # says what it will hold
        assert not page.findChildren(QAbstractItemView)
        assert not any(re.fullmatch(r"[\d,.\s]+", text) for text in texts if text)


def test_settings_page_shows_ledger_file_and_data_folder(window_on, file_session):
    page = window_on(file_session).page("settings")
    assert page.findChild(QLabel, "location_ledger_file").text() == file_session.ledger.path
    assert page.findChild(QLabel, "location_ledger_folder").text() == str(Path(file_session.ledger.path).parent)
    assert page.findChild(QLabel, "location_data_folder").text() == str(workspace.default_ledger_path().parent)


def test_geometry_is_remembered_across_windows(qtbot, app, runner, file_session, temp_qsettings):
    first = MainWindow(file_session, runner)
    qtbot.addWidget(first)
    with qtbot.waitExposed(first):
        first.showNormal()
    first.setGeometry(QRect(40, 30, 1000, 640))
    geometry = first.geometry()
    first.close()
    assert any(temp_qsettings.rglob("*.ini"))

    second = MainWindow(file_session, runner)
    qtbot.addWidget(second)
    with qtbot.waitExposed(second):
        second.show()
    assert second.geometry() == geometry
