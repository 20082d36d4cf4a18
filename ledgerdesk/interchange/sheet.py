"""Reading the messy spreadsheets townships really send: one reader for rosters, ledgers, committees.

What real files look like, and what this module does about it:

* **Title rows above the header** ("XX镇XX村花名册", "填报单位：…", a blank line):
  :func:`find_header` scores each of the first rows by how many cells are known
  column names or aliases and takes the best one.
* **Different names for the same column** (身份证号 = 公民身份号码 = 身份证号码 =
  证件号码 …): the caller gives a table of :class:`Column` with aliases; header
  text is compared after removing spaces, line breaks, asterisks (必填 marks),
  full-width forms and, failing that, a bracketed note ("联系电话（手机）").
* **Cells typed every which way**: text is cleaned (:func:`ledgerdesk.core.text.clean`:
  half-width digits, folded spaces; PROSE columns keep their Chinese punctuation and
  line breaks, :func:`ledgerdesk.core.text.clean_prose`); dates come as Excel date cells, bare Excel
  serial numbers, or text such as 2025.3.5, 2025/3/5, 2025-03-05, 2025年3月5日,
  20250305 (:func:`parse_date_cell`).
* **身份证号 that Excel turned into numbers** (1.52301198005010E+17: the last
  digits are gone for good) are reported as row issues and never imported.

Every problem found in a cell becomes a :class:`RowIssue` — the row number as
Excel shows it, the column header as written in the file, the cell reference
(J12) and a Chinese reason — so a cadre can find and fix it in the file.

Speed: the sheet XML is parsed with a small, strict regular-expression scanner
instead of openpyxl's per-cell objects (50,000 rows in about a second instead
of twenty). openpyxl still opens the package (manifest, workbook, shared
strings, styles — so date formats and the 1900/1904 epoch are its own), and
reads the sheet itself whenever the XML is of a form the scanner does not
handle (another encoding, CDATA). tests/interchange/test_sheet.py checks that
both paths give the same cells.

Usage::

    columns = (Column("name", "姓名", ("人员姓名",), required=True),
               Column("birth", "出生日期", ("出生年月",), kind=DATE))
    data = read_sheet(path, columns)
    for row in data.rows:           # SheetRow(number=5, values={"name": "张三", "birth": date(...)})
        ...
    data.issues                      # [RowIssue(row=7, column="出生日期", cell="B7", reason="…")]
"""

from __future__ import annotations

import datetime as dt
import os
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Sequence

from ledgerdesk.core.errors import Cancelled
from ledgerdesk.core.text import clean, clean_code, clean_prose
from ledgerdesk.interchange.errors import (
    CorruptWorkbookError,
    HeaderNotFoundError,
    MissingColumnsError,
    NotAWorkbookError,
    WorkbookNotFoundError,
    WorkbookTooLargeError,
)

# -- column kinds ------------------------------------------------------------------------------------

TEXT = "text"  # a short value (村名, 性别, 状态): cleaned, full-width punctuation half-width
PROSE = "prose"  # notes, descriptions, decisions: clean_prose (Chinese punctuation and line breaks kept)
CODE = "code"  # a hand-typed identifier (户号): no spaces, upper case; numbers become their digits
ID_NUMBER = "id_number"  # 身份证号: like CODE, but a numeric cell is an issue (digits lost)
PHONE = "phone"  # like CODE; numeric cells are fine (11 digits survive a float)
DATE = "date"  # a datetime.date
BOOL = "bool"  # 是/否 → True/False
KINDS = (TEXT, PROSE, CODE, ID_NUMBER, PHONE, DATE, BOOL)

#: Limits against zip bombs and absurd sheets (a township roster is a few MB).
MAX_MEMBER_BYTES = 400 * 1024 * 1024  # one unpacked part (the sheet XML of 200k rows is ≈ 150 MB)
MAX_TOTAL_BYTES = 800 * 1024 * 1024
MAX_RATIO = 250  # unpacked / packed, for parts larger than RATIO_MIN_BYTES
RATIO_MIN_BYTES = 20 * 1024 * 1024
MAX_ROWS = 1_000_000

HEADER_SCAN_ROWS = 30

Progress = Callable[[str, float], None]
CancelCheck = Callable[[], bool]


@dataclass(frozen=True)
class Column:
    """One column a caller understands: its key, the header it writes, the headers it accepts."""

    key: str
    label: str  # the header written in templates and exports
    aliases: tuple[str, ...] = ()
    kind: str = TEXT
    required: bool = False

    def names(self) -> tuple[str, ...]:
        return (self.label, *self.aliases)


