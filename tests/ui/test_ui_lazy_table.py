"""LazyTableModel: an id list in memory, rows fetched page by page for what is visible."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QTableView

from ledgerdesk.ui.lazy_table import ID_ROLE, ROW_ROLE, Column, LazyTableModel


@dataclass(frozen=True)
class FakeRow:
    id: str
    name: str
    members: int
    tags: tuple[str, ...] = ()
    party: bool = False


class FakeSource:
    """ids and rows of a fake registry; counts every fetch."""

    def __init__(self, count: int):
        self.all_ids = [f"id{n:06d}" for n in range(count)]
        self.descending = False
        self.id_calls = 0
        self.row_calls: list[list[str]] = []
        self.names: dict[str, str] = {}
        self.deleted: set[str] = set()

    def fetch_ids(self) -> list[str]:
        self.id_calls += 1
        return list(reversed(self.all_ids)) if self.descending else list(self.all_ids)

    def fetch_rows(self, ids: list[str]) -> list[FakeRow]:
        self.row_calls.append(list(ids))
        rows = [FakeRow(i, self.names.get(i, f"户主{i[-4:]}"), int(i[-2:]) % 7, ("低保",) if i.endswith("3") else (),
                        i.endswith("5")) for i in ids if i not in self.deleted]
        return list(reversed(rows))  # any order is allowed

    def sort(self, key: str, descending: bool) -> None:
        self.descending = descending


COLUMNS = (
    Column("name", "户主", width=120),
    Column("members", "人数", align=Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
           background=lambda row: QColor("#fde2e1") if row.members == 0 else None),
    Column("tags", "标签"),
    Column("party", "党员", foreground=lambda row: QColor("red")),
    Column("id", "编号", display=lambda row: row.id.upper()),
)


def make_model(source: FakeSource, **kwargs) -> LazyTableModel:
    return LazyTableModel(COLUMNS, source.fetch_ids, source.fetch_rows, **kwargs)


def test_model_passes_the_model_tester(qtmodeltester):
    source = FakeSource(1_000)
    model = make_model(source, page_size=50, cache_pages=3)
    qtmodeltester.check(model, force_py=True)
    model.reload()
    model.invalidate(["id000003", "id000700"])
    assert model.rowCount() == 1_000 and model.columnCount() == len(COLUMNS)


def test_empty_model_passes_the_model_tester(qtmodeltester):
    model = make_model(FakeSource(0))
    qtmodeltester.check(model, force_py=True)
    assert model.rowCount() == 0
    assert model.headerData(0, Qt.Orientation.Horizontal) == "户主"


def test_200k_ids_in_a_view_fetch_only_the_visible_pages(qtbot, app):
    source = FakeSource(200_000)
    model = make_model(source)
    assert source.id_calls == 1 and source.row_calls == []  # nothing fetched before anything is shown
    view = QTableView()
    qtbot.addWidget(view)
    view.setModel(model)
    model.apply_widths(view)
    view.resize(1366, 768)
    with qtbot.waitExposed(view):
        view.show()
    qtbot.wait(20)
    assert model.rowCount() == 200_000
    assert {tuple(call[:1]) for call in source.row_calls} == {("id000000",)}  # only page 0
    assert all(len(call) <= 100 for call in source.row_calls)
    assert model.cached_pages() == [0]
    assert view.columnWidth(0) == 120

    view.scrollToBottom()
    qtbot.wait(20)
    fetched_pages = {int(call[0][2:]) // 100 for call in source.row_calls}
    assert fetched_pages <= {0, 1998, 1999}
    assert 1999 in fetched_pages
    assert len(source.row_calls) <= 3  # the cache answers repaints
    bottom = model.index(199_999, 0)
    assert model.data(bottom) == "户主9999"
    assert model.data(bottom, ID_ROLE) == "id199999"


def test_roles_and_display_rules(app):
    source = FakeSource(30)
    model = make_model(source, page_size=10)
    row = model.index(3, 0).row()
    assert model.data(model.index(row, 0)) == "户主0003"
    assert model.data(model.index(row, 2)) == "低保"
    assert model.data(model.index(5, 3)) == "是" and model.data(model.index(4, 3)) == ""
    assert model.data(model.index(7, 4)) == "ID000007"
    assert model.data(model.index(7, 1), Qt.ItemDataRole.BackgroundRole) == QColor("#fde2e1")
    assert model.data(model.index(8, 1), Qt.ItemDataRole.BackgroundRole) is None
    assert model.data(model.index(8, 3), Qt.ItemDataRole.ForegroundRole) == QColor("red")
    assert model.data(model.index(8, 1), Qt.ItemDataRole.TextAlignmentRole) & Qt.AlignmentFlag.AlignRight
    assert isinstance(model.data(model.index(8, 0), ROW_ROLE), FakeRow)
    assert model.headerData(4, Qt.Orientation.Vertical) == "5"
    # alignment and ids never fetch rows
    before = model.page_fetches
    model.data(model.index(25, 1), Qt.ItemDataRole.TextAlignmentRole)
    model.data(model.index(25, 1), ID_ROLE)
    assert model.page_fetches == before


def test_vanished_rows_show_blank(app):
    source = FakeSource(20)
    source.deleted.add("id000004")
    model = make_model(source, page_size=10)
    assert model.data(model.index(4, 0)) is None
    assert model.row_at(4) is None
    assert model.data(model.index(5, 0)) == "户主0005"


def test_cache_keeps_at_most_cache_pages_and_refetches_evicted_ones(app):
    source = FakeSource(1_000)
    model = make_model(source, page_size=10, cache_pages=3)
    for page in range(5):
        model.row_at(page * 10)
    assert model.cached_pages() == [2, 3, 4]
    model.row_at(21)  # cached: no fetch
    assert len(source.row_calls) == 5
    model.row_at(0)
    assert len(source.row_calls) == 6
    assert model.cached_pages() == [4, 2, 0]  # 3 was the least recently used


def test_invalidate_refetches_only_the_edited_rows_pages(qtbot, app):
    source = FakeSource(500)
    model = make_model(source, page_size=100)
    model.row_at(0), model.row_at(150), model.row_at(420)
    source.names["id000150"] = "新户主"
    with qtbot.waitSignal(model.dataChanged) as changed:
        model.invalidate(["id000150", "unknown"])
    assert changed.args[0].row() == 150 and changed.args[1].row() == 150
    assert model.cached_pages() == [0, 4]
    assert model.data(model.index(150, 0)) == "新户主"
    assert source.row_calls[-1][0] == "id000100"


def test_sort_calls_back_and_reload_takes_new_order(qtbot, app):
    source = FakeSource(300)
    calls = []

    def on_sort(key, descending):
        calls.append((key, descending))
        source.sort(key, descending)
        model.reload()

    model = make_model(source, on_sort=on_sort, sortable={"name", "members"})
    model.row_at(0)
    with qtbot.waitSignal(model.modelReset):
        model.sort(0, Qt.SortOrder.DescendingOrder)
    assert calls == [("name", True)]
    assert model.row_id(0) == "id000299" and model.cached_pages() == []
    assert model.row_of("id000299") == 0 and model.row_of("id000000") == 299 and model.row_of("x") == -1
    model.sort(2, Qt.SortOrder.AscendingOrder)  # 标签 is not sortable
    assert calls == [("name", True)]


def test_reload_with_prefetched_ids_does_not_call_fetch_ids(app):
    source = FakeSource(50)
    model = make_model(source, load=False)
    assert source.id_calls == 0 and model.rowCount() == 0
    model.reload(["id000007", "id000003"])
    assert source.id_calls == 0
    assert model.ids() == ["id000007", "id000003"]
    assert model.data(model.index(1, 0)) == "户主0003"


def test_bad_sizes_are_refused():
    with pytest.raises(ValueError):
        LazyTableModel(COLUMNS, list, list, page_size=0)


@settings(max_examples=40, deadline=None)
@given(count=st.integers(0, 400), page_size=st.integers(1, 60), cache_pages=st.integers(1, 5),
       reads=st.lists(st.integers(0, 399), max_size=40))
def test_any_read_order_shows_the_right_row(qapp, count, page_size, cache_pages, reads):
    source = FakeSource(count)
    model = make_model(source, page_size=page_size, cache_pages=cache_pages)
    for row in reads:
        if row < count:
            assert model.row_at(row).id == f"id{row:06d}"
    assert len(model.cached_pages()) <= cache_pages
    assert all(len(call) <= page_size for call in source.row_calls)


def test_grow_continues_the_list_keeping_selection_and_rereading_the_short_last_page(qtbot, app):
    source = FakeSource(450)
    model = make_model(source, load=False, page_size=100)
    model.reload(source.all_ids[:150])
    view = QTableView()
    qtbot.addWidget(view)
    view.setModel(model)
    view.selectRow(120)
    assert model.data(model.index(120, 0)) == "户主0120"  # pages 0 and 1 (short: 50 rows) cached
    inserted = []
    model.rowsInserted.connect(lambda _parent, first, last: inserted.append((first, last)))
    resets = []
    model.modelReset.connect(lambda: resets.append(True))

    model.grow(source.all_ids)
    assert inserted == [(150, 449)] and resets == []
    assert view.selectionModel().selectedRows()[0].row() == 120
    assert model.data(model.index(160, 0)) == "户主0160"  # the short page was read again, whole
    assert model.row_of("id000449") == 449

    model.grow(list(reversed(source.all_ids)))  # not a continuation: a plain reload
    assert resets == [True]
    assert model.ids()[0] == "id000449"


def test_id_loader_shows_the_first_ids_then_the_whole_list(qtbot, app, runner, memory_session):
    import threading

    from ledgerdesk.ui.widgets.record_table import IdLoader

    source = FakeSource(1_000)
    model = make_model(source, load=False)
    loader = IdLoader(runner, memory_session, model)
    counts = []
    loader.loaded.connect(counts.append)
    release = threading.Event()

    def whole():
        release.wait(5)
        return source.all_ids

    loader.load(whole, first=lambda: source.all_ids[:200])
    qtbot.waitUntil(lambda: model.rowCount() == 200, timeout=5000)
    assert loader.busy and counts == []
    assert model.cached_pages() == [0] and model.page_fetches == 0  # the first page came with the ids
    assert model.data(model.index(3, 0)) == "户主0003" and model.page_fetches == 0
    release.set()
    qtbot.waitUntil(lambda: not loader.busy, timeout=5000)
    assert model.rowCount() == 1_000 and counts == [1_000]
