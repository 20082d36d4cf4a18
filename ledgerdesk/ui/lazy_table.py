"""A table model over an ordered id list whose rows are fetched lazily, page by page.

The Anki browser / calibre pattern (architecture.md, GUI):

* ``fetch_ids() -> list[str]`` is called once per :meth:`LazyTableModel.reload`
  and gives the ordered ids of every row (one indexed query; filtering and
  sorting happen there, in SQL). ``reload(ids)`` takes an id list that was
  already fetched (e.g. on the worker thread, see ``ui/tasks.py``) instead.
* ``fetch_rows(ids) -> list[row]`` gives the rows for a *page* of ids (at most
  ``page_size``). Rows are plain (frozen) dataclasses with an ``id``
  attribute; they may come back in any order, and an id with no row (deleted
  meanwhile) shows as an empty line. ``data()`` asks the page cache; a miss
  fetches that one page synchronously on the GUI thread (≤100 rows: a few ms).
  At most ``cache_pages`` pages are kept (least recently used are dropped).
* :class:`Column` ``key`` is the attribute name on the row. ``display(row) ->
  str`` overrides how the value is shown (default: ``None`` → "", ``bool`` →
  "是"/"", tuple/list → joined with "、", else ``str``); ``background(row)`` /
  ``foreground(row)`` may return a ``QColor`` (or None); ``align`` is a
  ``Qt.AlignmentFlag``; ``width`` is the view's initial column width
  (:meth:`LazyTableModel.apply_widths`).
* Sorting: the model does not sort. A view's header click calls
  ``sort(column, order)``, which calls ``on_sort(column_key, descending)``;
  the caller re-runs its id query with the new order and calls :meth:`reload`.
  Without ``on_sort`` sorting is ignored. ``sortable`` names the column keys
  the caller can sort by (None: all).
* After edits, :meth:`invalidate` drops the cached rows of the given ids and
  repaints them (they are re-fetched when next shown); the id list itself
  changes only through :meth:`reload`.
* ``Qt.UserRole`` (:data:`ID_ROLE`) gives a row's id, :data:`ROW_ROLE` the row object.
* ``row_key`` names the row attribute that holds its id (default ``id``).
* :class:`RowsModel` is the same model over a short list of rows already in
  memory (:meth:`RowsModel.set_rows`), for lists that need no paging.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Sequence

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QTableView

ID_ROLE = Qt.ItemDataRole.UserRole
ROW_ROLE = Qt.ItemDataRole.UserRole + 1

_DEFAULT_ALIGN = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
_ROLES_NEEDING_ROW = {
    Qt.ItemDataRole.DisplayRole,
    Qt.ItemDataRole.ToolTipRole,
    Qt.ItemDataRole.BackgroundRole,
    Qt.ItemDataRole.ForegroundRole,
    ROW_ROLE,
}


@dataclass(frozen=True)
class Column:
    """One column: ``key`` is the row attribute; the callables take the row."""

    key: str
    title: str
    width: int | None = None
    align: Qt.AlignmentFlag | None = None
    display: Callable[[Any], str] | None = None
    background: Callable[[Any], QColor | None] | None = None
    foreground: Callable[[Any], QColor | None] | None = None

    def text(self, row: Any) -> str:
        if self.display is not None:
            return self.display(row)
        return default_text(getattr(row, self.key, None))


def default_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else ""
    if isinstance(value, (tuple, list)):
        return "、".join(default_text(item) for item in value)
    return str(value)


class LazyTableModel(QAbstractTableModel):
    """Rows of an ordered id list, fetched page by page on demand (see the module docstring)."""

    def __init__(
        self,
        columns: Sequence[Column],
        fetch_ids: Callable[[], list[str]],
        fetch_rows: Callable[[list[str]], list],
        page_size: int = 100,
        cache_pages: int = 30,
        *,
        on_sort: Callable[[str, bool], None] | None = None,
        sortable: Iterable[str] | None = None,
        load: bool = True,
        row_key: str = "id",
        parent=None,
    ):
        super().__init__(parent)
        if page_size < 1 or cache_pages < 1:
            raise ValueError("page_size and cache_pages must be positive")
        self.columns: tuple[Column, ...] = tuple(columns)
        self.fetch_ids = fetch_ids
        self.fetch_rows = fetch_rows
        self.page_size = page_size
        self.cache_pages = cache_pages
        self.on_sort = on_sort
        self.row_key = row_key
        self.sortable = None if sortable is None else frozenset(sortable)
        self._ids: list[str] = []
        self._positions: dict[str, int] | None = None  # built on the first row_of()
        self._pages: OrderedDict[int, list[Any]] = OrderedDict()
        self.page_fetches = 0  # how many pages were fetched (for tests and diagnostics)
        if load:
            self._ids = list(fetch_ids())

    # -- the id list ---------------------------------------------------------

    def reload(self, ids: Sequence[str] | None = None, first_rows: list | None = None) -> None:
        """Re-read the id list (``fetch_ids()``, or the ``ids`` given) and drop every cached row.

        ``first_rows``: ``fetch_rows`` of the first page's ids, already fetched
        (on the worker), kept as the first page so showing it reads nothing.
        """
        new_ids = list(self.fetch_ids() if ids is None else ids)
        self.beginResetModel()
        self._ids = new_ids
        self._positions = None
        self._pages.clear()
        if first_rows is not None and new_ids:
            self._pages[0] = self._arrange(new_ids[:self.page_size], first_rows)
        self.endResetModel()

    def grow(self, ids: Sequence[str]) -> None:
        """Show ``ids`` when they continue the list shown now (rows inserted at the end, selection and
        cached rows kept); otherwise :meth:`reload` them."""
        n = len(self._ids)
        if len(ids) < n or list(ids[:n]) != self._ids:
            self.reload(ids)
            return
        if len(ids) == n:
            return
        self.beginInsertRows(QModelIndex(), n, len(ids) - 1)
        self._ids.extend(ids[n:])
        self._positions = None
        # the last page was cached short: it has to be read again with the rows that follow
        self._pages.pop((n - 1) // self.page_size if n else 0, None)
        self.endInsertRows()

    def ids(self) -> list[str]:
        """The ordered ids (a copy)."""
        return list(self._ids)

    def row_id(self, row: int) -> str:
        return self._ids[row]

    def row_of(self, row_id: str) -> int:
        """The row number showing ``row_id``, or -1."""
        if self._positions is None:
            self._positions = {value: index for index, value in enumerate(self._ids)}
        return self._positions.get(row_id, -1)

    def row_at(self, row: int) -> Any:
        """The row object at ``row`` (fetching its page if needed); None for a vanished id."""
        page = self._page(row // self.page_size)
        return page[row % self.page_size]

    def invalidate(self, ids: Iterable[str]) -> None:
        """Forget the cached rows of ``ids`` and repaint them; they are fetched again when shown."""
        rows = sorted(r for r in (self.row_of(i) for i in ids) if r >= 0)
        if not rows:
            return
        for page in {r // self.page_size for r in rows}:
            self._pages.pop(page, None)
        last_column = max(0, len(self.columns) - 1)
        self.dataChanged.emit(self.index(rows[0], 0), self.index(rows[-1], last_column))

    def invalidate_all(self) -> None:
        """Forget every cached row and repaint (the id list stays)."""
        self._pages.clear()
        if self._ids and self.columns:
            self.dataChanged.emit(self.index(0, 0), self.index(len(self._ids) - 1, len(self.columns) - 1))

    def cached_pages(self) -> list[int]:
        return list(self._pages)

    def _page(self, number: int) -> list[Any]:
        page = self._pages.get(number)
        if page is not None:
            self._pages.move_to_end(number)
            return page
        start = number * self.page_size
        page_ids = self._ids[start:start + self.page_size]
        self.page_fetches += 1
        page = self._arrange(page_ids, self.fetch_rows(page_ids) if page_ids else [])
        self._pages[number] = page
        while len(self._pages) > self.cache_pages:
            self._pages.popitem(last=False)
        return page

    def _arrange(self, page_ids: list[str], fetched: list) -> list[Any]:
        """The fetched rows in the order of ``page_ids`` (None for an id that vanished)."""
        by_id = {getattr(row, self.row_key, None): row for row in fetched}
        return [by_id.get(row_id) for row_id in page_ids]

    # -- QAbstractItemModel --------------------------------------------------

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._ids)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.columns)

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.row() >= len(self._ids) or index.column() >= len(self.columns):
            return None
        column = self.columns[index.column()]
        if role == ID_ROLE:
            return self._ids[index.row()]
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return column.align if column.align is not None else _DEFAULT_ALIGN
        if role not in _ROLES_NEEDING_ROW:
            return None
        row = self.row_at(index.row())
        if role == ROW_ROLE:
            return row
        if row is None:
            return None
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            text = column.text(row)
            return text if role == Qt.ItemDataRole.DisplayRole else (text or None)
        painter = column.background if role == Qt.ItemDataRole.BackgroundRole else column.foreground
        return painter(row) if painter is not None else None

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal:
            if not 0 <= section < len(self.columns):
                return None
            if role == Qt.ItemDataRole.DisplayRole:
                return self.columns[section].title
            if role == Qt.ItemDataRole.TextAlignmentRole:
                align = self.columns[section].align
                return align if align is not None else _DEFAULT_ALIGN
            return None
        if role == Qt.ItemDataRole.DisplayRole and 0 <= section < len(self._ids):
            return str(section + 1)
        return None

    def flags(self, index: QModelIndex | QPersistentModelIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemNeverHasChildren

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        if self.on_sort is None or not 0 <= column < len(self.columns):
            return
        key = self.columns[column].key
        if self.sortable is not None and key not in self.sortable:
            return
        self.on_sort(key, order == Qt.SortOrder.DescendingOrder)

    # -- views ---------------------------------------------------------------

    def apply_widths(self, view: QTableView) -> None:
        """Set the view's column widths from :attr:`Column.width` (where given)."""
        for number, column in enumerate(self.columns):
            if column.width:
                view.setColumnWidth(number, column.width)

    def column_number(self, key: str) -> int:
        """The position of the column with ``key``, or -1."""
        return next((n for n, column in enumerate(self.columns) if column.key == key), -1)


class RowsModel(LazyTableModel):
    """A :class:`LazyTableModel` over rows already in memory (short lists); :meth:`set_rows` replaces them."""

    def __init__(self, columns: Sequence[Column], rows: Iterable[Any] = (), *, row_key: str = "id", parent=None):
        self._rows: dict[str, Any] = {}
        self._order: list[str] = []
        super().__init__(columns, lambda: list(self._order), self._held, load=False, row_key=row_key, parent=parent)
        self.set_rows(rows)

    def _held(self, ids: list[str]) -> list:
        return [self._rows[i] for i in ids if i in self._rows]

    def set_rows(self, rows: Iterable[Any]) -> None:
        rows = list(rows)
        self._rows = {getattr(row, self.row_key): row for row in rows}
        self._order = [getattr(row, self.row_key) for row in rows]
        self.reload()

    def held_row(self, row_id: str) -> Any:
        """The row of ``row_id`` (None when it is not listed)."""
        return self._rows.get(row_id)