@dataclass(frozen=True)
class RowIssue:
    """A problem with one cell (or one row when ``column`` is empty); ``reason`` is Chinese."""

    row: int  # the row number Excel shows
    column: str  # the header as written in the file ("" for the whole row)
    reason: str
    cell: str = ""  # e.g. "J12"

    def where(self) -> str:
        place = f"第{self.row}行"
        if self.column:
            place += f"“{self.column}”列"
        if self.cell:
            place += f"（{self.cell}）"
        return place

    def __str__(self) -> str:
        return f"{self.where()}：{self.reason}"


@dataclass
class SheetRow:
    """One data row: its Excel row number and the normalised value of each mapped column present."""

    number: int
    values: dict[str, Any]
    bad: frozenset[str] = frozenset()  # keys whose cell had an issue (value left out)

    def get(self, key: str, default: Any = None) -> Any:
        return self.values.get(key, default)


@dataclass
class SheetData:
    """The rows under the header of one sheet, normalised, with every cell issue found."""

    path: str
    sheet: str
    header_row: int
    headers: dict[str, str]  # column key -> the header text as written in the file
    letters: dict[str, str]  # column key -> column letter
    ignored_headers: tuple[str, ...]  # header cells that map to no column (序号, 备注 …)
    rows: list[SheetRow] = field(default_factory=list)
    issues: list[RowIssue] = field(default_factory=list)

    def has(self, key: str) -> bool:
        return key in self.headers

    def header(self, key: str, fallback: str = "") -> str:
        return self.headers.get(key, fallback)


# -- header text -----------------------------------------------------------------------------------

_HEADER_NOISE = re.compile(r"[\s*※★☆:：]")
_BRACKETED = re.compile(r"[(\[【〔<《][^)\]】〕>》]*[)\]】〕>》]")


def header_key(text: object) -> str:
    """What a header cell is compared by: half-width, no spaces, line breaks, asterisks or colons, lower case."""
    return _HEADER_NOISE.sub("", clean(text)).lower()


class HeaderMap:
    """An alias table: header text → column key."""

    def __init__(self, columns: Sequence[Column]):
        self.columns = tuple(columns)
        self.by_key = {c.key: c for c in self.columns}
        self._exact: dict[str, str] = {}
        for c in self.columns:
            for name in c.names():
                self._exact.setdefault(header_key(name), c.key)

    def match(self, text: object) -> str | None:
        """The key of the column this header names, or None."""
        k = header_key(text)
        if not k:
            return None
        hit = self._exact.get(k)
        if hit is None:
            stripped = _BRACKETED.sub("", k)
            if stripped and stripped != k:
                hit = self._exact.get(stripped)
        return hit


# -- opening the workbook ------------------------------------------------------------------------------

_OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def _check_package(path: Path) -> None:
    """Refuse what is not a sane .xlsx before any XML is parsed."""
    if not path.exists():
        raise WorkbookNotFoundError(f"找不到文件“{path}”")
    if path.is_dir():
        raise NotAWorkbookError(f"“{path}”是文件夹，不是 Excel 文件")
    try:
        with path.open("rb") as fh:
            head = fh.read(8)
    except OSError as exc:
        raise NotAWorkbookError(f"无法读取文件“{path.name}”：{exc.strerror or exc}") from exc
    if head.startswith(_OLE2_MAGIC):
        raise NotAWorkbookError(
            f"“{path.name}”是旧版 .xls 格式或设置了打开密码的文件，无法读取；"
            "请在 Excel 或 WPS 中取消密码并“另存为”Excel 工作簿（.xlsx）后再导入")
    if not head.startswith(b"PK"):
        raise NotAWorkbookError(
            f"“{path.name}”不是 Excel 工作簿（.xlsx）；如果是 CSV 或其他格式，"
            "请在 Excel 或 WPS 中打开后“另存为”.xlsx 再导入")
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise CorruptWorkbookError(f"“{path.name}”已损坏，无法打开（{exc}）；请用 Excel 或 WPS 打开检查后另存") from exc
    names = {i.filename for i in infos}
    if "[Content_Types].xml" not in names or not any(n.startswith("xl/") for n in names):
        raise NotAWorkbookError(f"“{path.name}”是压缩文件，但不是 Excel 工作簿（.xlsx）")
    total = 0
    for info in infos:
        total += info.file_size
        ratio = info.file_size / max(info.compress_size, 1)
        if (info.file_size > MAX_MEMBER_BYTES or total > MAX_TOTAL_BYTES
                or (info.file_size > RATIO_MIN_BYTES and ratio > MAX_RATIO)):
            raise WorkbookTooLargeError(
                f"“{path.name}”解压后数据量异常（{info.filename} 约 {info.file_size // (1024 * 1024)} MB），"
                "不像正常的表格，已拒绝读取；请检查文件，或把数据拆成几个文件")


