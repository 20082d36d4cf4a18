"""Writing spreadsheets: the pieces every export and template shares.

Exports are write-only openpyxl workbooks (constant memory at county scale)
with a bold, shaded header row, identifiers stored as text (so Excel never
turns a 身份证号 or 户号 into 1.52E+17), and an atomic save: the file is
written beside the target and renamed over it, so a failed export never
leaves half a file under the real name.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Sequence

from ledgerdesk.interchange.errors import ExportWriteError


def new_workbook():
    """An empty write-only workbook (add sheets with ``create_sheet``)."""
    from openpyxl import Workbook

    return Workbook(write_only=True)


def header_cells(ws, headers: Sequence[str]) -> list:
    """The header row: bold, shaded, centred."""
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment, Font, PatternFill

    bold, fill = Font(bold=True), PatternFill("solid", fgColor="DDEBF7")
    out = []
    for h in headers:
        c = WriteOnlyCell(ws, value=h)
        c.font, c.fill, c.alignment = bold, fill, Alignment(horizontal="center", vertical="center")
        out.append(c)
    return out


def text_cell(ws, value):
    """A cell Excel keeps as text (format "@"): identifiers and phone numbers."""
    from openpyxl.cell import WriteOnlyCell

    cell = WriteOnlyCell(ws, value=value)
    cell.number_format = "@"
    return cell


def save_workbook(wb, path: Path) -> None:
    """Save atomically; an unwritable target raises :class:`ExportWriteError` with a Chinese hint."""
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".part")
        wb.save(tmp)
        os.replace(tmp, path)
    except OSError as exc:
        raise ExportWriteError(f"无法写入“{path}”：{exc.strerror or exc}。如果该文件正在 Excel 或 WPS 中打开，"
                               "请先关闭它") from exc
