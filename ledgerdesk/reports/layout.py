"""Page templates shared by the sheets: paper, the unit/period header, "第 X 页 共 Y 页", tables, sign-off.

Two ways to lay out a sheet, both giving the same page frame:

* :class:`FlowDocument` — reportlab platypus for the small sheets (notices,
  committees, bulletin, household card): Paragraphs with ``wordWrap='CJK'``,
  ``Table(repeatRows=1)`` so a table's header row repeats on every page, charts
  as flowables. The total page count comes from a canvas that holds its pages
  until the end (:class:`_NumberedCanvas`).
* :class:`GridPainter` — a direct-canvas table for the big one (the monthly or
  yearly problem ledger, up to thousands of pages): rows are measured first
  (the string width in C, a per-character CJK wrap only where a cell
  overflows), split into pages, then drawn once with the page count already
  known. Linear in the rows, at the speed of a bare reportlab script.

Every string goes through the font chain (:mod:`.fonts`): primary font first,
the fallback for rare characters, a placeholder plus a report for a character no
font has. Nothing is drawn with a standard PDF font, so every font is embedded.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from typing import Callable, Sequence

from reportlab import rl_config
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_LEFT
from reportlab.lib.pagesizes import A3, A4, A5, landscape as _landscape, portrait as _portrait
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import BaseDocTemplate, Frame, PageTemplate, Paragraph, Spacer, Table, TableStyle

from ledgerdesk.core.errors import ValidationError
from ledgerdesk.reports.fonts import FALLBACK, PRIMARY, FontChain, GlyphReport, chain

PAPERS = {"A4": A4, "A3": A3, "A5": A5}
GRID_COLOR = colors.Color(0.25, 0.25, 0.25)
HEAD_FILL = colors.Color(0.88, 0.88, 0.88)
MARK_FILL = colors.Color(0.82, 0.82, 0.82)  # overdue rows: a grey a cheap laser prints evenly


def page_size(paper: str = "A4", landscape: bool = False) -> tuple[float, float]:
    key = (paper or "A4").strip().upper()
    if key not in PAPERS:
        raise ValidationError(f"纸张“{paper}”不支持，可选 A4、A3、A5", field="paper")
    size = PAPERS[key]
    return _landscape(size) if landscape else _portrait(size)


def set_invariant(on: bool = True) -> None:
    """Byte-identical output for identical input (tests): fixed dates and ids in the PDF."""
    rl_config.invariant = 1 if on else 0


def fmt_date(value: dt.date | dt.datetime | None) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        value = value.date()
    return value.isoformat()


def fmt_rate(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


@dataclass(frozen=True)
class RenderResult:
    """What rendering a sheet gave: pages, and the characters no bundled font has (with their records)."""

    pages: int
    missing: tuple  # tuple[MissingGlyph, ...]


# -- drawing text with the chain -------------------------------------------------------------------


def draw_string(canvas: Canvas, x: float, y: float, text: str, size: float, fonts: FontChain,
                align: str = "left") -> None:
    """Draw one line of ``text`` with the font chain (left, centre or right aligned at ``x``)."""
    if not text:
        return
    if align != "left":
        w = fonts.width(text, size)
        x -= w if align == "right" else w / 2
    if fonts.simple(text):
        canvas.setFont(PRIMARY, size)
        canvas.drawString(x, y, text)
        return
    for font, run in fonts.runs(text):
        canvas.setFont(font, size)
        canvas.drawString(x, y, run)
        x += fonts.fonts[font].stringWidth(run, size)


def wrap(text: str, width: float, size: float, fonts: FontChain, max_lines: int = 0) -> list[str]:
    """CJK line breaking: break between any two characters (keeping ASCII words whole when they fit)."""
    out: list[str] = []
    for para in (text or "").split("\n"):
        if fonts.width(para, size) <= width:
            out.append(para)
            continue
        line, line_w = "", 0.0
        word_start = 0  # index in line where the current ASCII word starts
        for c in para:
            cw = fonts.char_width(c, size)
            if line and line_w + cw > width:
                if c.isascii() and c.isalnum() and 0 < word_start < len(line):
                    out.append(line[:word_start])
                    line = line[word_start:]
                    line_w = fonts.width(line, size)
                else:
                    out.append(line)
                    line, line_w = "", 0.0
                word_start = 0
            if not (c.isascii() and c.isalnum()):
                word_start = len(line) + 1
            line += c
            line_w += cw
        out.append(line)
    if max_lines and len(out) > max_lines:
        out = out[:max_lines]
        out[-1] = out[-1][:-1] + "…"
    return out


# -- the page frame --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PageFrame:
    """The header and footer of every page: unit and title left, period right, 第 X 页 共 Y 页 below."""

    unit: str
    title: str
    period: str
    printed_on: dt.date
    size: tuple[float, float]
    margin: float = 12 * mm
    font_size: float = 8.5

    @property
    def top(self) -> float:
        """y of the first line of the body."""
        return self.size[1] - self.margin - 7 * mm

    @property
    def bottom(self) -> float:
        return self.margin + 7 * mm

    def draw(self, canvas: Canvas, page: int, total: int, fonts: FontChain) -> None:
        w, h = self.size
        m, fs = self.margin, self.font_size
        y = h - m - fs
        canvas.setFillColor(colors.black)
        draw_string(canvas, m, y, f"{self.unit}　{self.title}", fs, fonts)
        right = f"{self.period}　" if self.period else ""
        draw_string(canvas, w - m, y, f"{right}打印日期：{fmt_date(self.printed_on)}", fs, fonts, "right")
        canvas.setStrokeColor(GRID_COLOR)
        canvas.setLineWidth(0.5)
        canvas.line(m, y - 2.2 * mm, w - m, y - 2.2 * mm)
        draw_string(canvas, w / 2, m, f"第 {page} 页 共 {total} 页", fs, fonts, "center")


# -- platypus documents (the small sheets) ---------------------------------------------------------------------


def _numbered_canvas(frame: PageFrame, fonts: FontChain, pages_out: list):
    class _NumberedCanvas(Canvas):
        """Holds each page until the end, then draws the frame with the total page count."""

        def __init__(self, *args, **kwargs):
            kwargs["initialFontName"] = PRIMARY  # never a standard (non-embedded) font, not even unused
            kwargs.setdefault("initialFontSize", 9)
            rl_config.useA85 = 0
            super().__init__(*args, **kwargs)
            self._held: list[dict] = []

        def showPage(self):
            self._held.append(dict(self.__dict__))
            self._startPage()

        def save(self):
            total = len(self._held)
            for n, state in enumerate(self._held, 1):
                self.__dict__.update(state)
                frame.draw(self, n, total, fonts)
                Canvas.showPage(self)
            pages_out.append(total)
            Canvas.save(self)

    return _NumberedCanvas


class FlowDocument:
    """A platypus document with the shared page frame; :meth:`build` writes the PDF and returns the page count."""

    def __init__(self, frame: PageFrame, report: GlyphReport):
        self.frame = frame
        self.report = report
        self.fonts = report.fonts
        self.width = frame.size[0] - 2 * frame.margin
        self.styles = _styles()

    def para(self, text: str, style: str = "body", record: str = "") -> Paragraph:
        """A Paragraph of plain ``text`` (escaped, fallback runs marked, missing characters reported)."""
        text = self.report.check(text, record) if record else text or ""
        return Paragraph(self.fonts.markup(text), self.styles[style])

    def table(self, header: Sequence[str], rows: Sequence[Sequence], widths: Sequence[float], *,
              marks: Sequence[bool] = (), style: str = "cell", align: Sequence[str] = ()) -> Table:
        """A table with its header repeated on every page; cells are text (or flowables)."""
        head = [Paragraph(self.fonts.markup(h), self.styles["head"]) for h in header]
        body = []
        for r in rows:
            cells = []
            for i, c in enumerate(r):
                if isinstance(c, str):
                    st = self.styles[style + "_c" if (align and align[i] == "center") else style]
                    cells.append(Paragraph(self.fonts.markup(c), st))
                else:
                    cells.append(c)
            body.append(cells)
        t = Table([head, *body], colWidths=list(widths), repeatRows=1)
        cmds = [("FONTNAME", (0, 0), (-1, -1), PRIMARY), ("GRID", (0, 0), (-1, -1), 0.5, GRID_COLOR), ("BACKGROUND", (0, 0), (-1, 0), HEAD_FILL),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"), ("TOPPADDING", (0, 0), (-1, -1), 2),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 3), ("LEFTPADDING", (0, 0), (-1, -1), 3),
                ("RIGHTPADDING", (0, 0), (-1, -1), 3)]
        for i, marked in enumerate(marks, 1):
            if marked:
                cmds.append(("BACKGROUND", (0, i), (-1, i), MARK_FILL))
        t.setStyle(TableStyle(cmds))
        return t

    def build(self, out, story: list) -> int:
        f = self.frame
        out = os.fspath(out) if isinstance(out, os.PathLike) else out
        pages: list[int] = []
        doc = BaseDocTemplate(out, pagesize=f.size, leftMargin=f.margin, rightMargin=f.margin,
                              topMargin=f.size[1] - f.top, bottomMargin=f.bottom, title=f"{f.unit}{f.title}",
                              author="LedgerDesk", creator="LedgerDesk", subject=f.period)
        body = Frame(f.margin, f.bottom, self.width, f.top - f.bottom, id="body", leftPadding=0, rightPadding=0,
                     topPadding=0, bottomPadding=0)
        doc.addPageTemplates([PageTemplate(id="sheet", frames=[body])])
        doc.build(story, canvasmaker=_numbered_canvas(f, self.fonts, pages))
        return pages[0] if pages else 0


def sheet_document(header, paper: str, report: GlyphReport | None = None) -> FlowDocument:
    """The document of a small sheet: ``header``'s unit, title, period and printing date on ``paper`` (portrait).

    Without ``report`` a fresh :class:`GlyphReport` over the bundled fonts is used (``doc.report``).
    """
    frame = PageFrame(header.unit, header.title, header.period, header.printed_on, page_size(paper))
    return FlowDocument(frame, report or GlyphReport(chain()))


def _styles() -> dict[str, ParagraphStyle]:
    base = dict(fontName=PRIMARY, wordWrap="CJK", textColor=colors.black)
    s = {
        "title": ParagraphStyle("title", fontSize=17, leading=22, alignment=TA_CENTER, spaceAfter=4, **base),
        "subtitle": ParagraphStyle("subtitle", fontSize=9.5, leading=13, alignment=TA_CENTER, spaceAfter=6, **base),
        "h2": ParagraphStyle("h2", fontSize=12, leading=16, spaceBefore=8, spaceAfter=4, **base),
        "body": ParagraphStyle("body", fontSize=10, leading=14, alignment=TA_LEFT, **base),
        "small": ParagraphStyle("small", fontSize=8.5, leading=11.5, **base),
        "head": ParagraphStyle("head", fontSize=9, leading=11.5, alignment=TA_CENTER, **base),
        "cell": ParagraphStyle("cell", fontSize=9, leading=11.5, **base),
        "cell_c": ParagraphStyle("cell_c", fontSize=9, leading=11.5, alignment=TA_CENTER, **base),
        "big": ParagraphStyle("big", fontSize=10.5, leading=14, **base),
        "big_c": ParagraphStyle("big_c", fontSize=10.5, leading=14, alignment=TA_CENTER, **base),
        "figure": ParagraphStyle("figure", fontSize=15, leading=19, alignment=TA_CENTER, **base),
    }
    return s


def signoff_flowable(doc: FlowDocument, *, seal: bool = True) -> Table:
    """填报人 / 审核人 / 日期 and a seal box, kept together at the end of a sheet."""
    st = doc.styles["big"]
    lines = Table([[Paragraph("填报人：", st), Paragraph("审核人：", st), Paragraph("日期：______年____月____日", st)]],
                  colWidths=[doc.width * 0.24, doc.width * 0.24, doc.width * 0.32],
                  rowHeights=[12 * mm])
    lines.setStyle(TableStyle([("FONTNAME", (0, 0), (-1, -1), PRIMARY), ("VALIGN", (0, 0), (-1, -1), "BOTTOM"), ("LEFTPADDING", (0, 0), (-1, -1), 0)]))
    if not seal:
        return lines
    box = Table([[Paragraph("（单位盖章）", doc.styles["cell_c"])]], colWidths=[34 * mm], rowHeights=[28 * mm])
    box.setStyle(TableStyle([("FONTNAME", (0, 0), (-1, -1), PRIMARY), ("BOX", (0, 0), (-1, -1), 0.8, GRID_COLOR), ("VALIGN", (0, 0), (-1, -1), "BOTTOM"),
                             ("BOTTOMPADDING", (0, 0), (-1, -1), 4)]))
    outer = Table([[lines, box]], colWidths=[doc.width - 40 * mm, 40 * mm])
    outer.setStyle(TableStyle([("FONTNAME", (0, 0), (-1, -1), PRIMARY), ("VALIGN", (0, 0), (-1, -1), "BOTTOM"), ("LEFTPADDING", (0, 0), (-1, -1), 0),
                               ("RIGHTPADDING", (0, 0), (-1, -1), 0), ("ALIGN", (1, 0), (1, 0), "RIGHT")]))
    return outer


def plain_table(data, widths, cmds=()) -> Table:
    """A table for layout (figure boxes, side-by-side blocks), never with a standard font."""
    t = Table(data, colWidths=list(widths))
    t.setStyle(TableStyle([("FONTNAME", (0, 0), (-1, -1), PRIMARY), *cmds]))
    return t


def spacer(height_mm: float) -> Spacer:
    return Spacer(1, height_mm * mm)


# -- the direct-canvas grid (the big ledger) ---------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    title: str
    width: float  # points
    align: str = "left"  # left | center
    max_lines: int = 6


# A measured row: (height, per cell None (empty) | float (fits on one line in the
# primary font: its width) | list[str] (the wrapped lines)).
RowLayout = tuple[float, list]


class GridPainter:
    """Measures, paginates and draws a long table straight onto the canvas, header repeated on every page."""

    def __init__(self, columns: Sequence[Column], x: float, fonts: FontChain, *, size: float = 8.0,
                 leading: float = 10.0, pad: float = 2.2):
        self.columns = list(columns)
        self.x = x
        self.fonts = fonts
        self.size, self.leading, self.pad = size, leading, pad
        self.inner = [c.width - 2 * pad for c in self.columns]
        self.width = sum(c.width for c in self.columns)
        self._stringwidth = fonts.fonts[PRIMARY].stringWidth
        head_lines = max(len(wrap(c.title, w, size, fonts)) for c, w in zip(self.columns, self.inner))
        self.header_height = head_lines * leading + 2 * pad + 1

    def layout_row(self, cells: Sequence[str]) -> RowLayout:
        """Measure one row once: its height and how each cell is drawn (see :data:`RowLayout`).

        The measuring is what a long sheet costs beyond drawing, so it is done
        once per row and the result handed to :meth:`draw_rows`.
        """
        n = 1
        sw, size, inner, fonts, columns = self._stringwidth, self.size, self.inner, self.fonts, self.columns
        out: list = []
        for i, text in enumerate(cells):
            if not text:
                out.append(None)
                continue
            if "\n" not in text and fonts.simple(text):
                tw = sw(text, size)
                if tw <= inner[i]:
                    out.append(tw)
                    continue
            lines = wrap(text, inner[i], size, fonts, columns[i].max_lines)
            out.append(lines)
            if len(lines) > n:
                n = len(lines)
        return n * self.leading + 2 * self.pad, out

    @staticmethod
    def paginate(heights: Sequence[float], first_space: float, space: float, header: float) -> list[tuple[int, int]]:
        """Split rows into pages: [(first row, end row)] given the space below the page top on each page."""
        pages, start, used, room = [], 0, 0.0, first_space - header
        for i, h in enumerate(heights):
            if used + h > room and i > start:
                pages.append((start, i))
                start, used, room = i, 0.0, space - header
            used += h
        pages.append((start, len(heights)))
        return pages

    def draw_header(self, canvas: Canvas, top: float) -> float:
        h = self.header_height
        canvas.setFillColor(HEAD_FILL)
        canvas.rect(self.x, top - h, self.width, h, stroke=0, fill=1)
        canvas.setFillColor(colors.black)
        x = self.x
        for c, w in zip(self.columns, self.inner):
            lines = wrap(c.title, w, self.size, self.fonts)
            y = top - h / 2 + (len(lines) * self.leading) / 2 - self.size
            for line in lines:
                draw_string(canvas, x + c.width / 2, y, line, self.size, self.fonts, "center")
                y -= self.leading
            x += c.width
        return top - h

    def draw_rows(self, canvas: Canvas, top: float, rows: Sequence[Sequence[str]], heights: Sequence[float],
                  marks: Sequence[bool], layouts: Sequence[list] | None = None) -> float:
        """Draw rows below ``top`` (header included); returns the y of the table's bottom edge.

        ``layouts`` are the rows' :meth:`layout_row` results when the caller
        measured them already (for the heights); otherwise they are measured here.
        """
        if layouts is None:
            layouts = [self.layout_row(cells)[1] for cells in rows]
        table_top = top
        y = self.draw_header(canvas, top)
        # fills first (under the text), then the text, then one set of grid lines
        yy = y
        for h, marked in zip(heights, marks):
            if marked:
                canvas.setFillColor(MARK_FILL)
                canvas.rect(self.x, yy - h, self.width, h, stroke=0, fill=1)
            yy -= h
        canvas.setFillColor(colors.black)
        size, lead, pad, fonts = self.size, self.leading, self.pad, self.fonts
        cols = self.columns
        text_obj = canvas.beginText()
        text_obj.setFont(PRIMARY, size)
        set_font, origin, out = text_obj.setFont, text_obj.setTextOrigin, text_obj.textOut
        current = PRIMARY
        row_tops = []
        for cells, h, layout in zip(rows, heights, layouts):
            row_tops.append(y)
            x = self.x
            base = y - pad - size * 0.88
            for c, text, lay in zip(cols, cells, layout):
                if lay is None:
                    pass
                elif lay.__class__ is float:  # one line in the primary font, ``lay`` is its width
                    if current != PRIMARY:
                        set_font(PRIMARY, size)
                        current = PRIMARY
                    origin(x + pad if c.align == "left" else x + (c.width - lay) / 2, base)
                    out(text)
                else:
                    ly = base
                    for line in lay:
                        lx = x + pad if c.align == "left" else x + (c.width - fonts.width(line, size)) / 2
                        for font, run in fonts.runs(line):
                            if font != current:
                                set_font(font, size)
                                current = font
                            origin(lx, ly)
                            out(run)
                            lx += fonts.fonts[font].stringWidth(run, size)
                        ly -= lead
                x += c.width
            y -= h
        canvas.drawText(text_obj)
        canvas.setStrokeColor(GRID_COLOR)
        canvas.setLineWidth(0.5)
        p = canvas.beginPath()
        for ry in row_tops:
            p.moveTo(self.x, ry)
            p.lineTo(self.x + self.width, ry)
        p.moveTo(self.x, table_top)
        p.lineTo(self.x + self.width, table_top)
        p.moveTo(self.x, y)
        p.lineTo(self.x + self.width, y)
        x = self.x
        for c in [*cols, None]:
            p.moveTo(x, table_top)
            p.lineTo(x, y)
            if c is not None:
                x += c.width
        canvas.drawPath(p, stroke=1, fill=0)
        return y


def new_canvas(out, size: tuple[float, float], title: str, subject: str = "") -> Canvas:
    out = os.fspath(out) if isinstance(out, os.PathLike) else out
    rl_config.useA85 = 0  # binary (Flate) streams: smaller and faster than ASCII85 on top
    c = Canvas(out, pagesize=size, pageCompression=1, invariant=rl_config.invariant, initialFontName=PRIMARY,
               initialFontSize=9)
    c.setTitle(title)
    c.setAuthor("LedgerDesk")
    c.setCreator("LedgerDesk")
    c.setSubject(subject)
    return c


ProgressFn = Callable[[int, int], None]
__all__ = ["FALLBACK", "PRIMARY", "GlyphReport", "chain"]