@dataclass
class _Sheet:
    name: str
    target: str


class Workbook:
    """An .xlsx opened for reading: openpyxl parses the package, this class streams sheet rows.

    Use as a context manager; :meth:`rows` yields ``(row_number, [values…])``
    with values as Excel holds them (str, int, float, bool, datetime, None).
    """

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)
        _check_package(self.path)
        from openpyxl.reader.excel import ExcelReader
        from openpyxl.styles.stylesheet import apply_stylesheet

        try:
            reader = ExcelReader(str(self.path), read_only=True)
            reader.read_manifest()
            reader.read_strings()
            reader.read_workbook()
            apply_stylesheet(reader.archive, reader.wb)
            self._sheets = [_Sheet(s.name, rel.target) for s, rel in reader.parser.find_sheets()
                            if rel.target in reader.valid_files and "chartsheet" not in rel.Type
                            and getattr(s, "state", "visible") == "visible"]
        except (KeyError, ValueError, TypeError, AttributeError, IndexError, OSError, zipfile.BadZipFile,
                SyntaxError) as exc:  # openpyxl raises these for damaged parts (SyntaxError = XML ParseError)
            raise CorruptWorkbookError(f"“{self.path.name}”内容已损坏或格式不受支持，无法读取（{exc}）") from exc
        self._reader = reader
        self._archive = reader.archive
        self._strings = list(reader.shared_strings)
        wb = reader.wb
        self._date_styles = frozenset(getattr(wb, "_date_formats", ()) or ())
        self._epoch = wb.epoch
        self._wb = wb
        self._attr_cache: dict[bytes, tuple[bytes, bool]] = {}
        self._text_cache: dict[bytes, str] = {}  # inline strings repeat (村名, 性别, 民族 …)
        self._last_row = 0
        self._xml: tuple[str, bytes] | None = None

    # context manager
    def __enter__(self) -> "Workbook":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        self._xml = None
        try:
            self._archive.close()
        except Exception:  # noqa: BLE001 — closing a read-only zip cannot lose data
            pass

    @property
    def sheet_names(self) -> list[str]:
        return [s.name for s in self._sheets]

    def rows(self, sheet: str | int = 0, *, cancel: CancelCheck | None = None) -> Iterator[tuple[int, list]]:
        """``(row_number, values)`` for every non-empty row of ``sheet`` (a name or an index)."""
        info = self._sheet(sheet)
        data = self._sheet_xml(info)
        if _scanner_can_read(data):
            yield from self._scan(data, info, cancel)
        else:
            yield from self._openpyxl_rows(info, cancel)

    def _sheet_xml(self, info: _Sheet) -> bytes:
        """The sheet's XML, decompressed once: the header search and the body read both scan it."""
        if self._xml is not None and self._xml[0] == info.target:
            return self._xml[1]
        self._xml = None  # one sheet's XML at a time
        try:
            data = self._archive.read(info.target)
        except (KeyError, zipfile.BadZipFile, OSError, EOFError) as exc:
            raise CorruptWorkbookError(f"“{self.path.name}”的工作表“{info.name}”已损坏（{exc}）") from exc
        self._xml = (info.target, data)
        return data

    def _sheet(self, sheet: str | int) -> _Sheet:
        if not self._sheets:
            raise CorruptWorkbookError(f"“{self.path.name}”中没有可读取的工作表")
        if isinstance(sheet, int):
            return self._sheets[sheet]
        for s in self._sheets:
            if s.name == sheet:
                return s
        raise NotFoundSheet(f"“{self.path.name}”中没有名为“{sheet}”的工作表（有：{'、'.join(self.sheet_names)}）")

    # -- the fast scanner -------------------------------------------------------------------------------

    def _scan(self, data: bytes, info: _Sheet, cancel: CancelCheck | None) -> Iterator[tuple[int, list]]:
        m = _SHEETDATA.search(data)
        if m is None or m.group(2):  # no sheet data, or <sheetData/>
            return
        prefix = m.group(1) or b""
        end = data.find(b"</" + prefix + b"sheetData>", m.end())
        if end < 0:
            raise CorruptWorkbookError(f"“{self.path.name}”的工作表“{info.name}”不完整（文件可能被截断）")
        row_close = b"</" + prefix + b"row>"
        pos, count = m.end(), 0
        while pos < end:
            if cancel is not None and cancel():
                raise Cancelled("已取消读取")
            cut = data.find(row_close, min(pos + _BLOCK_BYTES, end), end)
            cut = end if cut < 0 else cut + len(row_close)
            block = data[pos:cut]
            pos = cut
            rows = None if prefix else self._scan_common(block)
            if rows is None:
                rows = self._scan_general(block)
            for item in rows:
                count += 1
                if count > MAX_ROWS:
                    raise WorkbookTooLargeError(
                        f"“{self.path.name}”的行数超过 {MAX_ROWS} 行，已拒绝读取；请拆分文件")
                yield item

    def _scan_common(self, block: bytes) -> list[tuple[int, list]] | None:
        """The cells of one block in the form Excel, WPS and openpyxl write; None if any cell is not of it.

        That form: ``r`` first, then a value (``<v>``) or an inline string, or
        nothing (a styled empty cell). Formulas, rich text and the like send the
        block to :meth:`_scan_general`.
        """
        found = _FAST_CELL.findall(block)
        if len(found) != block.count(b"<c ") or b"<c>" in block:
            return None
        out: list[tuple[int, list]] = []
        strings, attr_cache, col_cache = self._strings, self._attr_cache, _COL_CACHE
        text_cache = self._text_cache
        prev_row = None
        values: list = []
        for letters, rownum, attrs, v, inline in found:
            if rownum != prev_row:
                if values:
                    out.append((int(prev_row), values))
                values = []
                prev_row = rownum
            kind = attr_cache.get(attrs)
            if kind is None:
                kind = attr_cache[attrs] = self._cell_kind(attrs)
            try:
                if kind is _K_SHARED:
                    if not v:
                        continue
                    value = strings[int(v)]
                elif kind is _K_INLINE:
                    if not inline:
                        continue
                    value = text_cache.get(inline)
                    if value is None:
                        value = _text(inline)
                        if len(text_cache) < 100_000:
                            text_cache[inline] = value
                elif not v:
                    continue
                elif kind is _K_NUMBER:
                    value = float(v) if (b"." in v or b"E" in v or b"e" in v) else int(v)
                else:
                    value = self._value(kind[0], b"<v>" + v + b"</v>", kind[1])
            except (ValueError, IndexError, OverflowError, UnicodeDecodeError) as exc:
                raise CorruptWorkbookError(
                    f"“{self.path.name}”第{int(rownum)}行的单元格内容已损坏，无法读取（{exc}）") from exc
            if value is None:
                continue
            col = col_cache.get(letters)
            if col is None:
                col = _col_index(letters)
            if col >= len(values):
                values.extend([None] * (col + 1 - len(values)))
            values[col] = value
        if values:
            out.append((int(prev_row), values))
        return out

    def _cell_kind(self, attrs: bytes):
        t, is_date = self._cell_type(attrs)
        if t == b"s":
            return _K_SHARED
        if t == b"inlineStr":
            return _K_INLINE
        if t == b"n" and not is_date:
            return _K_NUMBER
        return (t, is_date)

    def _scan_general(self, block: bytes) -> Iterator[tuple[int, list]]:
        """Any well-formed cell XML: attributes in any order, namespace prefixes, cells without r."""
        last_row = self._last_row
        for rm in _ROW.finditer(block):
            rnum = _ROW_R.search(rm.group(1))
            last_row = int(rnum.group(1)) if rnum else last_row + 1
            self._last_row = last_row
            body = rm.group(2)
            if not body:
                continue
            values: list = []
            col = -1
            for cm in _CELL.finditer(body):
                attrs, content = cm.group(1), cm.group(2)
                ref = _CELL_R.search(attrs)
                col = _col_index(ref.group(1)) if ref else col + 1
                if not content:
                    continue
                t, is_date = self._cell_type(attrs)
                try:
                    value = self._value(t, content, is_date)
                except (ValueError, IndexError, OverflowError, UnicodeDecodeError) as exc:
                    raise CorruptWorkbookError(
                        f"“{self.path.name}”第{last_row}行的单元格内容已损坏，无法读取（{exc}）") from exc
                if value is None:
                    continue
                if col >= len(values):
                    values.extend([None] * (col + 1 - len(values)))
                values[col] = value
            if values:
                yield last_row, values

    def _cell_type(self, attrs: bytes) -> tuple[bytes, bool]:
        t = _CELL_T.search(attrs)
        s = _CELL_S.search(attrs)
        return (t.group(1) if t else b"n"), bool(s and int(s.group(1)) in self._date_styles)

    def _value(self, t: bytes, content: bytes, is_date: bool) -> Any:
        if t == b"inlineStr":
            if b"rPh" in content:
                content = _PHONETIC.sub(b"", content)
            return _text(b"".join(_T.findall(content)))
        v = _V.search(content)
        if v is None:
            return None
        raw = v.group(1)
        if t == b"s":
            return self._strings[int(raw)]
        if t == b"str" or t == b"e":
            return _text(raw)
        if t == b"b":
            return raw.strip() in (b"1", b"true")
        if t == b"d":
            return dt.datetime.fromisoformat(raw.decode("ascii").strip().rstrip("Z"))
        raw = raw.strip()
        if not raw:
            return None
        number = float(raw) if (b"." in raw or b"E" in raw or b"e" in raw) else int(raw)
        if is_date:
            return _from_excel(number, self._epoch)
        return number

    # -- the slow, general path ---------------------------------------------------------------------------

    def _openpyxl_rows(self, info: _Sheet, cancel: CancelCheck | None) -> Iterator[tuple[int, list]]:
        from openpyxl.worksheet._read_only import ReadOnlyWorksheet

        ws = ReadOnlyWorksheet(self._wb, info.name, info.target, self._strings)
        try:
            for number, row in enumerate(ws.iter_rows(values_only=True), start=1):
                if number % 2000 == 0 and cancel is not None and cancel():
                    raise Cancelled("已取消读取")
                values = [_text(v) if isinstance(v, str) else v for v in row]
                while values and values[-1] is None:
                    values.pop()
                if values:
                    yield number, values
        except (ValueError, KeyError, IndexError, SyntaxError) as exc:
            raise CorruptWorkbookError(f"“{self.path.name}”的工作表“{info.name}”已损坏（{exc}）") from exc


