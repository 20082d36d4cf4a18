"""A list as shown on screen to one .xlsx sheet (the 户籍 page's 导出当前列表).

The caller gives the column titles and the rows as they are displayed (masked
as shown); the sheet is a write-only workbook in the shared export style of
:mod:`ledgerdesk.interchange.workbook_out` (bold header, identifiers kept as
text, atomic save), so memory stays flat however long the list is.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable, Sequence

from ledgerdesk.interchange.workbook_out import new_sheet, new_workbook, save_workbook, text_cell


@dataclass(frozen=True)
class ListExportResult:
    path: str
    rows: int


def export_list(path: str | os.PathLike, title: str, headers: Sequence[str], rows: Iterable[Sequence[object]], *,
                numeric: Iterable[int] = (), widths: Sequence[int] = (),
                progress: Callable[[int], None] | None = None) -> ListExportResult:
    """Write ``rows`` under ``headers`` to the sheet ``title`` of a new workbook at ``path``.

    Every cell is stored as text (a 户号 or 身份证号 never becomes 1.52E+17),
    except those of the ``numeric`` column positions, which are written as
    numbers when they read as whole numbers. ``widths`` are column widths in
    characters. ``progress(n)`` is called after every 500 rows written.
    Raises :class:`~ledgerdesk.interchange.errors.ExportWriteError` when the
    file cannot be written (nothing is left under ``path`` then).
    """
    numeric = frozenset(numeric)
    wb = new_workbook()
    ws = new_sheet(wb, title[:31] or "Sheet1", headers, widths)
    count = 0
    for row in rows:
        ws.append([_number(value) if col in numeric else text_cell(ws, "" if value is None else str(value))
                   for col, value in enumerate(row)])
        count += 1
        if progress is not None and count % 500 == 0:
            progress(count)
    save_workbook(wb, Path(path))
    return ListExportResult(str(path), count)


def _number(value: object) -> object:
    text = "" if value is None else str(value).strip()
    return int(text) if text.isdigit() else text
