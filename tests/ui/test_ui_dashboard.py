"""工作台: the month's problem figures, 我的待办 by role, the yellow cards — loaded on the worker after showing."""

from pathlib import Path

import pytest

from ledgerdesk.services import ledger, problem_stats
from ledgerdesk.ui.main_window import MainWindow
from ledgerdesk.ui.pages import PAGES
from ledgerdesk.ui.pages.dashboard import FIGURES, DashboardFigures, DashboardPage, figure_text

SHOTS = Path("/tmp/ui-shots")
SPEC = next(spec for spec in PAGES if spec.key == "dashboard")


@pytest.fixture
def open_dashboard(qtbot, app, page_context):
    def make(session) -> DashboardPage:
        page = DashboardPage(page_context(session), SPEC)
        qtbot.addWidget(page)
        page.resize(1366 - 168, 768 - 60)
        with qtbot.waitSignal(page.figures_loaded, timeout=30000) as loaded:
            page.show()
        assert isinstance(loaded.args[0], DashboardFigures), loaded.args[0]
        return page
    return make


def test_month_figures_are_the_statistics_service(open_dashboard, demo_session):
    page = open_dashboard(demo_session)
    stats = problem_stats.problem_stats(demo_session, problem_stats.Period.month("2026-11"), with_overlap=False)
    assert stats.received > 0
    shown = {key: label.text() for key, label in page.figure_labels.items()}
    assert shown == {key: figure_text(getattr(stats, key), kind) for key, _, kind in FIGURES}
    assert shown["received"] == str(stats.received)
    assert "2026年11月" in page.month_box.title()


def test_yellow_cards_are_the_ledger_service(qtbot, open_dashboard, demo_session, qtmodeltester):
    page = open_dashboard(demo_session)
    cards = ledger.yellow_cards(demo_session)
    assert cards
    assert page.cards_model.ids() == [card.problem_id for card in cards]
    assert page.cards_model.data(page.cards_model.index(0, 0)) == cards[0].number
    qtmodeltester.check(page.cards_model)
    qtmodeltester.check(page.todo_model)


@pytest.mark.parametrize("role, first_task, query", [
    ("书记", "待交办", ledger.ProblemQuery(status="登记")),
    ("管理员", "待交办", ledger.ProblemQuery(status="登记")),
    ("录入员", "超期未办结", ledger.ProblemQuery(overdue=True)),
])
def test_my_todo_follows_the_role(open_dashboard, demo_session, role, first_task, query):
    demo_session.role = role
    page = open_dashboard(demo_session)
    counts = dict(page.figures.todo_counts)
    assert counts[first_task] == len(ledger.problem_ids(demo_session, query))
    tasks = [row.task for row in page.figures.todo]
    assert tasks[0] == first_task
    if role == "录入员":
        assert "待交办" not in counts  # a clerk cannot dispatch
        assert counts["已办结待评价"] == len(ledger.problem_ids(demo_session, ledger.ProblemQuery(status="已办结")))
    else:
        assert counts["待销号或决定"] == len(ledger.problem_ids(demo_session, ledger.ProblemQuery(status="已评价")))
    first_id = page.todo_model.row_id(0)
    assert first_id in ledger.problem_ids(demo_session, query)
    assert page.todo_model.rowCount() == len(page.figures.todo)


def test_read_only_has_no_todo(open_dashboard, demo_session):
    demo_session.role = "只读"
    page = open_dashboard(demo_session)
    assert page.figures.todo == () and page.todo_model.rowCount() == 0
    assert "没有待办" in page.todo_counts_label.text()


def test_opening_a_todo_shows_it_on_the_problem_page(qtbot, app, runner, demo_session):
    window = MainWindow(demo_session, runner)
    qtbot.addWidget(window)
    window.resize(1366, 768)
    dashboard = window.page("dashboard")
    with qtbot.waitSignal(dashboard.figures_loaded, timeout=30000):
        window.showNormal()
    problem_id = dashboard.todo_model.row_id(0)
    dashboard.todo_table.selectRow(0)
    dashboard.todo_table.opened.emit(problem_id)  # what Enter / double-click sends
    assert window.current_key() == "problems"
    problems = window.page("problems")
    qtbot.waitUntil(lambda: not problems.loader.busy and problems.current_id == problem_id, timeout=15000)
    SHOTS.mkdir(exist_ok=True)
    window.show_page(0)
    with qtbot.waitSignal(dashboard.figures_loaded, timeout=30000):
        pass  # showing the page again re-reads the figures
    qtbot.wait(100)
    assert window.grab().save(str(SHOTS / "dashboard-1366x768.png"))


def test_figures_change_after_a_problem_is_registered(qtbot, open_dashboard, file_session):
    page = open_dashboard(file_session)
    assert page.figure_labels["received"].text() == "0"
    assert page.figure_labels["resolution_rate"].text() == "—"
    ledger.register_problem(file_session, title="路灯不亮", source="群众反映")
    with qtbot.waitSignal(page.figures_loaded, timeout=30000):
        page.refresh()
    assert page.figure_labels["received"].text() == "1"
    assert page.figure_labels["resolution_rate"].text() == "0.0%"
    assert dict(page.figures.todo_counts)["待交办"] == 1
    assert page.value_labels["problems"].text() == "1"