class NotFoundSheet(HeaderNotFoundError):
    """A sheet named by the caller is not in the workbook."""

    key = "sheet-not-found"


# One regex pass per block holds the interpreter lock: 1 MiB keeps it near 15 ms, so the
# GUI thread stays responsive while the worker reads (4 MiB stalled it 50–80 ms).
_BLOCK_BYTES = 1024 * 1024
_FAST_CELL = re.compile(rb'<c r="([A-Z]{1,3})(\d+)"([^>/]*)(?:/>|>(?:<v>([^<]*)</v>'
                        rb'|<is><t(?: xml:space="preserve")?>([^<]*)</t></is>)</c>)')
_K_SHARED, _K_INLINE, _K_NUMBER = object(), object(), object()
_NS = rb"(?:[\w.-]+:)?"
_SHEETDATA = re.compile(rb"<([\w.-]+:)?sheetData\b[^>]*?(/?)>")
_ROW = re.compile(rb"<" + _NS + rb"row\b([^>]*?)(?:/>|>(.*?)</" + _NS + rb"row>)", re.S)
_CELL = re.compile(rb"<" + _NS + rb"c\b([^>]*?)(?:/>|>(.*?)</" + _NS + rb"c>)", re.S)
_ROW_R = re.compile(rb'\br="(\d+)"')
_CELL_R = re.compile(rb'\br="\$?([A-Za-z]{1,3})\$?\d*"')
_CELL_T = re.compile(rb'\bt="(\w+)"')
_CELL_S = re.compile(rb'\bs="(\d+)"')
_V = re.compile(rb"<" + _NS + rb"v(?:\s[^>]*)?>(.*?)</" + _NS + rb"v>", re.S)
_T = re.compile(rb"<" + _NS + rb"t(?:\s[^>]*)?>(.*?)</" + _NS + rb"t>", re.S)
_PHONETIC = re.compile(rb"<" + _NS + rb"rPh\b.*?</" + _NS + rb"rPh>", re.S)
_ENTITY = re.compile(r"&(#[0-9]+|#x[0-9a-fA-F]+|amp|lt|gt|quot|apos);")
_OOXML_ESCAPE = re.compile(r"_x([0-9A-Fa-f]{4})_")
_NAMED = {"amp": "&", "lt": "<", "gt": ">", "quot": '"', "apos": "'"}
_XML_DECL = re.compile(rb"^\s*<\?xml[^>]*encoding=[\"']([\w-]+)[\"']")


