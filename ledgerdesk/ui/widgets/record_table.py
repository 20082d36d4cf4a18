"""A table view for a :class:`~ledgerdesk.ui.lazy_table.LazyTableModel`, plus an id loader.

* :class:`RecordTable` selects whole rows, remembers its column widths and
  order in QSettings (``<settings_key>/header``), emits :attr:`RecordTable.opened`
  with the row id on Enter or double-click and ``delete_pressed`` on Delete,
  and answers ``selected_ids()``.
* :class:`IdLoader` runs an id query on the database worker thread
  (``ui/tasks.py``: loading the ids of 200K households takes 100 ms and more)
  and reloads the model with the result; a newer request makes an older
  result stale, so filters typed quickly never show an out-of-date list.
* :func:`load_state` / :func:`save_state` keep a page's last filters (a small
  JSON dict) in QSettings.
"""

from __future__ import annotations

import json
from typing import Any, Callable, Iterable

from PySide6.QtCore import QItemSelection, QItemSelectionModel, QObject, QSettings, Qt, QTimer, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableView, QWidget

from ledgerdesk.ui.error_dialog import show_error
from ledgerdesk.ui.lazy_table import LazyTableModel
from ledgerdesk.ui.tasks import TaskRunner


HEADER_SAVE_DELAY_MS = 500


# What each key holds on disk as far as this process knows: a page reloading with the
# filters it already saved writes nothing. (Every QSettings write rewrites the settings
# file on the GUI thread, and waits behind the disk while a large import commits.)
_SAVED: dict[tuple[str, str], str] = {}  # (settings file, key) -> text


def load_state(key: str) -> dict[str, Any]:
    """The dict saved under ``key`` (empty when none or unreadable)."""
    settings = QSettings()
    raw = settings.value(key)
    if not raw:
        return {}
    _SAVED[settings.fileName(), key] = str(raw)
    try:
        value = json.loads(str(raw))
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def save_state(key: str, state: dict[str, Any]) -> None:
    """Save ``state`` under ``key`` unless that is what the key holds already."""
    text = json.dumps(state, ensure_ascii=False)
    settings = QSettings()
    if _SAVED.get((settings.fileName(), key)) == text:
        return
    settings.setValue(key, text)
    _SAVED[settings.fileName(), key] = text


class RecordTable(QTableView):
    """Rows of a lazy model; whole-row selection; widths remembered under ``settings_key``."""

    opened = Signal(str)  # row id, on Enter / double-click
    delete_pressed = Signal()  # the Delete key, for "remove the selected rows" actions
    selection_changed = Signal()

    def __init__(self, model: LazyTableModel, settings_key: str, *, multi: bool = False,
                 parent: QWidget | None = None):
        super().__init__(parent)
        self.settings_key = settings_key
        self.setModel(model)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection if multi
                              else QAbstractItemView.SelectionMode.SingleSelection)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setAlternatingRowColors(True)
        self.setWordWrap(False)
        self.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.setHorizontalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        vertical = self.verticalHeader()
        vertical.setVisible(False)
        vertical.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)  # never measures rows: stays lazy
        vertical.setDefaultSectionSize(self.fontMetrics().height() + 10)
        header = self.horizontalHeader()
        header.setStretchLastSection(True)
        header.setSectionsMovable(True)
        header.setHighlightSections(False)
        model.apply_widths(self)
        saved = QSettings().value(f"{settings_key}/header")
        if saved is not None:
            header.restoreState(saved)
        if model.on_sort is not None:
            # Connected after restoring, so building the view never triggers a sort; the
            # owner restores its own sort from its saved filters.
            header.setSortIndicatorShown(True)
            header.setSectionsClickable(True)
            header.sortIndicatorChanged.connect(model.sort)
        else:
            header.setSortIndicatorShown(False)
        # Saved once the header has settled: a layout pass resizes sections many times, and
        # each save rewrote the settings file on the GUI thread.
        self._header_timer = QTimer(self)
        self._header_timer.setSingleShot(True)
        self._header_timer.setInterval(HEADER_SAVE_DELAY_MS)
        self._header_timer.timeout.connect(self._save_header)
        for changed in (header.sectionResized, header.sectionMoved, header.sortIndicatorChanged):
            changed.connect(self._header_timer.start)
        self.doubleClicked.connect(self._open_index)
        self.selectionModel().selectionChanged.connect(self._selection_changed)
        model.modelReset.connect(self.selection_changed)

    @property
    def lazy_model(self) -> LazyTableModel:
        model = self.model()
        assert isinstance(model, LazyTableModel)
        return model

    def _save_header(self) -> None:
        self._header_timer.stop()
        QSettings().setValue(f"{self.settings_key}/header", self.horizontalHeader().saveState())

    def hideEvent(self, event) -> None:
        if self._header_timer.isActive():  # the window closes or the page changes: keep the last widths
            self._save_header()
        super().hideEvent(event)

    def _selection_changed(self, *_args) -> None:
        self.selection_changed.emit()

    def _open_index(self, index) -> None:
        if index.isValid():
            self.opened.emit(self.lazy_model.row_id(index.row()))

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self.currentIndex().isValid():
            self.opened.emit(self.lazy_model.row_id(self.currentIndex().row()))
            event.accept()
            return
        if event.key() == Qt.Key.Key_Delete and event.modifiers() == Qt.KeyboardModifier.NoModifier:
            self.delete_pressed.emit()
            event.accept()
            return
        super().keyPressEvent(event)

    # -- selection by id ---------------------------------------------------------

    def selected_ids(self) -> list[str]:
        """Ids of the selected rows, top to bottom."""
        rows = sorted({index.row() for index in self.selectionModel().selectedRows()})
        model = self.lazy_model
        return [model.row_id(row) for row in rows if row < model.rowCount()]

    def current_id(self) -> str | None:
        """The id of the current row if it is selected, else of the first selected row; None when none."""
        current = self.currentIndex()
        if current.isValid() and self.selectionModel().isRowSelected(current.row()):
            return self.lazy_model.row_id(current.row())
        ids = self.selected_ids()
        return ids[0] if ids else None

    def select_ids(self, ids: Iterable[str], *, scroll: bool = True) -> int:
        """Select the rows of ``ids`` that are shown; returns how many."""
        model = self.lazy_model
        rows = sorted(r for r in (model.row_of(i) for i in ids) if r >= 0)
        selection = QItemSelection()
        last_column = max(0, model.columnCount() - 1)
        for row in rows:
            selection.select(model.index(row, 0), model.index(row, last_column))
        flags = QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows
        self.selectionModel().select(selection, flags)
        if rows:
            self.selectionModel().setCurrentIndex(model.index(rows[0], 0), QItemSelectionModel.SelectionFlag.NoUpdate)
            if scroll:
                self.scrollTo(model.index(rows[0], 0))
        return len(rows)


