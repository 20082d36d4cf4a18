"""Writing spreadsheets: the pieces every export and template shares.

Exports are write-only openpyxl workbooks (constant memory at county scale)
with a bold, shaded header row, identifiers stored as text (so Excel never
turns a 身份证号 or 户号 into 1.52E+17), and an atomic save: the file is
written beside the target and renamed over it, so a failed export never
leaves half a file under the real name.

Templates (:func:`write_template`) are ordinary workbooks: the import headers,
text-formatted identifier columns, drop-down value lists and a 填写说明 sheet.
This module is the one place spreadsheets are written; roster, committee and
ledger exports build on it.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from ledgerdesk.interchange.errors import ExportWriteError
from ledgerdesk.interchange.sheet import Column

HEADER_FILL = "DDEBF7"


def new_workbook():
    """An empty write-only workbook (add sheets with ``create_sheet``)."""
    from openpyxl import Workbook

    return Workbook(write_only=True)


def header_cells(ws, headers: Sequence[str]) -> list:
    """The header row: bold, shaded, centred."""
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment, Font, PatternFill

    bold, fill = Font(bold=True), PatternFill("solid", fgColor=HEADER_FILL)
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


def date_cell(ws, value: dt.date | str | None):
    """A date cell shown as 2026-05-01 (an ISO text is converted); None for a blank."""
    from openpyxl.cell import WriteOnlyCell

    if not value:
        return None
    cell = WriteOnlyCell(ws, value=dt.date.fromisoformat(value) if isinstance(value, str) else value)
    cell.number_format = "yyyy-mm-dd"
    return cell


def set_widths(ws, widths: Sequence[float]) -> None:
    """Column widths, from column A on."""
    from openpyxl.utils import get_column_letter

    for i, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(i)].width = width


def new_sheet(wb, title: str, headers: Sequence[str], widths: Sequence[float], *, title_row: str | None = None):
    """A sheet of a write-only workbook with its widths and header row.

    Without ``title_row`` the header is row 1 and stays in view (frozen); with it,
    the title line comes first and nothing is frozen.
    """
    ws = wb.create_sheet(title)
    set_widths(ws, widths)
    if title_row is None:
        ws.freeze_panes = "A2"
    else:
        ws.append([title_row])
    ws.append(header_cells(ws, headers))
    return ws


@dataclass(frozen=True)
class TemplateSheet:
    """One sheet of a blank template: its columns (labels are the headers) and what helps filling it."""

    title: str
    columns: Sequence[Column]
    widths: Sequence[float]
    text_keys: frozenset[str] = frozenset()  # columns formatted as text (身份证号, 户号, phone)
    lists: Sequence[tuple[str, str]] = ()  # (column key, "a,b,c"): a drop-down of values
    list_rows: int = 5000  # the drop-downs cover rows 2 to this
    wrap_headers: bool = False


def write_template(path, sheets: Sequence[TemplateSheet], notes: Sequence[str], *, notes_width: float = 100) -> Path:
    """A blank import template: ``sheets`` in order, then the 填写说明 sheet with ``notes`` (one per row)."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    path = Path(path)
    wb = Workbook()
    bold, fill = Font(bold=True), PatternFill("solid", fgColor=HEADER_FILL)
    wrap = {"wrap_text": True}
    for n, spec in enumerate(sheets):
        ws = wb.active if n == 0 else wb.create_sheet()
        ws.title = spec.title
        letters = {}
        for i, (col, width) in enumerate(zip(spec.columns, spec.widths), start=1):
            cell = ws.cell(row=1, column=i, value=col.label)
            cell.font, cell.fill = bold, fill
            cell.alignment = Alignment(horizontal="center", vertical="center", **(wrap if spec.wrap_headers else {}))
            letter = letters[col.key] = get_column_letter(i)
            ws.column_dimensions[letter].width = width
            if col.key in spec.text_keys:
                ws.column_dimensions[letter].number_format = "@"
        ws.freeze_panes = "A2"
        for key, values in spec.lists:
            dv = DataValidation(type="list", formula1=f'"{values}"', allow_blank=True)
            dv.add(f"{letters[key]}2:{letters[key]}{spec.list_rows}")
            ws.add_data_validation(dv)
    help_ws = wb.create_sheet("填写说明")
    for line in notes:
        help_ws.append([line])
    help_ws.column_dimensions["A"].width = notes_width
    save_workbook(wb, path)
    return path


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