def _scanner_can_read(data: bytes) -> bool:
    """The scanner reads UTF-8 sheets without CDATA; anything else goes to openpyxl."""
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return False
    decl = _XML_DECL.match(data[:200])
    if decl and decl.group(1).lower().replace(b"-", b"") not in (b"utf8",):
        return False
    return b"<![CDATA[" not in data


def _entity(m: re.Match) -> str:
    s = m.group(1)
    if s[0] == "#":
        return chr(int(s[2:], 16) if s[1] in "xX" else int(s[1:]))
    return _NAMED[s]


def _text(s: str | bytes) -> str:
    if isinstance(s, bytes):
        s = s.decode("utf-8")
    if "&" in s:
        s = _ENTITY.sub(_entity, s)
    if "_x" in s:
        s = _OOXML_ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), s)
    return s


_COL_CACHE: dict[bytes, int] = {}


def _col_index(letters: bytes) -> int:
    idx = _COL_CACHE.get(letters)
    if idx is None:
        n = 0
        for ch in letters.upper():
            n = n * 26 + (ch - 64)
        idx = _COL_CACHE[letters] = n - 1
    return idx


def column_letter(index: int) -> str:
    """0 → A, 25 → Z, 26 → AA."""
    out = ""
    n = index + 1
    while n:
        n, r = divmod(n - 1, 26)
        out = chr(65 + r) + out
    return out


