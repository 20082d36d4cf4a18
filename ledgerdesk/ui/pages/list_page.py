"""The list + detail page that 问题台账 and 走访 share: filters on top, a lazy list, the selected record.

A :class:`ListDetailPage` subclass says

* ``SETTINGS_KEY`` (QSettings prefix: ``<key>/table`` for the columns, ``<key>/filters`` for the filters),
* :meth:`~ListDetailPage.filter_widgets`: the filters by the key they are saved under
  (combos save their item data, check boxes their state, line edits their text),
* :meth:`~ListDetailPage.query`: the filters as the service's query; ``list_ids(session, query)``
  and ``list_rows(session, ids)``: the service calls that give the ids and a page of rows,
* :meth:`~ListDetailPage.count_text` and :meth:`~ListDetailPage._show` (the detail of one id).

The page then loads the ids on the worker (:class:`~ledgerdesk.ui.widgets.record_table.IdLoader`;
a newer request makes an older result stale), keeps or sets the selection across reloads,
remembers, restores and clears the filters, reloads when a filter changes (typed text
after a short pause) and selects a record on request (clearing filters that hide it).
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any, Callable, Iterable

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QCheckBox, QComboBox, QLabel, QLineEdit, QWidget

from ledgerdesk.ui.dialogs.problem_forms import village_choices
from ledgerdesk.ui.lazy_table import Column, LazyTableModel
from ledgerdesk.ui.pages.base import Page
from ledgerdesk.ui.widgets.common import splitter
from ledgerdesk.ui.widgets.record_table import FIRST_IDS, IdLoader, RecordTable, load_state, save_state

if TYPE_CHECKING:
    from ledgerdesk.ui.pages import PageContext, PageSpec

MONTHS_OFFERED = 24
TEXT_PAUSE_MS = 300


def date_text(value: Any) -> str:
    """A date (or the date part of a date-time / ISO text) as YYYY-MM-DD; "" for none."""
    if value is None or value == "":
        return ""
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)[:10]


def month_choices(today: dt.date, count: int = MONTHS_OFFERED) -> list[str]:
    """``YYYY-MM`` of this month and the ``count - 1`` before it, newest first."""
    year, month = today.year, today.month
    months = []
    for _ in range(count):
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    return months


def choice_box(all_label: str, items: Iterable[tuple[Any, str]] | Iterable[str]) -> QComboBox:
    """A filter combo: ``all_label`` (data None), then ``(data, text)`` items or plain texts (data = text)."""
    box = QComboBox()
    box.addItem(all_label, None)
    for item in items:
        data, text = item if isinstance(item, tuple) else (item, item)
        box.addItem(text, data)
    return box


class ListDetailPage(Page):
    """Filters on top, the list on the left, the selected record on the right (see the module docstring)."""

    SETTINGS_KEY = ""
    list_ids: Callable[[Any, Any], list[str]]  # staticmethod(service.xxx_ids)
    # True when list_ids takes ``limit``: its first ids are shown before the whole list arrives
    first_screen_first: bool = False
    list_rows: Callable[[Any, list[str]], list]  # staticmethod(service.xxx_rows)

    def __init__(self, context: "PageContext", spec: "PageSpec"):
        super().__init__(spec.title)
        self.context = context
        self.session = context.session
        self.today = self.session.ledger.clock.today()
        self.current_id: str | None = None
        self._pending_select: str | None = None
        self.villages = village_choices(self.session)
        self.count_label = QLabel()
        self.count_label.setObjectName("pageSubtitle")
        self._text_timer = QTimer(self)
        self._text_timer.setSingleShot(True)
        self._text_timer.setInterval(TEXT_PAUSE_MS)
        self._text_timer.timeout.connect(self.reload)

    # -- what a page says ------------------------------------------------------------------------------

    def filter_widgets(self) -> dict[str, QWidget]:  # pragma: no cover - abstract
        raise NotImplementedError

    def query(self) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError

    def ids_query(self) -> Callable[[], list[str]]:
        """The id query of the filters as they are now, as a closure safe to run on the worker thread."""
        list_ids, session, query = self.list_ids, self.session, self.query()
        return lambda: list_ids(session, query)

    def fetch_rows(self, ids: list[str]) -> list:
        return self.list_rows(self.session, ids)

    @property
    def busy(self) -> bool:
        """Whether a list is on its way from the worker."""
        return self.loader.busy

    def count_text(self, count: int) -> str:
        return self.tr("共 {n} 条").format(n=f"{count:,}")

    def _show(self, record_id: str | None) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    # -- building ---------------------------------------------------------------------------------------

    def village_box_filter(self) -> QComboBox:
        return choice_box(self.tr("全部村"), self.villages)

    def month_box_filter(self) -> QComboBox:
        return choice_box(self.tr("全部月份"), month_choices(self.today))

    def build_list(self, columns: list[Column], detail: QWidget, *, sizes: tuple[int, int],
                   on_sort: Callable[[str, bool], None] | None = None, sortable: Iterable[str] | None = None) -> None:
        """The lazy list (3 parts) beside ``detail`` (2 parts) below the filters; connects the filters."""
        self.model = LazyTableModel(columns, lambda: self.ids_query()(), self.fetch_rows, load=False,
                                    on_sort=on_sort, sortable=sortable)
        self.table = RecordTable(self.model, f"{self.SETTINGS_KEY}/table")
        self.table.selection_changed.connect(self._selection_changed)
        self.loader = IdLoader(self.context.runner, self.session, self.model, self)
        self.loader.loaded.connect(self._ids_loaded)
        self.detail = detail
        self.body.addWidget(splitter(Qt.Orientation.Horizontal, self.table, detail, stretch=(3, 2), sizes=sizes), 1)
        for widget in self.filter_widgets().values():
            if isinstance(widget, QComboBox):
                widget.currentIndexChanged.connect(self.reload)
            elif isinstance(widget, QCheckBox):
                widget.toggled.connect(self.reload)
            elif isinstance(widget, QLineEdit):
                widget.textChanged.connect(lambda _text: self._text_timer.start())

    # -- filters --------------------------------------------------------------------------------------

    def _filter_state(self) -> dict[str, Any]:
        state: dict[str, Any] = {}
        for key, widget in self.filter_widgets().items():
            if isinstance(widget, QComboBox):
                state[key] = widget.currentData()
            elif isinstance(widget, QCheckBox):
                state[key] = widget.isChecked()
            elif isinstance(widget, QLineEdit):
                state[key] = widget.text()
        return state

    def _set_filters(self, state: dict[str, Any]) -> None:
        """Show ``state`` in the filter widgets without reloading (missing keys: the widget's blank)."""
        for key, widget in self.filter_widgets().items():
            widget.blockSignals(True)
            value = state.get(key)
            if isinstance(widget, QComboBox):
                widget.setCurrentIndex(max(0, widget.findData(value)))
            elif isinstance(widget, QCheckBox):
                widget.setChecked(bool(value))
            elif isinstance(widget, QLineEdit):
                widget.setText(str(value or ""))
            widget.blockSignals(False)

    def _restore_filters(self) -> None:
        state = load_state(f"{self.SETTINGS_KEY}/filters")
        if state:
            self._set_filters(state)

    def filtering(self) -> bool:
        """Whether any filter narrows the list."""
        return any(bool(value) for value in self._filter_state().values())

    def clear_filters(self) -> None:
        self._set_filters({})
        self.reload()

    # -- the list ------------------------------------------------------------------------------------------

    def reload(self, *_args, select: str | None = None) -> None:
        """Re-run the id query on the worker thread (filters as they are now); keep or set the selection."""
        self._text_timer.stop()
        self._pending_select = select or self.current_id
        save_state(f"{self.SETTINGS_KEY}/filters", self._filter_state())
        self.count_label.setText(self.tr("正在查找…"))
        first = None
        if self.first_screen_first:
            list_ids, session, query = self.list_ids, self.session, self.query()
            first = lambda: list_ids(session, query, limit=FIRST_IDS)  # noqa: E731
        self.loader.load(self.ids_query(), first=first)

    def _ids_loaded(self, count: int) -> None:
        self.count_label.setText(self.count_text(count))
        wanted, self._pending_select = self._pending_select, None
        if wanted and self.table.select_ids([wanted]):
            self._show(wanted)
            return
        self._show(self.table.current_id())

    def _selection_changed(self) -> None:
        if self.loader.busy:
            return
        selected = self.table.current_id()
        if selected != self.current_id:
            self._show(selected)

    def select_record(self, record_id: str) -> None:
        """Show ``record_id``: selected in the list (clearing the filters if they hide it)."""
        if self.loader.busy:  # a list on its way keeps this selection, not an older one
            self._pending_select = record_id
        if self.table.select_ids([record_id]):
            self._show(record_id)
            return
        if self.filtering():
            self._set_filters({})
        self.reload(select=record_id)