# How many ids a list shows before its whole id list arrives: a few screens, so
# scrolling at once does not run past them.
FIRST_IDS = 200


class IdLoader(QObject):
    """Loads a model's id list on the worker thread; emits :attr:`loaded` (count) when shown."""

    loaded = Signal(int)

    def __init__(self, runner: TaskRunner, session, model: LazyTableModel, parent: QObject | None = None):
        super().__init__(parent)
        self.runner = runner
        self.session = session
        self.model = model
        self._generation = 0
        self._tasks: list = []
        self.busy = False

    def load(self, query: Callable[[], list[str]], then: Callable[[], None] | None = None,
             first: Callable[[], list[str]] | None = None) -> None:
        """Run ``query()`` (a service call returning ids) off the GUI thread; reload the model with its result.

        ``first``: the same query limited to its first ids. It runs first and is
        shown at once, so a list of 200,000 households opens as fast as one of
        2,000; the whole list then continues it (:meth:`LazyTableModel.grow`).
        ``then`` and :attr:`loaded` follow the whole list.
        """
        self._generation += 1
        generation = self._generation
        self.busy = True
        if first is not None:
            self._submit(first, generation, lambda found: self.model.reload(*found))
        self._submit(query, generation, lambda found: self._show_all(found, first is not None, then),
                     with_rows=first is None)

    def _show_all(self, found: tuple[list[str], list | None], grow: bool, then: Callable[[], None] | None) -> None:
        self.busy = False
        if grow:
            self.model.grow(found[0])
        else:
            self.model.reload(*found)
        if then is not None:
            then()
        self.loaded.emit(len(found[0]))

    def _submit(self, query: Callable[[], list[str]], generation: int,
                show: Callable[[tuple[list[str], list | None]], None], *, with_rows: bool = True) -> None:
        """Run ``query`` on the worker, and there also the rows of its first page (``with_rows``),
        so the GUI thread shows the list without a query of its own."""
        session, model = self.session, self.model

        def job(progress, cancel):
            try:
                ids = list(query())
                rows = model.fetch_rows(ids[:model.page_size]) if with_rows and ids else None
                return ids, rows
            finally:
                session.ledger.db.close()  # the worker thread's own connection

        task = self.runner.submit(job)
        self._tasks.append(task)

        def finished(found) -> None:
            if generation == self._generation:
                show(found)

        def failed(error) -> None:
            if generation == self._generation:
                self.busy = False
                show_error(None, error)

        def ended() -> None:
            if task in self._tasks:
                self._tasks.remove(task)

        task.finished.connect(finished)
        task.failed.connect(failed)
        task.ended.connect(ended)