def _from_excel(number: float, epoch: dt.datetime) -> dt.datetime | dt.time | float:
    from openpyxl.utils.datetime import from_excel

    try:
        return from_excel(number, epoch)
    except (ValueError, OverflowError):
        return number


# -- dates --------------------------------------------------------------------------------------------

_DATE_TEXT = re.compile(r"^(\d{4})\s*[-./年]\s*(\d{1,2})\s*[-./月]\s*(\d{1,2})\s*日?(?:\s*[T ]?\s*\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$")
_DATE_COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_SERIAL_MIN, _SERIAL_MAX = 1, 2958465  # 1900-01-01 .. 9999-12-31
_EXCEL_EPOCH = dt.date(1899, 12, 30)


class DateProblem(ValueError):
    """A cell that should hold a date does not; the message is Chinese."""


def parse_date_cell(value: object, *, epoch: dt.date = _EXCEL_EPOCH) -> dt.date | None:
    """A date from an Excel date cell, an Excel serial number or date text; None when blank.

    Accepts 2025-03-05, 2025/3/5, 2025.3.5, 2025年3月5日, 20250305 (text or
    number), the serial number Excel shows when a date cell lost its format
    (45721) and a date followed by a time. Raises :class:`DateProblem`.
    """
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, bool):
        raise DateProblem("不是日期")
    if isinstance(value, (int, float)):
        if float(value).is_integer() and 10000101 <= value <= 99991231:
            return _compact(str(int(value)))
        if _SERIAL_MIN <= value <= _SERIAL_MAX:
            return epoch + dt.timedelta(days=int(value))
        raise DateProblem(f"“{_show(value)}”不是有效日期")
    s = clean(value)
    if not s:
        return None
    m = _DATE_TEXT.match(s)
    if m:
        try:
            return dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        except ValueError:
            raise DateProblem(f"“{s}”不是存在的日期") from None
    if _DATE_COMPACT.match(s):
        return _compact(s)
    if s.isdigit() and 5 <= len(s) <= 6:  # a serial number typed or pasted as text
        return parse_date_cell(int(s), epoch=epoch)
    raise DateProblem(f"“{s}”不是可识别的日期（可写作 2025-03-05、2025/3/5、2025.3.5、2025年3月5日 或 20250305）")


def _compact(s: str) -> dt.date:
    try:
        return dt.date(int(s[:4]), int(s[4:6]), int(s[6:8]))
    except ValueError:
        raise DateProblem(f"“{s}”不是存在的日期") from None


def _show(value: object) -> str:
    if isinstance(value, float):
        return repr(value) if not value.is_integer() or abs(value) >= 1e15 else str(int(value))
    return str(value)


# -- cell normalisation ----------------------------------------------------------------------------------

_SCIENTIFIC = re.compile(r"^[+-]?\d+(?:\.\d+)?E[+-]?\d+$", re.I)
_TRUE = frozenset({"是", "Y", "YES", "TRUE", "1", "√", "✓", "✔", "对", "有", "党员", "中共党员", "中共预备党员",
                   "预备党员"})
_FALSE = frozenset({"否", "N", "NO", "FALSE", "0", "×", "✗", "无", "不是", "非党员", "群众"})


class CellProblem(ValueError):
    """A cell value that cannot be used; the message is Chinese."""


def number_text(value: int | float) -> str:
    """A number as the digits a person typed: 12.0 → "12", 3.5 → "3.5"."""
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e16:
        return str(int(value))
    return str(value)


def normalise_cell(value: object, kind: str, *, epoch: dt.date = _EXCEL_EPOCH) -> Any:
    """The value of one cell for a column of ``kind``; None when blank. Raises :class:`CellProblem`."""
    if value is None:
        return None
    if kind == DATE:
        try:
            return parse_date_cell(value, epoch=epoch)
        except DateProblem as exc:
            raise CellProblem(str(exc)) from None
    if kind == ID_NUMBER:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            raise CellProblem(f"身份证号被 Excel 存成了数字（{_show_number(value)}），后几位可能已丢失，"
                              "不能导入；请把这一列设为“文本”格式，重新填写正确的号码")
        s = clean_code(value)
        if _SCIENTIFIC.match(s):
            raise CellProblem(f"身份证号显示为科学计数法（{s}），后几位已丢失，不能导入；"
                              "请把这一列设为“文本”格式，重新填写正确的号码")
        return s or None
    if kind == BOOL:
        if isinstance(value, bool):
            return value
        s = clean_code(value if not isinstance(value, (int, float)) else number_text(value))
        if not s:
            return None
        if s in _TRUE:
            return True
        if s in _FALSE:
            return False
        raise CellProblem(f"应填“是”或“否”，不能是“{clean(value)}”")
    if isinstance(value, (dt.datetime, dt.date)):
        d = value.date() if isinstance(value, dt.datetime) else value
        s = d.isoformat()
    elif isinstance(value, bool):
        s = "是" if value else "否"
    elif isinstance(value, (int, float)):
        s = number_text(value)
    else:
        s = str(value)
    if kind in (CODE, PHONE):
        s = clean_code(s)
    else:
        s = clean_prose(s) if kind == PROSE else clean(s)
    return s or None


def _show_number(value: int | float) -> str:
    if isinstance(value, float) and abs(value) >= 1e11:
        return f"{value:.14E}"
    return number_text(value)


# -- header detection and reading ------------------------------------------------------------------------


@dataclass(frozen=True)
class HeaderGuess:
    row: int  # Excel row number
    mapping: dict[int, str]  # column index -> key
    texts: dict[int, str]  # column index -> header text (cleaned)
    score: int


def find_header(rows: Iterable[tuple[int, list]], header_map: HeaderMap, *,
                scan: int = HEADER_SCAN_ROWS) -> HeaderGuess | None:
    """The best header among the first ``scan`` non-empty rows: the one naming most distinct columns."""
    best: HeaderGuess | None = None
    for i, (number, values) in enumerate(rows):
        if i >= scan:
            break
        mapping: dict[int, str] = {}
        texts: dict[int, str] = {}
        seen: set[str] = set()
        for col, v in enumerate(values):
            if v is None or not isinstance(v, str):
                continue
            key = header_map.match(v)
            texts[col] = clean(v)
            if key and key not in seen:
                seen.add(key)
                mapping[col] = key
        score = len(seen)
        if score and (best is None or score > best.score):
            best = HeaderGuess(number, mapping, texts, score)
    return best


_FOOTER_PREFIXES = ("注：", "注:", "备注：", "备注:", "说明：", "说明:", "填表人", "制表人", "填报人", "审核人",
                    "负责人：", "合计", "总计", "小计")


def read_sheet(path: str | os.PathLike, columns: Sequence[Column], *, sheet: str | int | None = None,
               min_score: int = 2, progress: Progress | None = None,
               cancel: CancelCheck | None = None) -> SheetData:
    """Read the data rows of the first sheet (or ``sheet``) that has a header naming ``columns``.

    Rows above the header are skipped; blank rows, repeated header rows and
    footer lines (注：…, 填表人…, 合计) below it are ignored. Each mapped cell
    is normalised by its column's kind; problems become :attr:`SheetData.issues`
    and the value is left out of the row (``SheetRow.bad`` names it).
    Raises :class:`HeaderNotFoundError` / :class:`MissingColumnsError` and the
    workbook errors of :class:`Workbook`.
    """
    header_map = HeaderMap(columns)
    path = Path(path)
    if progress:
        progress("正在打开表格…", 0.0)
    with Workbook(path) as wb:
        names = [sheet] if sheet is not None else list(range(len(wb.sheet_names)))
        chosen = None
        for name in names:
            rows = wb.rows(name, cancel=cancel)
            head: list[tuple[int, list]] = []
            for item in rows:
                head.append(item)
                if len(head) >= HEADER_SCAN_ROWS:
                    break
            guess = find_header(head, header_map)
            if guess is not None and guess.score >= min_score and (chosen is None or guess.score > chosen[1].score):
                chosen = (name, guess)
                if guess.score == len(columns):
                    break
        if chosen is None:
            expected = "、".join(f"“{c.label}”" for c in columns[:6])
            raise HeaderNotFoundError(
                f"在“{path.name}”的前{HEADER_SCAN_ROWS}行中找不到表头：表头行应包含 {expected} 等列名。"
                "请检查是否选错了文件，或表头是否被合并单元格遮挡")
        name, guess = chosen
        sheet_name = wb.sheet_names[name] if isinstance(name, int) else name
        missing = [c for c in columns if c.required and c.key not in guess.mapping.values()]
        if missing:
            raise MissingColumnsError(
                f"“{path.name}”的表头（第{guess.row}行）缺少必需的列："
                + "、".join(f"“{c.label}”" for c in missing))
        data = SheetData(
            path=str(path), sheet=sheet_name, header_row=guess.row,
            headers={k: guess.texts[c] for c, k in guess.mapping.items()},
            letters={k: column_letter(c) for c, k in guess.mapping.items()},
            ignored_headers=tuple(t for c, t in guess.texts.items() if c not in guess.mapping and t))
        _read_body(wb.rows(name, cancel=cancel), guess, header_map, data, progress, wb)
    if progress:
        progress("表格读取完毕", 1.0)
    return data


def _read_body(rows: Iterator[tuple[int, list]], guess: HeaderGuess, header_map: HeaderMap, data: SheetData,
               progress: Progress | None, wb: Workbook) -> None:
    mapping = sorted(guess.mapping.items())
    kinds = {k: header_map.by_key[k].kind for _, k in mapping}
    header_texts = {c: t for c, t in guess.texts.items() if t}
    probe_col, probe_text = min(guess.mapping), guess.texts[min(guess.mapping)]
    epoch = wb._epoch.date() if isinstance(wb._epoch, dt.datetime) else _EXCEL_EPOCH
    issues = data.issues
    out = data.rows
    # Cell values repeat a lot (村, 小组, 性别, 民族, 是/否 …): normalise each distinct text once.
    memo: dict[tuple[str, str], Any] = {}
    for number, values in rows:
        if number <= guess.row:
            continue
        if progress and number % 5000 == 0:
            progress(f"正在读取第 {number} 行…", 0.0)
        n = len(values)
        cells = {k: values[c] for c, k in mapping if c < n and values[c] is not None}
        if not cells:
            continue
        if len(cells) <= 2 and _is_footer(values):
            continue
        probe = values[probe_col] if probe_col < n else None
        if type(probe) is str and clean(probe) == probe_text and _is_repeated_header(values, header_texts):
            continue
        row_values: dict[str, Any] = {}
        bad = []
        for key, raw in cells.items():
            kind = kinds[key]
            try:
                if type(raw) is str:
                    mk = (kind, raw)
                    value = memo.get(mk, memo)
                    if value is memo:
                        value = normalise_cell(raw, kind, epoch=epoch)
                        if len(memo) < 300_000:
                            memo[mk] = value
                else:
                    value = normalise_cell(raw, kind, epoch=epoch)
            except CellProblem as exc:
                issues.append(RowIssue(number, data.headers[key], str(exc), f"{data.letters[key]}{number}"))
                bad.append(key)
                continue
            if value is not None:
                row_values[key] = value
        if row_values or bad:
            out.append(SheetRow(number, row_values, frozenset(bad)))


def _is_repeated_header(values: list, header_texts: dict[int, str]) -> bool:
    """A header row repeated inside the data (printed rosters repeat it on every page)."""
    n = len(values)
    same = sum(1 for c, text in header_texts.items() if c < n and type(values[c]) is str and clean(values[c]) == text)
    return same >= max(2, len(header_texts) // 2)


def _is_footer(values: list) -> bool:
    """注：… / 填表人：… / 合计 lines under the data."""
    filled = [v for v in values if v is not None and str(v).strip()]
    if len(filled) > 2:
        return False
    first = clean(filled[0]) if filled else ""
    return first.startswith(_FOOTER_PREFIXES)
